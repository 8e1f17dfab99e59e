"""The league of a game campaign: its champions, every game result, the ratings, saved as RUN_DIR/league.json.

    >>> league = League.load(run_dir)              # or League(game="tictactoe")
    >>> league.opponent(rng, latest_probability=0.5, reference_players=["random", "greedy"])
    'generation_2'
    >>> league.ratings()                           # Elo, random = 0 (selfplay/ratings.py)

Members are named `generation_N`; reference opponents by their own names
(random, greedy, perfect, ...). Every game between two different players
goes into `results` and so into the ratings: training games against league
opponents, evaluation games against reference players, the gate's matches.
`selfplay league RUN_DIR` prints `table()`.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from env.games.game import GameRecord
from selfplay.ratings import ANCHOR, GameResult, expected_points, fit_ratings

LEAGUE_FILE = "league.json"


def member_name(generation: int) -> str:
    return f"generation_{generation}"


@dataclass
class GenerationSummary:
    """One generation's line in the league table and its MLflow run."""

    generation: int
    player: str  # member_name(generation)
    promoted: bool
    champion_generation: int  # the champion after this generation's gate
    vs: dict[str, dict[str, float]] = field(default_factory=dict)  # opponent -> games, wins, draws, losses, score, illegal
    gate: dict[str, Any] = field(default_factory=dict)  # wins, losses, draws, win_rate, reason (empty for generation 0)
    illegal_rate: float = 0.0  # share of the candidate's moves refused in its evaluation games
    train: dict[str, float] = field(default_factory=dict)  # positions, reward, illegal rate of the sampled moves
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    rating: float | None = None  # at the time it was judged; `League.ratings()` refits all


@dataclass
class League:
    game: str
    champions: list[str] = field(default_factory=list)  # promoted members, oldest first; the last is the champion
    folders: dict[str, str] = field(default_factory=dict)  # member -> model folder
    results: list[list[Any]] = field(default_factory=list)  # [first, second, points of first], every rated game
    generations: list[GenerationSummary] = field(default_factory=list)

    # -- members ------------------------------------------------------------------
    @property
    def champion(self) -> str:
        return self.champions[-1]

    def promote(self, name: str, folder: str) -> None:
        self.folders[name] = folder
        if name not in self.champions:
            self.champions.append(name)

    def opponent(self, rng: random.Random, latest_probability: float, reference_players: Sequence[str],
                 weights: dict[str, float] | None = None) -> str:
        """The league's sampling rule: the latest champion with `latest_probability`, else one of the rest,
        uniformly or in proportion to `weights` (`hard_weights`).

        "The rest" is the earlier champions and the reference players; with none
        of them (generation 1 and no reference players) it is the champion.
        """
        others = self.champions[:-1] + list(reference_players)
        if not others or rng.random() < latest_probability:
            return self.champion
        if weights is None:
            return others[rng.randrange(len(others))]
        return rng.choices(others, [weights[name] for name in others])[0]

    def hard_weights(self, reference_players: Sequence[str]) -> dict[str, float]:
        """The rest -> (1 - x)^2, x the champion's expected score against it from the league's Elo: AlphaStar's
        prioritized fictitious self-play ("hard"), so most games go to the opponents it still loses to. An
        opponent without a rating yet counts as even (x = 0.5)."""
        ratings = self.ratings()
        champion = ratings.get(self.champion)
        weights = {}
        for name in self.champions[:-1] + list(reference_players):
            known = champion is not None and name in ratings
            expected = expected_points(champion, ratings[name]) if known else 0.5
            weights[name] = (1.0 - expected) ** 2
        return weights

    # -- results and ratings -------------------------------------------------------
    def record(self, records: Sequence[GameRecord]) -> None:
        """Add the results of games between two different players (self-play games rate nobody)."""
        for record in records:
            if record.players[0] != record.players[1]:
                self.results.append([record.players[0], record.players[1], record.outcome.points(0)])

    def ratings(self) -> dict[str, float]:
        """Every player's Elo from every game so far, random = 0; players not connected to random are left out."""
        results = [GameResult(first, second, points) for first, second, points in self.results]
        if not any(ANCHOR in (r.first, r.second) for r in results):
            return {}
        connected = _connected(results, ANCHOR)
        return fit_ratings([r for r in results if r.first in connected])

    # -- the table -----------------------------------------------------------------
    def table(self) -> tuple[list[str], list[list[str]]]:
        """(columns, rows): generation, rating, promoted, champion, score vs each reference opponent, gate, illegal."""
        ratings = self.ratings()
        opponents = list(dict.fromkeys(name for summary in self.generations for name in summary.vs))
        columns = ["generation", "rating", "promoted", "champion", *(f"vs {name}" for name in opponents), "gate", "illegal"]
        rows = []
        for summary in self.generations:
            rating = ratings.get(summary.player)
            scores = [_score(summary.vs.get(name)) for name in opponents]
            gate = summary.gate
            won_lost = f"{gate['wins']}-{gate['losses']} ({gate['draws']} draws)" if gate else "-"
            rows.append([str(summary.generation), "-" if rating is None else f"{rating:.0f}",
                         "yes" if summary.promoted else "no", str(summary.champion_generation), *scores, won_lost,
                         f"{summary.illegal_rate:.3f}"])
        return columns, rows

    # -- on disk ---------------------------------------------------------------------
    def save(self, run_dir: str | Path) -> None:
        """Written atomically, like the state: a kill mid-write leaves the previous league."""
        data = asdict(self)
        data["ratings"] = self.ratings()  # for readers of the file; recomputed from `results` on load
        path = Path(run_dir) / LEAGUE_FILE
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(data, indent=1))
        temporary.replace(path)

    @classmethod
    def load(cls, run_dir: str | Path) -> "League":
        data = json.loads((Path(run_dir) / LEAGUE_FILE).read_text())
        data.pop("ratings", None)
        data["generations"] = [GenerationSummary(**summary) for summary in data.get("generations", [])]
        return cls(**data)


