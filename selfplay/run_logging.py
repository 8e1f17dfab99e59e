"""What a campaign writes to MLflow, run by run: the parent run, each generation's run, the registry.

    >>> parent = open_campaign(tracker, config, run_dir, parent_run_id=None)
    >>> run_id = log_generation(tracker, parent, None, record, result, rollouts, gate="win rate 0.62", params={...})

The campaign loop (selfplay/campaign.py) calls these after a phase's result is
on disk, and passes what to log; each function returns the run ids it created,
which the campaign keeps in its state so a resume continues the same runs. A
`NullTracker` (processes other than the main one, which write nothing) makes
every call here do nothing. The MLflow client itself is wrapped by
selfplay/tracking.py; what goes where:

  experiment    tag mlflow.experimentKind (the UI opens on the runs) and a description
  parent run    the resolved config as params and config.yaml (once); eval/*, curriculum/*, gate/*
                with step = generation; a description with the generations table; improvement.png
  generation    tag and metric `generation`; params that differ between generations (seed, levels,
                the model it started from); eval/*, TRL's metrics; tables eval_results.json and
                rollouts.json; if promoted, the model (transformers flavor), registered
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from rich.console import Console

from policy.evaluation import EvalResult
from selfplay.config import CampaignConfig
from selfplay.config_loader import flatten, to_yaml
from selfplay.improvement_plot import HTML_NAME, PNG_NAME, write_html, write_png
from selfplay.report import eval_metrics, gate_rule, generations_markdown, level_order
from selfplay.state import CONFIG_FILE, GenerationRecord

EVAL_TABLE, ROLLOUT_TABLE = "eval_results.json", "rollouts.json"


def open_campaign(tracker: Any, config: CampaignConfig, run_dir: Path, parent_run_id: str | None) -> str | None:
    """The parent run (found again, or new) with the full config; returns its id."""
    parent_run_id = tracker.parent_run(str(run_dir), parent_run_id)
    tracker.log_params(parent_run_id, flatten(config))
    tracker.log_text(parent_run_id, to_yaml(config), CONFIG_FILE)
    return parent_run_id


def generation_run(tracker: Any, parent_run_id: str | None, generation: int, run_id: str | None) -> str | None:
    """The generation's child run: `run_id` if known, else the one tagged with the generation, else a new one."""
    return tracker.generation_run(parent_run_id, generation, run_id)


def log_pretraining(tracker: Any, parent_run_id: str | None, pass_at_1: dict[str, float], teacher: dict[str, float]) -> None:
    """The pretrained model's and its teacher's held-out accuracy per "env/level" (the plot's reference lines)."""
    metrics = {f"pretrain/{key}/pass_at_1": value for key, value in pass_at_1.items()}
    metrics.update({f"pretrain/{key}/teacher_accuracy": value for key, value in teacher.items()})
    tracker.log_metrics(parent_run_id, metrics, step=0)


def log_generation(tracker: Any, parent_run_id: str | None, run_id: str | None, record: GenerationRecord,
                   result: EvalResult, rollouts: list[dict[str, Any]], gate: str, params: dict[str, Any],
                   extra: dict[str, float] | None = None, problems: Sequence[dict[str, Any]] = ()) -> str | None:
    """The generation's results in its run and, with step = generation, on the parent; returns its run id.

    `params` are only what differs between generations; `gate` is the gate's
    verdict in words; `problems` the training problems, which give each
    rollout its level. The run stays open for the model (`register_champion`).
    """
    run_id = generation_run(tracker, parent_run_id, record.generation, run_id)
    metrics = {"generation": record.generation, **eval_metrics(result)}
    metrics.update({f"curriculum/{env}/difficulty": level for env, level in record.difficulty.items()})
    metrics.update({"campaign/wall_time_s": record.wall_time_s, "campaign/elapsed_s": record.elapsed_s})
    if record.p_value is not None:
        metrics.update({"gate/p_value": record.p_value, "gate/wins": record.gate_wins, "gate/losses": record.gate_losses})
    metrics["gate/promoted"] = float(record.promoted)
    metrics.update(extra or {})
    tracker.log_params(run_id, params)
    tracker.log_metrics(run_id, metrics, step=record.generation)
    tracker.set_tags(run_id, {
        "generation": record.generation, "promoted": str(record.promoted).lower(),
        "champion_generation": record.champion_generation, "gate": gate,
    })
    tracker.log_table(run_id, eval_table(result, record.generation), EVAL_TABLE)
    tracker.log_table(run_id, rollout_table(rollouts, record.generation, problems), ROLLOUT_TABLE)
    tracker.log_metrics(parent_run_id, {**metrics, "champion/generation": record.champion_generation}, step=record.generation)
    return run_id


