"""Turn what TRL hands a reward function back into problems and completion texts.

TRL calls a reward function with the completions and every dataset column as a
list per column. The training dataset is built from `Problem.to_row()`, except
that TRL needs the `prompt` column for the formatted model input (plain text or
chat messages), so the problem's own prompt travels as `problem_prompt`.
"""

from __future__ import annotations

from typing import Any, Sequence

from env.problem import Problem

REQUIRED_COLUMNS = ("env", "difficulty", "split", "seed", "index", "question", "answer", "key", "inputs")


def completion_text(completion: Any) -> str:
    """The text of one completion: a string, or the assistant message of a conversational completion."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content") or "")
    raise TypeError(f"rewards: cannot read a completion of type {type(completion).__name__}")


def problems_from_columns(count: int, columns: dict[str, Sequence[Any]]) -> list[Problem]:
    """Rebuild the Problem behind each of `count` completions from TRL's column lists."""
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise KeyError(
            f"rewards: the dataset lacks columns {missing}; build it with selfplay's problem datasets "
            "(Environment.dataset or selfplay.data), which carry every Problem field"
        )
    prompts = columns.get("problem_prompt") or [""] * count
    return [
        Problem.from_row({**{name: columns[name][i] for name in REQUIRED_COLUMNS}, "prompt": prompts[i]})
        for i in range(count)
    ]
