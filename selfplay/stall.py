"""Stall detection: a campaign that stops improving says so and applies the remedy its config names.

    >>> detect_stall(history, StallSettings(patience=2), current={"arithmetic": 2}, threshold=0.9)
    Stall(reason='2 candidates rejected in a row', remedy='continue_from_candidate')

Two signs, each over the last `patience` generations: every candidate was
rejected by the gate, or a level the curriculum is on (below its advance
threshold) did not gain `min_gain` in the champion's pass@1. Remedies, for
the next generation only:

    continue_from_candidate  train from the latest (rejected) candidate instead
                             of the champion; the gate still judges against the
                             champion, so nothing worse is ever promoted
    more_steps               train `step_factor` times as many GRPO steps
    lower_learning_rate      train at `learning_rate_factor` times the rate
    none                     only report it

AlphaGo Zero kept training one network whatever the gate said; the gate only
chose who generated the games. `continue_from_candidate` is that, applied
when the campaign would otherwise repeat a generation that just failed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from selfplay.config import StallSettings, TrainSettings
from selfplay.state import GenerationRecord


@dataclass(frozen=True)
class Stall:
    reason: str  # what was seen, for the console and MLflow
    remedy: str  # one of the remedies above


def detect_stall(
    history: Sequence[GenerationRecord], settings: StallSettings, current: dict[str, int], threshold: float
) -> Stall | None:
    """A Stall when the last `patience` generations show no progress; `history` includes the latest one."""
    gated = [record for record in history if record.generation > 0]
    if settings.patience < 1 or len(gated) < settings.patience:
        return None
    recent = gated[-settings.patience :]
    if not any(record.promoted for record in recent):
        return Stall(f"{settings.patience} candidates rejected in a row", settings.remedy)
    for env, level in current.items():
        key = f"{env}/{level}"
        before = _champion_score(history, recent[0].generation - 1, key)
        now = _champion_score(history, recent[-1].generation, key)
        moved_here = any(record.difficulty.get(env) != level for record in recent)
        if before is None or now is None or moved_here or now >= threshold:
            continue
        if now - before < settings.min_gain:
            return Stall(f"{key} moved {now - before:+.3f} in {settings.patience} generations (at {now:.3f})", settings.remedy)
    return None


def remedied_train_settings(train: TrainSettings, settings: StallSettings, remedy: str | None) -> TrainSettings:
    """The training settings for a generation under `remedy` (None: as configured)."""
    if remedy == "more_steps":
        return replace(train, max_steps=max(1, round(train.max_steps * settings.step_factor)))
    if remedy == "lower_learning_rate":
        return replace(train, learning_rate=train.learning_rate * settings.learning_rate_factor)
    return train


def _champion_score(history: Sequence[GenerationRecord], generation: int, key: str) -> float | None:
    """The champion's pass@1 at `key` right after `generation`'s gate."""
    by_generation = {record.generation: record for record in history}
    if generation not in by_generation:
        return None
    champion = by_generation.get(by_generation[generation].champion_generation)
    return None if champion is None else champion.per_level.get(key)
