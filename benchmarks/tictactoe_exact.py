"""Tic-tac-toe champions measured exactly: every line of play enumerated, no sampling noise.

    $ python benchmarks/tictactoe_exact.py RUN_DIR [RUN_DIR ...]     # seconds per run
    $ python benchmarks/tictactoe_exact.py --ceilings                # what labels alone could reach

The campaign's evaluation samples 200 games against each opponent, so a win
share near 0.95 moves by +-0.015 from one set of games to another. A greedy
champion is deterministic and tic-tac-toe small, so its results are exact:
against the uniformly random player, the probability of a win over every
random line (as X, as O, and their mean: the expected share of the campaign's
"random from start" games); against perfect play, the probability of a loss
when the perfect player picks uniformly among its best moves, as the
reference player does (0 means no line of perfect play beats it).

`--ceilings` gives the same figures for policies with no model: minimax with
random tie-breaks; the search labels of `game.distill` (first of equals, and
with `tie_break_playouts`); and the best any player can do against random
without ever losing to perfect play.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from functools import lru_cache
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from env.games import get_game  # noqa: E402
from env.games.search import SearchValues  # noqa: E402
from selfplay.league import LEAGUE_FILE  # noqa: E402

GAME = get_game("tictactoe", answer_format="answer_line")
PERFECT = GAME.player("perfect")
EMPTY = GAME.initial_state(random.Random(0))
Policy = Callable[[object], list[tuple[object, float]]]  # state -> [(move, probability)]; move None: illegal


def win_probability(policy: Policy, side: int) -> float:
    """The probability that `policy`, playing `side`, beats the uniformly random player from the empty board."""
    return _wins_against_random(side, lambda state, wins: sum(
        p * (wins(GAME.apply(state, move)) if move is not None else 0.0) for move, p in policy(state)))


def _wins_against_random(side: int, own_turn: Callable) -> float:
    """The win probability of `side` against uniformly random replies; `own_turn(state, wins)` values its turns."""

    @lru_cache(maxsize=None)
    def wins(state) -> float:
        outcome = GAME.outcome(state)
        if outcome is not None:
            return float(outcome.winner == side)
        if GAME.to_move(state) == side:
            return own_turn(state, wins)
        moves = GAME.legal_moves(state)
        return sum(wins(GAME.apply(state, move)) for move in moves) / len(moves)

    return wins(EMPTY)


def loss_probability(policy: Policy, side: int) -> float:
    """The probability that the perfect player (uniform among its best moves) beats `policy` playing `side`."""

    @lru_cache(maxsize=None)
    def losses(state) -> float:
        outcome = GAME.outcome(state)
        if outcome is not None:
            return float(outcome.winner == 1 - side)
        if GAME.to_move(state) == side:
            return sum(p * (losses(GAME.apply(state, move)) if move is not None else 1.0) for move, p in policy(state))
        values = PERFECT.move_values(state)
        best = [move for move, value in values.items() if value == max(values.values())]
        return sum(losses(GAME.apply(state, move)) for move in best) / len(best)

    return losses(EMPTY)


def reachable(side: int, opponent_moves: Callable) -> list:
    """Every position where `side` is to move in some game against an opponent choosing among `opponent_moves`,
    `side` itself playing any legal move (a superset of what one policy meets; asked of a model in one batch)."""
    seen, frontier, mine = set(), [EMPTY], []
    while frontier:
        state = frontier.pop()
        if state in seen or GAME.outcome(state) is not None:
            continue
        seen.add(state)
        if GAME.to_move(state) == side:
            mine.append(state)
            frontier += [GAME.apply(state, move) for move in GAME.legal_moves(state)]
        else:
            frontier += [GAME.apply(state, move) for move in opponent_moves(state)]
    return mine


def model_policy(run_dir: Path, folder: str) -> Policy:
    """The greedy move of the model in `folder` (of campaign `run_dir`) at every position either side can meet,
    read as the campaign reads it."""
    from policy.loader import load_policy
    from selfplay.config_loader import load_run_config
    from selfplay.game_play import ModelPlayer

    config = load_run_config(str(run_dir))
    player = ModelPlayer("champion", load_policy(config.policy, model=folder), config.game.prompt, 0.0,
                         config.train.max_completion_length)
    states = list(dict.fromkeys(s for side in (0, 1) for s in reachable(side, GAME.legal_moves)))
    replies = player.completions(GAME, states, seed=0)
    moves = {state: GAME.read_move(state, reply).move for state, reply in zip(states, replies)}
    return lambda state: [(moves[state], 1.0)]


def label_policy(tie_break_playouts: int, simulations: int = 1000, seed: int = 0) -> Policy:
    from selfplay.game_distill import best_move

    values = SearchValues(GAME, simulations, seed)
    return lambda state: [(best_move(GAME, values, state, tie_break_playouts), 1.0)]


def minimax_policy(state) -> list:
    values = PERFECT.move_values(state)
    best = [move for move, value in values.items() if value == max(values.values())]
    return [(move, 1 / len(best)) for move in best]


def best_safe_win_probability(side: int) -> float:
    """The most any player that never loses to perfect play can win against random: among its minimax-best
    moves it always takes the one with the highest such probability."""
    return _wins_against_random(side, lambda state, wins: max(
        wins(GAME.apply(state, move)) for move, _ in minimax_policy(state)))


def figures(policy: Policy) -> dict:
    x, o = win_probability(policy, 0), win_probability(policy, 1)
    return {"wins vs random": {"X": round(x, 4), "O": round(o, 4), "mean": round((x + o) / 2, 4)},
            "losses vs perfect": {"X": round(loss_probability(policy, 0), 4), "O": round(loss_probability(policy, 1), 4)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", type=Path, help="tic-tac-toe campaign folders (runs/tictactoe)")
    parser.add_argument("--ceilings", action="store_true")
    args = parser.parse_args(argv)
    if args.ceilings:
        print("minimax, random tie-breaks:", figures(minimax_policy))
        for playouts in (0, 512):
            print(f"search labels, tie_break_playouts={playouts}:", figures(label_policy(playouts)))
        x, o = best_safe_win_probability(0), best_safe_win_probability(1)
        print(f"best possible without a loss to perfect play: wins vs random as X {x:.4f}, as O {o:.4f}, mean {(x + o) / 2:.4f}")
    for run_dir in args.runs:
        league = json.loads((run_dir / LEAGUE_FILE).read_text())
        for champion in league["champions"]:  # generation 0, then each promoted one
            print(f"{run_dir} {champion}:", figures(model_policy(run_dir, league["folders"][champion])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
