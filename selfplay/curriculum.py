"""The curriculum: per environment, move up a level once the champion masters the current one.

    >>> next_difficulty({"arithmetic": 1}, {"arithmetic/1": 0.96}, {"arithmetic": 3}, threshold=0.9)
    {'arithmetic': 2}

Easy levels first is one of the known ways past GRPO's sharpening ceiling: a
skill learned where the policy can sample it (carrying on 2-digit sums) then
transfers to a level where it rarely could.
"""

from __future__ import annotations


def next_difficulty(
    current: dict[str, int], champion_pass_at_1: dict[str, float], max_difficulty: dict[str, int], threshold: float
) -> dict[str, int]:
    """The levels for the next generation; `champion_pass_at_1` is keyed "env/difficulty"."""
    updated = {}
    for env, level in current.items():
        mastered = champion_pass_at_1.get(f"{env}/{level}", 0.0) >= threshold
        updated[env] = level + 1 if mastered and level < max_difficulty[env] else level
    return updated