def register_champion(tracker: Any, run_id: str | None, model_folder: str, generation: int, mode: str | None,
                      prompt: str, max_new_tokens: int, campaign: str, pass_at_1: float | None = None) -> str | None:
    """The promoted model as an MLflow transformers model in its run, a version of `<campaign>-policy`, alias champion."""
    if mode is None or not Path(model_folder).is_dir():
        return None
    from selfplay.mlflow_model import save_mlflow_model

    score = "" if pass_at_1 is None else f", held-out pass@1 {pass_at_1:.3f}"
    summary = f"The champion after generation {generation} of the selfplay campaign {campaign}{score}."
    if mode == "reference":
        summary += f" The weights are not in the store: they stay in {Path(model_folder).resolve()}."
    card = f"# {campaign}-policy, generation {generation}\n\n{summary}\n"
    return tracker.register_model(run_id, lambda path: save_mlflow_model(
        model_folder, path, mode, prompt, max_new_tokens, card), generation, summary)


def summarize(tracker: Any, parent_run_id: str | None, config: CampaignConfig, run_dir: Path,
              history: Sequence[GenerationRecord], status: str) -> None:
    """Refresh the experiment's and the parent run's descriptions and improvement.png (after every generation)."""
    teacher = {key[len("pretrain/"):-len("/teacher_accuracy")]: value
               for key, value in tracker.latest_metrics(parent_run_id, "pretrain/").items()
               if key.endswith("/teacher_accuracy")}
    overview = campaign_overview(config, run_dir, history, status)
    tracker.describe_experiment(overview)
    tracker.save_runs_view("generations", runs_view(history, parent_run_id))
    table = generations_markdown(history) if history else "No generation has finished yet."
    # Relative to the UI's address (with or without a path prefix): the server's artifact endpoint.
    plot = f"![held-out pass@1 by generation](get-artifact?path={PNG_NAME}&run_uuid={parent_run_id})" if history else ""
    tracker.describe_run(parent_run_id, f"{overview}\n\n### Generations\n\n{table}\n\n{plot}\n")
    if history:
        title = f"campaign {config.name}: held-out pass@1 by generation"
        tracker.log_files(parent_run_id, lambda folder: (write_png(folder / PNG_NAME, history, teacher, title),
                                                         write_html(folder / HTML_NAME, history, teacher, title)))


def runs_view(history: Sequence[GenerationRecord], parent_run_id: str | None) -> dict[str, Any]:
    """The runs list as one reads a campaign: by generation, promoted, pass@1 overall and per level, the gate, time.

    Charts plot against the metric `generation`. The UI keeps column choices in
    the browser; this state is what it restores when the view is opened.
    """
    levels = sorted({key for r in history for key in r.per_level}, key=level_order)
    metrics = ["generation", "eval/pass_at_1", *(f"eval/{key}/pass_at_1" for key in levels), "gate/wins", "gate/losses",
               "campaign/wall_time_s"]
    columns = [f"metrics.`{metrics[0]}`", "tags.`promoted`", *(f"metrics.`{name}`" for name in metrics[1:])]
    return {
        "searchFilter": "", "orderByKey": "metrics.`generation`", "orderByAsc": True, "startTime": "ALL",
        "lifecycleFilter": "Active", "datasetsFilter": [], "modelVersionFilter": "All Runs",
        "selectedColumns": columns, "columnOrder": columns, "columnWidths": {column: 150 for column in columns},
        "runsExpanded": {parent_run_id: True} if parent_run_id else {}, "runsHiddenMode": "SHOW_ALL",
        "viewMaximized": False, "runListHidden": False, "isAccordionReordered": False, "useGroupedValuesInCharts": True,
        "hideEmptyCharts": True, "groupBy": None, "groupsExpanded": {},
        "globalLineChartConfig": {"xAxisKey": "metric", "lineSmoothness": 0, "selectedXAxisMetricKey": "generation"},
    }


