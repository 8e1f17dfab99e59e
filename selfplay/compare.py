"""Read a campaign's generations back from MLflow, for `selfplay compare`.

    >>> records = generations_from_mlflow("sqlite:///runs/mlflow.db", "quickstart")

It reads the tracking store, not the run folder, so it works for campaigns run
on other machines against a shared tracking server.
"""

from __future__ import annotations

from selfplay.state import GenerationRecord


def generations_from_mlflow(tracking_uri: str, campaign: str) -> list[GenerationRecord]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name(campaign)
    if experiment is None:
        names = [e.name for e in client.search_experiments()]
        raise KeyError(f"no campaign {campaign!r} in {tracking_uri} (campaigns: {', '.join(sorted(names)) or 'none'})")
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
            wall_time_s=sum(v for k, v in metrics.items() if k.startswith("time/")),
            elapsed_s=metrics.get("campaign/elapsed_s", 0.0),
        ))
    return sorted(records, key=lambda record: record.generation)


def _count(value: float | None) -> int | None:
    """MLflow stores every metric as a float; a count reads back as an int."""
    return None if value is None else int(value)
