"""Read a campaign back from MLflow, for `selfplay compare`: its generations, the teacher's accuracy, the gate.

    >>> history = campaign_from_mlflow("sqlite:///runs/mlflow.db", "quickstart")
    >>> history.records[-1].pass_at_1, history.gate

It reads the tracking store, not the run folder, so it works for campaigns run
on other machines against a shared tracking server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from env.errors import UserError
from selfplay.report import gate_rule
from selfplay.state import GenerationRecord


@dataclass
class CampaignHistory:
    records: list[GenerationRecord]
    teacher: dict[str, float] = field(default_factory=dict)  # "env/level" -> the pretraining teacher's accuracy
    gate: str | None = None  # the gate test, in words (None when the parent run has no config params)


def campaign_from_mlflow(tracking_uri: str, campaign: str) -> CampaignHistory:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name(campaign)
    if experiment is None:
        names = [e.name for e in client.search_experiments()]
        raise UserError(f"no campaign {campaign!r} in {tracking_uri} (campaigns: {', '.join(sorted(names)) or 'none'})")
    parents = client.search_runs([experiment.experiment_id], filter_string="tags.`selfplay.kind` = 'campaign'", max_results=1)
    history = CampaignHistory(generations_from_mlflow(tracking_uri, campaign))
    if parents:
        metrics, params = parents[0].data.metrics, parents[0].data.params
        history.teacher = {key[len("pretrain/"):-len("/teacher_accuracy")]: value for key, value in metrics.items()
                           if key.startswith("pretrain/") and key.endswith("/teacher_accuracy")}
        if "gate.test" in params:
            history.gate = gate_rule(params["gate.test"], float(params["gate.significance"]),
                                     float(params["gate.min_win_rate"]), float(params["gate.min_margin"]))
    return history


def generations_from_mlflow(tracking_uri: str, campaign: str) -> list[GenerationRecord]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name(campaign)
    if experiment is None:
        names = [e.name for e in client.search_experiments()]
        raise UserError(f"no campaign {campaign!r} in {tracking_uri} (campaigns: {', '.join(sorted(names)) or 'none'})")
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`selfplay.kind` = 'generation'")
    records = []
    for run in runs:
        metrics, tags = run.data.metrics, run.data.tags
        if "eval/pass_at_1" not in metrics:
            continue  # a generation still training
        difficulty = {
            key.split("/")[1]: int(value) for key, value in metrics.items()
            if key.startswith("curriculum/") and key.endswith("/difficulty")
        }
        per_level = {  # eval/<env>/<level>/pass_at_1
            key[len("eval/"):-len("/pass_at_1")]: value for key, value in metrics.items()
            if key.startswith("eval/") and key.endswith("/pass_at_1") and key.count("/") == 3
        }
        phases = sum(v for k, v in metrics.items() if k.startswith("time/"))  # campaigns logged before campaign/wall_time_s
        records.append(GenerationRecord(
            generation=int(tags["generation"]),
            promoted=tags.get("promoted") == "true",
            champion_generation=int(tags.get("champion_generation", tags["generation"])),
            pass_at_1=metrics["eval/pass_at_1"],
            pass_at_k=metrics.get("eval/pass_at_k", 0.0),
            reward=metrics.get("eval/reward", 0.0),
            length=metrics.get("eval/length", 0.0),
            p_value=metrics.get("gate/p_value"),
            gate_wins=_count(metrics.get("gate/wins")),
            gate_losses=_count(metrics.get("gate/losses")),
            difficulty=difficulty,
            per_level=per_level,
            wall_time_s=metrics.get("campaign/wall_time_s", phases),
            elapsed_s=metrics.get("campaign/elapsed_s", 0.0),
        ))
    return sorted(records, key=lambda record: record.generation)


def _count(value: float | None) -> int | None:
    """MLflow stores every metric as a float; a count reads back as an int."""
    return None if value is None else int(value)