def campaign_overview(config: CampaignConfig, run_dir: Path, history: Sequence[GenerationRecord], status: str) -> str:
    """What was trained on what, the champion, and how to continue, as Markdown."""
    environments = ", ".join(
        f"{entry.name} (from level {entry.start_difficulty}"
        + (f" to {entry.max_difficulty})" if entry.max_difficulty else ")") for entry in config.environments
    )
    model = "the tiny model, pretrained by imitating a systematically wrong teacher" if config.policy.model == "tiny" \
        else f"`{config.policy.model}`"
    algorithm = config.train.algorithm.upper()
    steps = f"{config.train.max_steps} {algorithm} steps" + (", after expert iteration" if config.expert_iteration.enabled else "")
    g = config.gate
    lines = [
        f"**{config.name}**: {model}, trained on {environments}; {config.generations} generations of {steps} each.",
        f"Gate: {gate_rule(g.test, g.significance, g.min_win_rate, g.min_margin)}.",
    ]
    if history:
        champion = next((r for r in reversed(history) if r.promoted), history[0])
        registered = f" (`models:/{config.name}-policy@champion`)" if config.tracking.registration else ""
        lines.append(f"Champion: generation {champion.generation}, held-out pass@1 {champion.pass_at_1:.3f}{registered}; "
                     f"{len(history) - 1} of {config.generations} generations done, status {status}.")
    lines.append(f"Continue or repeat: `selfplay resume {Path(run_dir).resolve()}`; "
                 f"compare: `selfplay compare {config.name}`.")
    return "\n\n".join(lines)


def eval_table(result: EvalResult, generation: int) -> list[dict[str, Any]]:
    """Per-problem results: problem, level, prompt, completion, correct, reward per component."""
    rows = []
    for row in result.rows:
        rewards = {key: value for key, value in row.items() if key.startswith("reward_")}
        rows.append({
            "generation": generation, "problem_id": row["problem_id"], "env": row["env"], "level": row["difficulty"],
            "prompt": row["prompt"], "answer": row["answer"], "completion": row["completion"], "correct": row["correct"],
            "reward": row["reward"], **rewards, "pass_at_k": row["pass_at_k"], "num_tokens": row["num_tokens"],
        })
    return rows


def rollout_table(rollouts: list[dict[str, Any]], generation: int, problems: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """TRL's last rollouts of the generation (prompt, completion, one column per reward, advantage), with env and level.

    TRL records the prompt as the model saw it (plain text and a newline, or a
    chat); the problem is the one among this generation's training `problems`
    (rows of selection.json) whose prompt it contains.
    """
    by_prompt = {problem["prompt"]: problem for problem in problems}
    rows = []
    for rollout in rollouts:
        shown = str(rollout.get("prompt", ""))
        problem = by_prompt.get(shown.rstrip("\n")) or next((p for text, p in by_prompt.items() if text in shown), None)
        where = {"env": problem["env"], "level": problem["difficulty"]} if problem else {"env": None, "level": None}
        rows.append({"generation": generation, **where, **rollout})
    return rows


def finish(tracker: Any, run_ids: Sequence[str | None], status: str = "FINISHED") -> None:
    for run_id in run_ids:
        tracker.finish(run_id, status)


def mark_stopped(tracker: Any, run_ids: Sequence[str | None], status: str) -> None:
    """No run is left RUNNING forever; the store may be what failed, so a failure here only warns."""
    try:
        finish(tracker, run_ids, status)
    except Exception as error:  # the state on disk is what resume needs
        Console(stderr=True).print(f"[yellow]could not mark the MLflow runs {status}: {str(error).splitlines()[0][:200]}[/yellow]")
