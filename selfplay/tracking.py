"""Everything selfplay records in MLflow: one experiment per campaign, a parent run, a child run per generation.

    parent run "quickstart"          params: the resolved config; eval/* with step = generation
      child run "generation-0"       tags: generation, promoted, champion_generation
      child run "generation-1"       TRL's training metrics, eval/*, rollouts and eval tables

Runs are addressed by id through MlflowClient (never "the active run"), and
found again by tags, so a resumed campaign continues its runs instead of
creating duplicates. Promoted generations become versions of the registered
model `<campaign>-policy`, and the alias `champion` follows them.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

MAX_PARAMS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
_UNSAFE_METRIC_CHARACTERS = re.compile(r"[^A-Za-z0-9_\-.:/ ]")


class TrackingError(RuntimeError):
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

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status=status)

    # -- logging --------------------------------------------------------------------
    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        from mlflow.entities import Param

        items = [Param(key, value) for key, value in params.items()]
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

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self.client.log_text(run_id, text, artifact_file)

    def log_table(self, run_id: str, rows: list[dict[str, Any]], artifact_file: str) -> None:
        """A table MLflow's UI shows in the run's Evaluation/Artifacts view (replaces an earlier one)."""
        import pandas

        if rows:
            self.client.log_table(run_id, data=pandas.DataFrame(rows), artifact_file=artifact_file)

    def training_callback(self, run_id: str):
        """A transformers callback sending TRL's logged metrics to `run_id`, step = optimizer step."""
        from transformers import TrainerCallback

        tracker = self

        class MLflowMetrics(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                if state.is_world_process_zero:  # what the processes add up to, for comparing launches
                    global_batch = args.per_device_train_batch_size * args.world_size * args.gradient_accumulation_steps
                    tracker.log_metrics(run_id, {"train/world_size": args.world_size, "train/global_batch_size": global_batch}, 0)

            def on_log(self, args, state, control, logs=None, **kwargs):
                if state.is_world_process_zero and logs:
                    numeric = {k: v for k, v in logs.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
                    tracker.log_metrics(run_id, numeric, step=state.global_step)

        return MLflowMetrics()

    # -- registry -------------------------------------------------------------------
    def register_champion(self, run_id: str, model_folder: str, generation: int) -> str:
        """Log the model folder, add it as a version of `<campaign>-policy`, point `champion` at it."""
        from mlflow.exceptions import MlflowException

        name = f"{self.campaign}-policy"
        existing = self.client.search_model_versions(f"name='{name}' and run_id='{run_id}'")
        if existing:
            version = existing[0].version
        else:
            self.client.log_artifacts(run_id, model_folder, artifact_path="model")
            try:
                self.client.create_registered_model(name)
            except MlflowException:
                pass  # already registered by an earlier generation
            source = f"{self.client.get_run(run_id).info.artifact_uri}/model"
            version = self.client.create_model_version(name, source, run_id, tags={"generation": str(generation)}).version
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
        return self.client.create_experiment(self.campaign, artifact_location=location)

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
