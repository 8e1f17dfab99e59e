"""The format reward: is the answer where the prompt asked for it?

Range [0, 1]: 1 when the completion gives exactly one answer, in its
environment's answer format, at the very end; else 0. It pays nothing for
correctness, so give it a small weight: shaped rewards get farmed (a format
score rising while accuracy falls is a known failure), which is why each
component is logged on its own.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from env.environment import Environment
from rewards.columns import completion_text


def format_reward(environments: Mapping[str, Environment]) -> Callable[..., list[float]]:
    def well_formatted(completions: list[Any], **columns: Any) -> list[float]:
        """1 when exactly one answer stands at the end, in the environment's format."""
        env = columns.get("env")
        if env is None:
            raise KeyError("rewards: the dataset lacks the column 'env'; build it with selfplay's problem datasets")
        return [
            float(environments[name].answer_format.is_well_formatted(completion_text(completion)))
            for completion, name in zip(completions, env)
        ]

    return well_formatted
