"""Elo ratings of every player from a list of game results, and the gate that promotes a candidate over the champion.

Pure Python (no torch, no MLflow), so a league of checkpoints and reference
opponents can be rated anywhere. A result is one game between two named
players; ratings are anchored so that the uniformly random player is 0, and a
draw counts as half a win for each side.

    >>> results = [GameResult("greedy", "random", 1.0), GameResult("random", "greedy", 0.5), ...]
    >>> fit_ratings(results)                       # {"random": 0.0, "greedy": 191.3, ...}
    >>> decide_match(results, candidate="generation_3", champion="generation_2")
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from env.games.game import GameRecord

ANCHOR = "random"  # the player rated 0
ELO_SCALE = 400 / math.log(10)  # Elo points per unit of natural-log strength: 400 points = 10:1 odds
PRIOR_DRAWS = 1.0  # virtual drawn games added between each pair of players that met (see fit_ratings)
TOLERANCE_ELO = 1e-6  # iteration stops when no rating moves by more than this
MAX_ITERATIONS = 100_000
MIN_WIN_RATE = 0.55  # AlphaGo Zero's gate: 55% of the games against the best player so far
MIN_DECISIVE_GAMES = 400  # ... over 400 games; here decisive games, as draws are not counted


@dataclass(frozen=True)
class GameResult:
    """One game: `first` played side 0, `second` side 1; `points` is first's score (1 win, 0.5 draw, 0 loss)."""

    first: str
    second: str
    points: float

    def __post_init__(self):
        if self.first == self.second:
            raise ValueError(f"GameResult: a player cannot play itself, got {self.first!r} twice")
        if self.points not in (0.0, 0.5, 1.0):
            raise ValueError(f"GameResult: points must be 1, 0.5 or 0 (first's score), got {self.points!r}")

    @classmethod
    def of(cls, record: GameRecord) -> "GameResult":
        """The result of a played game."""
        return cls(record.players[0], record.players[1], record.outcome.points(0))


def fit_ratings(results: Iterable[GameResult], anchor: str = ANCHOR, prior_draws: float = PRIOR_DRAWS) -> dict[str, float]:
    """Elo rating of every player: the Bradley-Terry maximum-likelihood fit of all results at once, anchor at 0.

    Why a batch fit and not sequential Elo updates: sequential updates depend on the
    order of the games and on a K-factor, and never settle for a fixed set of
    results (the last games always weigh most), so the ratings of frozen
    checkpoints would keep drifting as the league replays them. The batch fit
    (as in BayesElo and Ordo) uses every game equally, does not depend on
    order, and gives the ratings that make the observed results most likely
    under Elo's model, P(i beats j) = 1 / (1 + 10 ** ((R_j - R_i) / 400)).

    A player who never lost (perfect play against random) would have an
    infinite maximum-likelihood rating, so `prior_draws` virtual draws are added
    between each pair of players that met (BayesElo's prior): ratings stay
    finite, and with hundreds of real games the shift is a few points.

    The fit is Hunter's minorization-maximization iteration (2004): each step
    raises the likelihood, and it converges to the unique maximum. Draws count
    as half a win for each side. Every player must be connected to the anchor
    through games, or its rating would mean nothing; ValueError otherwise.
    """
    points: dict[str, float] = defaultdict(float)  # points scored, virtual draws included
    games: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # i -> j -> games played
    for result in results:
        a, b = result.first, result.second
        points[a] += result.points
        points[b] += 1.0 - result.points
        games[a][b] += 1.0
        games[b][a] += 1.0
    if anchor not in games:
        raise ValueError(f"ratings: the anchor {anchor!r} played no game; ratings are relative to it "
                         f"(players: {', '.join(sorted(games)) or 'none'})")
    _check_connected(games, anchor)
    for a in games:
        for b in games[a]:
            points[a] += prior_draws / 2
            games[a][b] += prior_draws / 2  # each pair is visited twice, once from each side

    strength = {player: 1.0 for player in games}  # exp(rating / ELO_SCALE)
    for _ in range(MAX_ITERATIONS):
        updated = {
            player: points[player] / sum(count / (strength[player] + strength[opponent])
                                         for opponent, count in games[player].items())
            for player in games
        }
        scale = updated[anchor]
        updated = {player: value / scale for player, value in updated.items()}
        change = max(abs(math.log(updated[p] / strength[p])) for p in games) * ELO_SCALE
        strength = updated
        if change < TOLERANCE_ELO:
            break
    return {player: ELO_SCALE * math.log(value) for player, value in sorted(strength.items())}


