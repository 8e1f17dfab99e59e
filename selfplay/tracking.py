"""Everything selfplay records in MLflow: one experiment per campaign, a parent run, a child run per generation.

    parent run "quickstart"          the resolved config as params (once); eval/* with step = generation;
                                     improvement.png; a description with the generations table
      child run "generation-0"       tags and metric `generation`; params: only what differs between generations
      child run "generation-1"       TRL's training metrics, eval/*, rollouts and eval tables, the model if promoted

Runs are addressed by id through MlflowClient (never "the active run"), and
found again by tags, so a resumed campaign continues its runs instead of
creating duplicates. Promoted generations become versions of the registered
model `<campaign>-policy`, and the alias `champion` follows them.

`NullTracker` has the same methods and does nothing: processes other than the
main one, which must not write, get one, so the campaign calls its tracker
unconditionally.

    >>> tracker = Tracker("sqlite:///runs/mlflow.db", "quickstart", "runs")
    >>> run_id = tracker.parent_run("runs/quickstart", None)
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from selfplay.errors import CampaignStopped

MAX_PARAMS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
_UNSAFE_METRIC_CHARACTERS = re.compile(r"[^A-Za-z0-9_\-.:/ ]")
DESCRIPTION_TAG = "mlflow.note.content"  # what the UI shows as a run's or an experiment's description (Markdown)
# Without it MLflow 3's UI opens an experiment on its GenAI overview (traces, tokens), empty for us. From
# 3.17 the UI's GenAI / Model training switch decides instead, so our links also say ?workflowType=machine_learning.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
# The UI's saved views of a runs list (columns, sort, chart x-axis) are experiment tags with this prefix
# (MLflow 3.17); a view the UI cannot read is skipped, never an error.
RUNS_VIEW_PREFIX, RUNS_VIEW_ID = "mlflow.sharedViewState.", "selfplay"


class TrackingError(CampaignStopped):
    """The MLflow tracking store cannot be reached or refused a write."""


def resolve_tracking_uri(cli_uri: str | None, config_uri: str | None, output_dir: str) -> str:
    """--tracking-uri, then the config, then $MLFLOW_TRACKING_URI, then a sqlite file in output_dir.

    The default is set explicitly: left alone, MLflow falls back to a legacy file
    store whenever ./mlruns already holds data.
    """
    uri = cli_uri or config_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    return f"sqlite:///{Path(output_dir).expanduser().resolve() / 'mlflow.db'}"


def without_credentials(uri: str) -> str:
    """The URI with any user:password@ removed, safe to write into the run folder."""
    return re.sub(r"//[^/@]*@", "//", uri)


def is_tracking_failure(error: BaseException) -> bool:
    """An error from talking to the tracking store (MLflow refused a write, or the server is unreachable)."""
    from mlflow.exceptions import MlflowException

    names = {type(e).__name__ for e in _chain(error)}
    return any(isinstance(e, MlflowException) for e in _chain(error)) or bool(
        names & {"ConnectionError", "ConnectTimeout", "ReadTimeout", "MaxRetryError", "NewConnectionError"}
    )


def _chain(error: BaseException) -> list[BaseException]:
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def metric_name(name: str) -> str:
    """MLflow accepts only letters, digits, _ - . : / and spaces (so not `pass@1`)."""
    return _UNSAFE_METRIC_CHARACTERS.sub("_", name)


class Tracker:
    """A campaign's view of one MLflow tracking store."""

    enabled = True

    def __init__(self, tracking_uri: str, campaign: str, output_dir: str):
        from mlflow.tracking import MlflowClient

        self.uri = tracking_uri
        self.campaign = campaign
        self.client = MlflowClient(tracking_uri=tracking_uri)
        self.local_store = tracking_uri.startswith(("sqlite:", "file:")) or "://" not in tracking_uri
        self._check_reachable()
        self.experiment_id = self._experiment(output_dir)

    # -- runs ---------------------------------------------------------------------
    def parent_run(self, run_dir: str, run_id: str | None) -> str:
        """The campaign's parent run: the one recorded, else the one tagged with this run folder, else a new one."""
        if run_id is None:
            run_id = self._find({"selfplay.run_dir": str(Path(run_dir).resolve()), "selfplay.kind": "campaign"})
        if run_id is None:
            tags = {"selfplay.run_dir": str(Path(run_dir).resolve()), "selfplay.kind": "campaign"}
            run_id = self.client.create_run(self.experiment_id, run_name=self.campaign, tags=tags).info.run_id
        self.client.update_run(run_id, status="RUNNING")
        return run_id

    def generation_run(self, parent_run_id: str, generation: int, run_id: str | None) -> str:
        """The child run of `generation`, created once however often the campaign is resumed."""
        tags = {"mlflow.parentRunId": parent_run_id, "generation": str(generation), "selfplay.kind": "generation"}
        if run_id is None:
            run_id = self._find(tags)
        if run_id is None:
            run_id = self.client.create_run(self.experiment_id, run_name=f"generation-{generation}", tags=tags).info.run_id
        self.client.update_run(run_id, status="RUNNING")
        return run_id

    def finish(self, run_id: str | None, status: str = "FINISHED") -> None:
        if run_id is not None:
            self.client.set_terminated(run_id, status=status)

    # -- logging --------------------------------------------------------------------
    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Params are write-once in MLflow: logging the same value again (a resumed campaign) is fine."""
        from mlflow.entities import Param

        items = [Param(key, str(value)) for key, value in params.items()]
        for start in range(0, len(items), MAX_PARAMS_PER_BATCH):
            self.client.log_batch(run_id, params=items[start : start + MAX_PARAMS_PER_BATCH])

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int) -> None:
        from mlflow.entities import Metric

        timestamp = int(time.time() * 1000)
        items = [Metric(metric_name(k), float(v), timestamp, step) for k, v in metrics.items() if v is not None]
        for start in range(0, len(items), MAX_METRICS_PER_BATCH):
            self.client.log_batch(run_id, metrics=items[start : start + MAX_METRICS_PER_BATCH])

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(run_id, tags=[RunTag(key, str(value)) for key, value in tags.items()])

    def describe_run(self, run_id: str, markdown: str) -> None:
        """The run's description on its page in the UI (replaces the previous one)."""
        self.client.set_tag(run_id, DESCRIPTION_TAG, markdown)

    def describe_experiment(self, markdown: str) -> None:
        """The experiment's description, and the kind that makes the UI open it on its runs."""
        for key, value in {**EXPERIMENT_KIND, DESCRIPTION_TAG: markdown}.items():
            self.client.set_experiment_tag(self.experiment_id, key, value)

    def save_runs_view(self, name: str, state: Mapping[str, Any]) -> None:
        """The experiment's saved view RUNS_VIEW_ID of its runs list, listed under "Views" in the UI."""
        now = int(time.time() * 1000)
        value = json.dumps({"name": name, "createdAt": now, "updatedAt": now, "state": json.dumps(state)})
        self.client.set_experiment_tag(self.experiment_id, RUNS_VIEW_PREFIX + RUNS_VIEW_ID, value)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self.client.log_text(run_id, text, artifact_file)

    def log_table(self, run_id: str, rows: list[dict[str, Any]], artifact_file: str) -> None:
        """A table for the UI's artifact views; logged once per run (MLflow would append a second time's rows)."""
        import pandas

        if rows and not self._has_artifact(run_id, artifact_file):
            self.client.log_table(run_id, data=pandas.DataFrame(rows), artifact_file=artifact_file)

    def log_files(self, run_id: str, write: Callable[[Path], Any], artifact_path: str | None = None) -> None:
        """Upload what `write(folder)` puts in a fresh folder, replacing files of the same names."""
        with tempfile.TemporaryDirectory(prefix="selfplay-artifacts-") as folder:
            write(Path(folder))
            self.client.log_artifacts(run_id, folder, artifact_path)

    def latest_metrics(self, run_id: str, prefix: str = "") -> dict[str, float]:
        """The run's metrics whose names start with `prefix`, last value of each."""
        metrics = self.client.get_run(run_id).data.metrics
        return {key: value for key, value in metrics.items() if key.startswith(prefix)}

    def training_callback(self, run_id: str, step_offset: int = 0):
        """A transformers callback sending TRL's logged metrics to `run_id`, step = step_offset + optimizer step.

        The offset (the optimizer steps of the generations before) makes the
        generations' curves follow each other in the UI instead of overlaying.
        """
        from transformers import TrainerCallback

        tracker = self

        class MLflowMetrics(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                if state.is_world_process_zero:  # what the processes add up to, for comparing launches
                    global_batch = args.per_device_train_batch_size * args.world_size * args.gradient_accumulation_steps
                    metrics = {"train/world_size": args.world_size, "train/global_batch_size": global_batch}
                    tracker.log_metrics(run_id, metrics, step_offset)

            def on_log(self, args, state, control, logs=None, **kwargs):
                if state.is_world_process_zero and logs:
                    numeric = {k: v for k, v in logs.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
                    tracker.log_metrics(run_id, numeric, step=step_offset + state.global_step)

        return MLflowMetrics()

    # -- registry -------------------------------------------------------------------
    def register_model(self, run_id: str, write_model: Callable[[Path], Any], generation: int, description: str = "") -> str:
        """Log the MLflow model `write_model(folder)` saves as the run's `model`, register it, point `champion` at it.

        A version per run: a resumed campaign that logs the same generation again reuses it.
        """
        from mlflow.exceptions import MlflowException

        name = f"{self.campaign}-policy"
        existing = self.client.search_model_versions(f"name='{name}' and run_id='{run_id}'")
        if existing:
            version = existing[0].version
        else:
            self.log_files(run_id, lambda folder: write_model(folder / "model"))
            try:
                self.client.create_registered_model(name, description=f"The champion of each generation of campaign {self.campaign}.")
            except MlflowException:
                pass  # already registered by an earlier generation
            tags = {"generation": str(generation)}
            version = self.client.create_model_version(name, f"runs:/{run_id}/model", run_id, tags=tags,
                                                       description=description).version
        self.client.set_registered_model_alias(name, "champion", version)
        return str(version)

    # -- internals ------------------------------------------------------------------
    def _experiment(self, output_dir: str) -> str:
        experiment = self.client.get_experiment_by_name(self.campaign)
        if experiment is not None:
            if experiment.lifecycle_stage == "deleted":
                self.client.restore_experiment(experiment.experiment_id)
            return experiment.experiment_id
        location = None
        if self.local_store:  # keep artifacts beside the store, not in ./mlruns of whatever the cwd is
            location = (Path(output_dir).expanduser().resolve() / "mlartifacts" / self.campaign).as_uri()
        return self.client.create_experiment(self.campaign, artifact_location=location, tags=EXPERIMENT_KIND)

    def _has_artifact(self, run_id: str, artifact_file: str) -> bool:
        folder = str(Path(artifact_file).parent)
        listed = self.client.list_artifacts(run_id, None if folder == "." else folder)
        return any(item.path == artifact_file for item in listed)

    def _find(self, tags: Mapping[str, str]) -> str | None:
        query = " and ".join(f"tags.`{key}` = '{value}'" for key, value in tags.items())
        runs = self.client.search_runs([self.experiment_id], filter_string=query, max_results=1)
        return runs[0].info.run_id if runs else None

    def _check_reachable(self) -> None:
        """Fail before any training when a tracking server is down, instead of after a generation."""
        try:
            with _quick_http_failures():
                self.client.search_experiments(max_results=1)
        except Exception as error:  # any failure here means: cannot use this store
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise TrackingError(
                f"cannot reach the MLflow tracking store at {self.uri} ({first_line[:200]}); "
                "start the server or pass another --tracking-uri"
            ) from None


class NullTracker:
    """The tracker of a process that does not write (not the main one): every call does nothing."""

    enabled = False

    def parent_run(self, run_dir: str, run_id: str | None) -> None:
        return None

    def generation_run(self, parent_run_id: str | None, generation: int, run_id: str | None) -> None:
        return None

    def register_model(self, run_id: str | None, write_model: Callable[[Path], Any], generation: int, description: str = "") -> None:
        return None

    def latest_metrics(self, run_id: str | None, prefix: str = "") -> dict[str, float]:
        return {}

    def training_callback(self, run_id: str | None, step_offset: int = 0):
        from transformers import TrainerCallback

        return TrainerCallback()

    def _ignore(self, *args: Any, **kwargs: Any) -> None:
        return None

    finish = log_params = log_metrics = set_tags = describe_run = describe_experiment = save_runs_view = _ignore
    log_text = log_table = log_files = _ignore


@contextmanager
def _quick_http_failures() -> Iterator[None]:
    """MLflow retries HTTP requests for minutes by default; a preflight check should answer in seconds."""
    saved = {key: os.environ.get(key) for key in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "10"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
