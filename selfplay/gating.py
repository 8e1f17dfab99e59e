"""Champion gating: a candidate replaces the champion only if it beats it on the same held-out problems.

AlphaGo Zero promoted a checkpoint only when it won 55% of 400 games against
the best player so far. Here the "games" are held-out problems, and the
comparison is paired: only problems where exactly one of the two is right
count. Tests:
    sign      one-sided sign test on those problems, p < significance
    win_rate  the candidate wins at least `min_win_rate` of them (AlphaGo Zero: 0.55)
    margin    pass@1 gain of at least `min_margin` (and above 0)
    none      always promote (AlphaZero dropped the gate)

With `mastered_at` and the level of every problem, mastered levels (the
champion at or above it) are not where the candidate is judged: the test
runs on the other levels' problems, and falling below `mastered_at` at a
mastered level rejects the candidate. Noise on what is mastered cannot then
cancel a gain where there is still something to learn, and forgetting still
counts.

    >>> decide(GateSettings(test="sign"), candidate={"a": True, "b": True}, champion={"a": False, "b": True})
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import comb

from selfplay.config import GateSettings


@dataclass(frozen=True)
class GateDecision:
    promoted: bool
    wins: int  # problems only the candidate solves
    losses: int  # problems only the champion solves
    p_value: float  # the sign test's, computed whatever the test, so gate/p_value is always logged
    reason: str


def decide(
    settings: GateSettings, candidate: dict[str, bool], champion: dict[str, bool], level_of: dict[str, str] | None = None
) -> GateDecision:
    """Compare per-problem correctness on the problems both were evaluated on; `level_of` maps a problem to its level."""
    shared = sorted(set(candidate) & set(champion))
    if not shared:
        raise ValueError("gate: the candidate and the champion share no evaluated problems")
    if settings.mastered_at is not None and level_of and settings.test != "none":
        split = _judge_unmastered(settings, candidate, champion, shared, level_of)
        if split is not None:
            return split
    return _test(settings, candidate, champion, shared)


def _judge_unmastered(
    settings: GateSettings, candidate: dict[str, bool], champion: dict[str, bool], shared: list[str], level_of: dict[str, str]
) -> GateDecision | None:
    """The decision when some levels are mastered and others not; None when all or none are."""
    by_level: dict[str, list[str]] = {}
    for problem in shared:
        by_level.setdefault(level_of[problem], []).append(problem)
    rate = {name: {level: sum(results[p] for p in problems) / len(problems) for level, problems in by_level.items()}
            for name, results in (("champion", champion), ("candidate", candidate))}
    mastered = sorted(level for level in by_level if rate["champion"][level] >= settings.mastered_at)
    if not mastered or len(mastered) == len(by_level):
        return None
    forgotten = [level for level in mastered if rate["candidate"][level] < settings.mastered_at]
    if forgotten:
        wins = sum(candidate[p] and not champion[p] for p in shared)
        losses = sum(champion[p] and not candidate[p] for p in shared)
        detail = ", ".join(f"{level} {rate['champion'][level]:.3f} -> {rate['candidate'][level]:.3f}" for level in forgotten)
        return GateDecision(False, wins, losses, sign_test_p_value(wins, losses),
                            f"forgets mastered {detail} (below {settings.mastered_at})")
    learning = [p for p in shared if level_of[p] not in mastered]
    decision = _test(settings, candidate, champion, learning)
    unmastered = ", ".join(sorted(set(by_level) - set(mastered)))
    return replace(decision, reason=f"{decision.reason} on unmastered {unmastered}; mastered {', '.join(mastered)} kept")


def _test(settings: GateSettings, candidate: dict[str, bool], champion: dict[str, bool], shared: list[str]) -> GateDecision:
    """The configured test over the problems in `shared`."""
    wins = sum(candidate[p] and not champion[p] for p in shared)
    losses = sum(champion[p] and not candidate[p] for p in shared)
    p_value = sign_test_p_value(wins, losses)
    gain = (wins - losses) / len(shared)
    if settings.test == "none":
        return GateDecision(True, wins, losses, p_value, "gate disabled")
    if settings.test == "sign":
        promoted = p_value < settings.significance
        reason = f"sign test p={p_value:.4f} {'<' if promoted else '>='} {settings.significance}"
    elif settings.test == "win_rate":
        rate = wins / (wins + losses) if wins + losses else 0.0
        promoted = wins + losses > 0 and rate >= settings.min_win_rate
        reason = f"win rate {rate:.3f} ({wins}/{wins + losses}) vs required {settings.min_win_rate}"
    else:
        promoted = gain > 0 and gain >= settings.min_margin
        reason = f"pass@1 gain {gain:+.4f} vs required {settings.min_margin}"
    return GateDecision(promoted, wins, losses, p_value, reason)


def sign_test_p_value(wins: int, losses: int) -> float:
    """P(at least `wins` of wins+losses fair coin flips), the one-sided sign test; 1.0 with no discordant pairs."""
    trials = wins + losses
    if trials == 0:
        return 1.0
    return sum(comb(trials, k) for k in range(wins, trials + 1)) / 2**trials