def _check_connected(games: dict[str, dict[str, float]], anchor: str) -> None:
    reached, frontier = {anchor}, [anchor]
    while frontier:
        for opponent in games[frontier.pop()]:
            if opponent not in reached:
                reached.add(opponent)
                frontier.append(opponent)
    unreached = sorted(set(games) - reached)
    if unreached:
        raise ValueError(f"ratings: {', '.join(unreached)} never played anyone connected to {anchor!r} through games; "
                         "their ratings cannot be compared")


def expected_points(rating: float, opponent_rating: float) -> float:
    """Elo's expected score of a player against an opponent (0.5 at equal ratings, about 0.64 at +100)."""
    return 1.0 / (1.0 + 10 ** ((opponent_rating - rating) / 400))


# -- the gate ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MatchDecision:
    promoted: bool
    wins: int  # games the candidate won against the champion
    losses: int
    draws: int  # reported, not counted
    win_rate: float  # wins / decisive games (0 when there were none)
    reason: str


def decide_match(
    results: Sequence[GameResult],
    candidate: str,
    champion: str,
    min_win_rate: float = MIN_WIN_RATE,
    min_decisive_games: int = MIN_DECISIVE_GAMES,
) -> MatchDecision:
    """Promote `candidate` when it wins >= min_win_rate of the decisive games against `champion`, over enough of them.

    Only games between the two count, and they must be played half with each
    colour (within one game): side 0 often has the advantage, and an unbalanced
    match would measure the colour rather than the player. Draws are reported,
    not counted, as in AlphaGo Zero's evaluator (whose 400 games had few draws;
    a drawish game needs more games to reach `min_decisive_games`).
    """
    if not 0.5 <= min_win_rate <= 1.0 or min_decisive_games < 1:
        raise ValueError(f"gate: need 0.5 <= min_win_rate <= 1 and min_decisive_games >= 1, "
                         f"got {min_win_rate} and {min_decisive_games}")
    match = [r for r in results if {r.first, r.second} == {candidate, champion}]
    if not match:
        raise ValueError(f"gate: no game between {candidate!r} and {champion!r}")
    as_first = sum(r.first == candidate for r in match)
    if abs(2 * as_first - len(match)) > 1:
        raise ValueError(f"gate: {candidate!r} played side 0 in {as_first} of {len(match)} games against "
                         f"{champion!r}; play half the games with each colour (alternate_colours)")
    scores = [r.points if r.first == candidate else 1.0 - r.points for r in match]
    wins, losses = scores.count(1.0), scores.count(0.0)
    draws = len(scores) - wins - losses
    decisive = wins + losses
    win_rate = wins / decisive if decisive else 0.0
    if decisive < min_decisive_games:
        promoted = False
        reason = f"only {decisive} decisive games of the {min_decisive_games} needed ({draws} draws)"
    else:
        promoted = win_rate >= min_win_rate
        reason = (f"won {wins} of {decisive} decisive games ({win_rate:.1%}) "
                  f"{'>=' if promoted else '<'} {min_win_rate:.0%}; {draws} draws not counted")
    return MatchDecision(promoted, wins, losses, draws, win_rate, reason)


def alternate_colours(candidate: str, champion: str, num_games: int) -> list[tuple[str, str]]:
    """(side 0, side 1) for each game of a gate match: the colours alternate, so each plays half with each."""
    return [(candidate, champion) if game % 2 == 0 else (champion, candidate) for game in range(num_games)]
