"""How strong are the search-distillation labels themselves: the label as a player against a reference opponent.

    $ python benchmarks/search_labels.py                                  # Connect Four, about 1 minute on 2 cores
    $ python benchmarks/search_labels.py --game connect_four --simulations 64 100 200 400 --games 40

`game.distill` teaches the champion the move of best searched value
(selfplay/game_distill.py: `best_move`); a champion that fitted every label
would play exactly this player. Its score against `--opponent` (points per
game, win 1, draw 0.5) from held-out openings, half with each colour, is the
ceiling that distillation at `--simulations` can reach, and the seconds it
took say what the labels cost. Figures are written by hand to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from env.games.game import play_game  # noqa: E402
from env.games.registry import get_game  # noqa: E402
from env.games.search import SearchValues  # noqa: E402
from selfplay.game_distill import best_move  # noqa: E402
from selfplay.league import score_against  # noqa: E402


def label_score(game_name: str, simulations: int, opponent: str, games: int, seed: int = 0) -> tuple[float, float, int]:
    """(points per game of the label player, seconds, positions searched) over `games` held-out openings."""
    game = get_game(game_name)
    values = SearchValues(game, simulations, seed=seed)

    def label(state):
        return best_move(game, values, state)

    started, records = time.perf_counter(), []
    for index in range(games):
        other = game.player(opponent, seed=f"labels:{index}")
        players, names = ([label, other], ("label", opponent)) if index % 2 == 0 else ([other, label], (opponent, "label"))
        records.append(play_game(game, game.opening(seed, index, "eval"), players, names))
    return score_against(records, "label")["score"], time.perf_counter() - started, len(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="connect_four")
    parser.add_argument("--opponent", default="greedy")
    parser.add_argument("--simulations", type=int, nargs="+", default=[64, 100, 200, 400])
    parser.add_argument("--games", type=int, default=40)
    args = parser.parse_args(argv)
    print(f"{args.game}: the search's label as a player against {args.opponent}, {args.games} held-out openings")
    for simulations in args.simulations:
        score, seconds, positions = label_score(args.game, simulations, args.opponent, args.games)
        print(f"  {simulations:5d} simulations: {score:.3f} points per game, {seconds:.0f} s, "
              f"{positions} positions searched ({1000 * seconds / positions:.1f} ms each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
