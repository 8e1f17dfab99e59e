"""The length reward: a soft penalty for overlong completions.

Range [0, 1]: 1 up to `soft_limit` tokens, falling linearly to 0 at
`hard_limit` (like DAPO's overlong shaping, shifted to [0, 1]). Tokens come
from TRL's `completion_ids`; without them (outside TRL) characters are counted.
"""

from __future__ import annotations

from typing import Any, Callable

from rewards.columns import completion_text


def length_reward(soft_limit: int = 64, hard_limit: int = 128) -> Callable[..., list[float]]:
    if not 0 < soft_limit < hard_limit:
        raise ValueError(f"within_length: need 0 < soft_limit < hard_limit, got {soft_limit} and {hard_limit}")

    def within_length(completions: list[Any], completion_ids: list[list[int]] | None = None, **_: Any) -> list[float]:
        """1 up to soft_limit tokens, linearly down to 0 at hard_limit."""
        if completion_ids is not None:
            lengths = [len(ids) for ids in completion_ids]
        else:
            lengths = [len(completion_text(completion)) for completion in completions]
        return [min(1.0, max(0.0, (hard_limit - n) / (hard_limit - soft_limit))) for n in lengths]

    return within_length
