"""Metrics from an evaluation, and the generations table: in the console, in MLflow's descriptions, for scripts.

    $ selfplay compare quickstart
    $ selfplay compare quickstart --format csv
"""

from __future__ import annotations

from dataclasses import asdict
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


def gate_rule(test: str, significance: float, min_win_rate: float, min_margin: float) -> str:
    """What decided promotion, in words, for table headers: the p-value column is informative under other tests."""
    if test == "sign":
        return f"sign test, promoted when p < {significance}"
    if test == "win_rate":
        return f"win rate, promoted when the candidate wins >= {min_win_rate:.0%} of won-lost (p-value for reference)"
    if test == "margin":
        return f"margin, promoted when pass@1 gains >= {min_margin} (p-value for reference)"
    return "none, every candidate promoted"


def generations_table(records: Iterable[Any], title: str, gate: str | None = None) -> Table:
    """One row per generation: promoted, pass@1, pass@k, reward, difficulty, gate result, time.

    "won-lost" counts the held-out problems only the candidate solved against
    those only the champion solved: what every gate test decides on; `gate`
    (from `gate_rule`) names the test in the title. "time" is the generation's
    own wall time, "elapsed" the campaign's when it ended.
    """
    if gate:
        title = f"{title}\ngate: {gate}"
    table = Table("generation", "promoted", "champion", "pass@1", "pass@k", "reward", "difficulty", "won-lost", "p-value",
                  "time", "elapsed", title=title)
    for r in records:
        difficulty = ", ".join(f"{env} {level}" for env, level in sorted(r.difficulty.items()))
        p_value = "-" if r.p_value is None else f"{r.p_value:.3g}"
        promoted = "[green]yes[/green]" if r.promoted else "[red]no[/red]"
        table.add_row(
            str(r.generation), promoted, str(r.champion_generation), f"{r.pass_at_1:.3f}", f"{r.pass_at_k:.3f}",
            f"{r.reward:.3f}", difficulty, _won_lost(r), p_value, f"{r.wall_time_s:.0f} s", f"{r.elapsed_s:.0f} s",
        )
    return table


def generations_markdown(records: Iterable[Any]) -> str:
    """The generations as a Markdown table, pass@1 per environment and level (MLflow's run description)."""
    records = list(records)
    levels = sorted({key for r in records for key in r.per_level}, key=level_order)
    header = ["generation", "promoted", "pass@1", *(f"{key}" for key in levels), "won-lost", "p-value", "time"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in records:
        cells = [
            str(r.generation), "yes" if r.promoted else "no", f"{r.pass_at_1:.3f}",
            *(f"{r.per_level[key]:.3f}" if key in r.per_level else "-" for key in levels),
            _won_lost(r), "-" if r.p_value is None else f"{r.p_value:.3g}", f"{r.wall_time_s:.0f} s",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def generations_rows(records: Iterable[Any]) -> list[dict[str, Any]]:
    """One flat dict per generation, for `--format json|csv`: pass@1 per level as `pass_at_1/<env>/<level>`."""
    rows = []
    for r in records:
        row = asdict(r)
        per_level, difficulty = row.pop("per_level"), row.pop("difficulty")
        row.update({f"difficulty/{env}": level for env, level in sorted(difficulty.items())})
        row.update({f"pass_at_1/{key}": value for key, value in sorted(per_level.items(), key=lambda kv: level_order(kv[0]))})
        rows.append(row)
    return rows


def _won_lost(record: Any) -> str:
    return "-" if record.gate_wins is None else f"{record.gate_wins}-{record.gate_losses}"


def level_order(key: str) -> tuple[str, int]:
    """"arithmetic/10" after "arithmetic/9"."""
    env, _, level = key.rpartition("/")
    return (env, int(level)) if level.isdigit() else (key, 0)


def _summary(prefix: str, result: EvalResult) -> dict[str, float]:
    return {
        f"{prefix}/pass_at_1": result.pass_at_1,
        f"{prefix}/pass_at_k": result.pass_at_k,
        f"{prefix}/reward": result.reward,
        f"{prefix}/length": result.length,
    }
