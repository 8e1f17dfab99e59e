"""Do a position and its mirror image get the same distillation label? Read from a game campaign's run folder.

    $ python benchmarks/mirror_labels.py runs/connect-four --generation 4      # a few seconds

`game.distill.symmetries` trains the champion on every position and its
symmetric images, each labelled by its own search (selfplay/game_distill.py
`best_move`). The game is symmetric, so the right label of a mirror image
is the mirrored label; where it is not, the model is taught two moves that
contradict each other. This reads the generation's and its replayed
generation's positions and stored search values (generations/N/positions.json
and search_values.json, written with `game.distill.reuse_search`), labels up
to `--pairs` mirror pairs as distillation did, and prints how often they
agree: as labels, and as sets of best moves (search noise alone, before the
tie-break, the first of equal moves in column order, which is not mirrored).
`--symmetric` labels them as `game.distill.symmetric_labels: true` does.
Games whose symmetries are not a left-right mirror of numbered columns
(tic-tac-toe's 8) are not handled. Figures are written by hand to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from env.games.registry import get_game  # noqa: E402
from env.games.search import SearchValues  # noqa: E402
from selfplay.config_loader import load_config  # noqa: E402
from selfplay.game_campaign import game_positions  # noqa: E402
from selfplay.game_distill import best_move, best_moves  # noqa: E402


def mirror_agreement(run_dir: Path, generation: int, num_pairs: int, symmetric: bool) -> dict[str, float]:
    """Label agreement between positions and their mirror images, over up to `num_pairs` pairs."""
    config = load_config(str(run_dir / "config.yaml"))
    game = get_game(config.game.name, **config.game.options)
    seed = config.seed * 100_003 + generation  # the generation seed the campaign searched with
    values = SearchValues(game, config.game.reward.search_simulations, seed, symmetric=symmetric)
    folders = [run_dir / "generations" / f"{g:04d}"
               for g in range(max(1, generation - config.game.distill.replay_generations), generation + 1)]
    states = []
    for folder in folders:
        values.recall(json.loads((folder / "search_values.json").read_text())["values"])
        states += game_positions(game, json.loads((folder / "positions.json").read_text()))
    states = [state for state in dict.fromkeys(states) if game.outcome(state) is None]
    pairs = [tuple(game.symmetries(state)) for state in states if len(game.symmetries(state)) == 2]
    random.Random(0).shuffle(pairs)
    pairs = pairs[:num_pairs]

    def mirrored(move: int) -> int:
        return game.columns + 1 - move

    labels = sum(mirrored(best_move(game, values, a)) == best_move(game, values, b) for a, b in pairs)
    sets = sum({mirrored(m) for m in best_moves(game, values, a)} == set(best_moves(game, values, b)) for a, b in pairs)
    return {"pairs": len(pairs), "same_label": labels / len(pairs), "same_best_moves": sets / len(pairs),
            "searched_anew": len(values.searched())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--generation", type=int, required=True)
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--symmetric", action="store_true", help="label as game.distill.symmetric_labels does")
    args = parser.parse_args(argv)
    figures = mirror_agreement(args.run_dir, args.generation, args.pairs, args.symmetric)
    print(f"generation {args.generation}{' (symmetric labels)' if args.symmetric else ''}: {figures['pairs']} mirror pairs; the mirror's label is the mirrored label in "
          f"{figures['same_label']:.3f}, the same best moves in {figures['same_best_moves']:.3f}; "
          f"{figures['searched_anew']} positions searched anew (not in the stored values)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
