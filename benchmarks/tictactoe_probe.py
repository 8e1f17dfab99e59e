"""Where tic-tac-toe self-improvement stops: a model's play against perfect play, and how well the tiny model can learn it.

    $ python benchmarks/tictactoe_probe.py check MODEL_FOLDER
    $ python benchmarks/tictactoe_probe.py distill MODEL_FOLDER --positions 4000 --steps 600 --lr 2e-3
    $ python benchmarks/tictactoe_probe.py distill fresh --positions 8000 --steps 1500 --lr 2e-3
    $ python benchmarks/tictactoe_probe.py labels --positions 2000 --simulations 200 1000 5000

`check` plays the model (greedy) against the perfect and the random player,
200 games each from the empty board and from held-out openings, half with
each colour. A random opening of 1-4 moves can already be lost, so a loss
counts as *avoidable* only when the model's side was not lost at the opening
under perfect play: "never loses to perfect play" means 0 avoidable losses.

`distill` asks whether the model can learn perfect play at all, whatever the
credit scheme: it fine-tunes MODEL_FOLDER (or, with `fresh`, a tiny model from
scratch: `--size small` 64 x 2 layers, `medium` 96 x 3, `large` 128 x 4) with TRL's SFTTrainer on positions from
teacher-vs-random games labelled with the best move by the rules-only search
(env/games/search.py, `--simulations`, default 200), then runs `check`.

`labels` asks whether the search's labels are right: on positions from
teacher-vs-random games, the share where the search's best move (for each
number of simulations) is not a perfect-play move, and the seconds it took.
Figures are written by hand to benchmarks/RESULTS.md (section "games").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from env.games.opponents import MinimaxPlayer  # noqa: E402
from env.games.registry import get_game  # noqa: E402
from env.games.search import SearchValues  # noqa: E402
from selfplay.game_distill import best_move, best_moves  # noqa: E402

GAME_OPTIONS = {"answer_format": "answer_line"}  # as configs/tictactoe.yaml
SMALL_TINY = {"hidden_size": 64, "num_layers": 2, "num_heads": 2, "intermediate_size": 192, "max_length": 128}
LARGE_TINY = {"hidden_size": 128, "num_layers": 4, "num_heads": 4, "intermediate_size": 384, "max_length": 128}
MEDIUM_TINY = {"hidden_size": 96, "num_layers": 3, "num_heads": 4, "intermediate_size": 288, "max_length": 128}
SIZES = {"small": SMALL_TINY, "medium": MEDIUM_TINY, "large": LARGE_TINY}


def check(model_folder: str, prompt: str = "board", games: int = 200, seed: int = 0) -> dict:
    """Greedy play against perfect and random, from the empty board and from held-out openings."""
    from policy.config import PolicyConfig
    from policy.loader import load_policy
    from selfplay.game_play import ModelPlayer, play_games, start_at
    from selfplay.league import avoidable_losses, score_against

    game = get_game("tictactoe", **GAME_OPTIONS)
    model = ModelPlayer("model", load_policy(PolicyConfig(model="tiny"), model=model_folder), prompt, 0.0, 12)
    judge = MinimaxPlayer(game, 0)
    empty = start_at(game, game.initial_state(None))
    openings = game.openings(games // 2, seed, split="eval")
    results = {}
    for opponent in ("perfect", "random"):
        players = {"model": model, opponent: game.player(opponent, seed=f"probe:{seed}")}
        for where, starts in (("empty board", [empty] * (games // 2)), ("held-out openings", openings)):
            matches = [(o, "model", opponent) for o in starts] + [(o, opponent, "model") for o in starts]
            records = play_games(game, matches, players, seed)
            score = score_against(records, "model")
            score["avoidable_losses"] = avoidable_losses(game, judge, [o.state for o, _, _ in matches], records, "model")
            results[f"{where} vs {opponent}"] = score
    return results


def labels(positions: int, simulations: list[int]) -> dict:
    """How often the search's best move loses value against perfect play, per number of simulations."""
    from policy.game_pretrain import teacher_positions

    game = get_game("tictactoe", **GAME_OPTIONS)
    judge = MinimaxPlayer(game, 0)
    states = [state for state in teacher_positions(game, positions, 0) if game.outcome(state) is None]
    result = {"positions": len(states)}
    for count in simulations:
        search = SearchValues(game, count, 0)
        started = time.perf_counter()
        wrong = 0
        for state in states:
            values = judge.move_values(state)
            wrong += values[best_move(game, search, state)] < max(values.values())
        result[f"{count} simulations"] = {"not perfect": wrong, "share": round(wrong / len(states), 3),
                                          "seconds": round(time.perf_counter() - started, 1)}
    return result