def score_against(records: Sequence[GameRecord], player: str) -> dict[str, float]:
    """`player`'s games, wins, draws, losses, mean points and illegal moves (games lost by one) in `records`."""
    points = [record.points(player) for record in records]
    illegal = sum(1 for r in records if r.illegal is not None and r.players[r.illegal.side] == player)
    return {"games": len(points), "wins": points.count(1.0), "draws": points.count(0.5), "losses": points.count(0.0),
            "score": round(sum(points) / len(points), 4) if points else 0.0, "illegal": illegal}


def avoidable_losses(game: Any, judge: Any, starts: Sequence[Any], records: Sequence[GameRecord], player: str) -> int:
    """`player`'s losses from an opening it was not already lost in under perfect play (`judge.value`, the points of
    the side to move): a random opening of a few moves can leave a side lost, and losing it then is no fault."""
    lost = 0
    for start, record in zip(starts, records):
        side = record.players.index(player)
        value = judge.value(start)
        not_lost = (value if game.to_move(start) == side else 1.0 - value) > 0.0
        lost += not_lost and record.points(player) == 0.0
    return lost


def _score(result: dict[str, float] | None) -> str:
    if not result:
        return "-"
    return f"{result['score']:.2f} ({int(result['wins'])}/{int(result['draws'])}/{int(result['losses'])})"


def _connected(results: Sequence[GameResult], anchor: str) -> set[str]:
    neighbours: dict[str, set[str]] = {}
    for r in results:
        neighbours.setdefault(r.first, set()).add(r.second)
        neighbours.setdefault(r.second, set()).add(r.first)
    reached, frontier = {anchor}, [anchor]
    while frontier:
        for other in neighbours.get(frontier.pop(), ()):
            if other not in reached:
                reached.add(other)
                frontier.append(other)
    return reached
