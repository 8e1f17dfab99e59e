"""Metrics from an evaluation, and the generation table of `selfplay compare` and the campaign's summary.

    $ selfplay compare quickstart
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.table import Table

from policy.evaluation import EvalResult


def eval_metrics(result: EvalResult) -> dict[str, float]:
    """eval/pass_at_1 etc. over all problems, per environment, and per environment and level."""
    metrics = _summary("eval", result)
    for env in sorted({row["env"] for row in result.rows}):
        per_env = result.subset(env=env)
        metrics[f"eval/{env}/pass_at_1"] = per_env.pass_at_1
        metrics[f"eval/{env}/pass_at_k"] = per_env.pass_at_k
        for difficulty in sorted({row["difficulty"] for row in per_env.rows}):
            per_level = per_env.subset(difficulty=difficulty)
            metrics[f"eval/{env}/{difficulty}/pass_at_1"] = per_level.pass_at_1
            metrics[f"eval/{env}/{difficulty}/pass_at_k"] = per_level.pass_at_k
    return metrics


def per_level_pass_at_1(result: EvalResult) -> dict[str, float]:
    """"env/difficulty" -> pass@1, what the curriculum reads."""
    levels = sorted({(row["env"], row["difficulty"]) for row in result.rows})
    return {f"{env}/{d}": result.subset(env=env, difficulty=d).pass_at_1 for env, d in levels}


def generations_table(records: Iterable[Any], title: str) -> Table:
    """One row per generation: promoted, pass@1, pass@k, reward, difficulty, gate result, wall time.

    "won-lost" counts the held-out problems only the candidate solved against
    those only the champion solved: what every gate test decides on.
    """
    table = Table("generation", "promoted", "champion", "pass@1", "pass@k", "reward", "difficulty", "won-lost", "p-value",
                  "wall time", title=title)
    for r in records:
        difficulty = ", ".join(f"{env} {level}" for env, level in sorted(r.difficulty.items()))
        p_value = "-" if r.p_value is None else f"{r.p_value:.3g}"
        won_lost = "-" if r.gate_wins is None else f"{r.gate_wins}-{r.gate_losses}"
        promoted = "[green]yes[/green]" if r.promoted else "[red]no[/red]"
        table.add_row(
            str(r.generation), promoted, str(r.champion_generation), f"{r.pass_at_1:.3f}", f"{r.pass_at_k:.3f}",
            f"{r.reward:.3f}", difficulty, won_lost, p_value, f"{r.elapsed_s:.0f} s",
        )
    return table


def _summary(prefix: str, result: EvalResult) -> dict[str, float]:
    return {
        f"{prefix}/pass_at_1": result.pass_at_1,
        f"{prefix}/pass_at_k": result.pass_at_k,
        f"{prefix}/reward": result.reward,
        f"{prefix}/length": result.length,
    }
