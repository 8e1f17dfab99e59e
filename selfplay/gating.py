"""Champion gating: a candidate replaces the champion only if it beats it on the same held-out problems.

AlphaGo Zero promoted a checkpoint only when it won 55% of 400 games against
the best player so far. Here the "games" are held-out problems, and the
comparison is paired: only problems where exactly one of the two is right
count. Tests:
    sign      one-sided sign test on those problems, p < significance
    win_rate  the candidate wins at least `min_win_rate` of them (AlphaGo Zero: 0.55)
    margin    pass@1 gain of at least `min_margin` (and above 0)
    none      always promote (AlphaZero dropped the gate)

    >>> decide(GateSettings(test="sign"), candidate={"a": True, "b": True}, champion={"a": False, "b": True})
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

from selfplay.config import GateSettings


@dataclass(frozen=True)
class GateDecision:
    promoted: bool
    wins: int  # problems only the candidate solves
    losses: int  # problems only the champion solves
    p_value: float  # the sign test's, computed whatever the test, so gate/p_value is always logged
    reason: str


def decide(settings: GateSettings, candidate: dict[str, bool], champion: dict[str, bool]) -> GateDecision:
    """Compare per-problem correctness on the problems both were evaluated on."""
    shared = sorted(set(candidate) & set(champion))
    if not shared:
        raise ValueError("gate: the candidate and the champion share no evaluated problems")
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
