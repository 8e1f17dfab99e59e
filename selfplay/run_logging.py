"""What a campaign writes to MLflow, run by run: the parent run, each generation's run, the registry.

The campaign loop (selfplay/campaign.py) calls these at the end of each phase,
after the phase's result is on disk; the MLflow client itself is wrapped by
selfplay/tracking.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from policy.evaluation import EvalResult
from selfplay import distributed
from selfplay.config_loader import flatten, to_yaml
from selfplay.report import eval_metrics
from selfplay.state import CONFIG_FILE, GenerationRecord

if TYPE_CHECKING:
    from selfplay.campaign import Campaign


def open_parent_run(campaign: Campaign) -> None:
    if campaign.tracker is None:
        return
    state = campaign.state
    state.parent_run_id = campaign.tracker.parent_run(str(campaign.run_dir), state.parent_run_id)
    campaign.save_state()
    campaign.tracker.log_params(state.parent_run_id, flatten(campaign.config))
    campaign.tracker.log_text(state.parent_run_id, to_yaml(campaign.config), CONFIG_FILE)


def generation_run_id(campaign: Campaign, generation: int) -> str | None:
    """The generation's child run, created on first use and remembered in the state."""
    if campaign.tracker is None:
        return None
    state, key = campaign.state, str(generation)
    run_id = campaign.tracker.generation_run(state.parent_run_id, generation, state.generation_run_ids.get(key))
    if state.generation_run_ids.get(key) != run_id:
        state.generation_run_ids[key] = run_id
        campaign.save_state()
    return run_id


def log_generation(campaign: Campaign, record: GenerationRecord, result: EvalResult, rollouts: list,
                    gate_reason: str, extra: dict[str, float] | None = None) -> None:
    tracker = campaign.tracker
    if tracker is None:
        return
    run_id = generation_run_id(campaign, record.generation)
    metrics = eval_metrics(result)
    metrics.update({f"curriculum/{env}/difficulty": level for env, level in record.difficulty.items()})
    metrics["campaign/elapsed_s"] = record.elapsed_s
    if record.p_value is not None:
        metrics.update({"gate/p_value": record.p_value, "gate/wins": record.gate_wins, "gate/losses": record.gate_losses})
    metrics.update(extra or {})
    tracker.log_params(run_id, flatten(campaign.config))
    tracker.log_metrics(run_id, metrics, step=record.generation)
    tracker.set_tags(run_id, {
        "generation": record.generation, "promoted": str(record.promoted).lower(),
        "champion_generation": record.champion_generation, "gate": gate_reason,
    })
    tracker.log_text(run_id, to_yaml(campaign.config), CONFIG_FILE)
    tracker.log_table(run_id, result.rows, "eval_results.json")
    tracker.log_table(run_id, rollouts, "rollouts.json")
    champion_metrics = {"champion/generation": record.champion_generation}
    tracker.log_metrics(campaign.state.parent_run_id, {**metrics, **champion_metrics}, step=record.generation)
    if record.promoted and campaign.config.tracking.register_model:
        model_folder = campaign.state.champion_folder
        if Path(model_folder).is_dir():
            tracker.register_champion(run_id, model_folder, record.generation)
    tracker.finish(run_id)


def mark_stopped(campaign: Campaign, status: str) -> None:
    """No run is left RUNNING forever: a stopped campaign marks its runs, resume reopens them."""
    campaign.state.status = "failed" if status == "FAILED" else "stopped"
    campaign.save_state()
    tracker, state = campaign.tracker, campaign.state
    if tracker is None:
        return
    try:
        current = state.generation_run_ids.get(str(state.generation))
        for run_id in filter(None, [current, state.parent_run_id]):
            tracker.finish(run_id, status)
    except Exception as error:  # the store may be what failed; the state on disk is what resume needs
        if distributed.is_main_process():
            Console(stderr=True).print(f"[yellow]could not mark the MLflow runs {status}: {str(error).splitlines()[0][:200]}[/yellow]")