def distill(source: str, positions: int, steps: int, learning_rate: float, simulations: int = 200,
            prompt: str = "board", size: str = "large", targets: str = "first", batch_size: int = 64) -> dict:
    """SFT on search-labelled positions, then `check`."""
    import datasets

    from policy.config import PolicyConfig, PretrainConfig, TinyModelConfig
    from policy.game_pretrain import position_prompt, teacher_positions
    from policy.loader import load_policy
    from policy.pretrain import _train

    game = get_game("tictactoe", **GAME_OPTIONS)
    search = SearchValues(game, simulations, 0)
    if source == "fresh":
        policy = load_policy(PolicyConfig(model="tiny", tiny=TinyModelConfig(**SIZES[size])), model="tiny")
    else:
        policy = load_policy(PolicyConfig(model="tiny"), model=source)
    states = all_positions(game) if positions == 0 else teacher_positions(game, positions, 0)
    rows = [{"prompt": policy.prompt_format.model_input(position_prompt(game, state, prompt)),
             "completion": game.answer_format.render(game.render_move(move))}
            for state in states
            for move in (best_moves(game, search, state) if targets == "all" else [best_move(game, search, state)])]
    output = Path(tempfile.mkdtemp(prefix="selfplay-distill-"))

    class Never:  # train all `steps`: no early stop
        def passes(self):
            return False

    started = time.perf_counter()
    _train(policy, datasets.Dataset.from_list(rows), PretrainConfig(max_steps=steps, batch_size=batch_size, learning_rate=learning_rate,
                                                                     check_every_steps=10**9), output, 1, Never())
    seconds = time.perf_counter() - started
    policy.save(output / "model")
    result = {"positions": positions, "rows": len(rows), "steps": steps, "batch_size": batch_size, "sft_s": round(seconds, 1), **check(str(output / "model"), prompt)}
    shutil.rmtree(output, ignore_errors=True)
    return result


def all_positions(game) -> list:
    """Every position reachable from the empty board with the game not over (4,520 for tic-tac-toe)."""
    seen, frontier = {}, [game.initial_state(None)]
    while frontier:
        state = frontier.pop()
        if state in seen or game.outcome(state) is not None:
            continue
        seen[state] = True
        frontier += [game.apply(state, move) for move in game.legal_moves(state)]
    return list(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "distill", "labels"])
    parser.add_argument("model", nargs="?", default="fresh", help="a tic-tac-toe model folder (a champion, a pretrained imitator), or `fresh` for distill")
    parser.add_argument("--positions", type=int, default=4000, help="teacher-game positions; 0: every reachable position")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--simulations", type=int, nargs="+", default=[200], help="search simulations (distill: the first)")
    parser.add_argument("--prompt", choices=["board", "compact"], default="board", help="the game.prompt style the model reads")
    parser.add_argument("--targets", choices=["first", "all"], default="first",
                        help="each position's first best move, or a row for each of its equally best moves")
    parser.add_argument("--size", choices=sorted(SIZES), default="large", help="the fresh tiny model for distill")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    if args.command == "check":
        result = check(args.model, args.prompt)
    elif args.command == "labels":
        result = labels(args.positions, args.simulations)
    else:
        result = distill(args.model, args.positions, args.steps, args.lr, args.simulations[0], args.prompt, args.size, args.targets,
                         args.batch_size)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
