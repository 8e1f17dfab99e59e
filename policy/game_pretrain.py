"""Generation 0 of a game campaign: the tiny model imitates the game's flawed teacher.

The game's teacher (`Game.teacher_move`) plays with a habit: tic-tac-toe's
never blocks, Nim's only looks at the largest heap, Connect Four's ignores
threats. The tiny model is trained from scratch, with TRL's SFTTrainer
exactly as policy/pretrain.py trains it on problems (its `_train`, which
stops once the imitator gives the teacher's move on `target_fidelity` of a
check set), on the teacher's move in positions from games between the
teacher and a random player: the teacher's own games alone visit few
positions, and the random side leads it into the threats it never answers.

    >>> result = pretrain_game(PolicyConfig(), PretrainConfig(), get_game("tictactoe"), prompt="board")

The result is cached like policy/pretrain.py's, keyed by everything that shapes it.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from env.games.game import Game, State
from policy.config import PolicyConfig, PretrainConfig
from policy.loader import Policy, load_policy
from policy.pretrain import _train
from policy.sampling import SamplingConfig, sample

RESULT_FILE = "selfplay_game_pretrain.json"
FORMAT_VERSION = 2  # bump when positions, prompts or training change, so old caches are not reused


@dataclass
class GamePretrainResult:
    folder: str
    fidelity: float  # share of held-out positions where the imitator's greedy move is the teacher's
    legal_rate: float  # share of them where its move is legal at all
    num_positions: int
    num_steps: int
    wall_time_s: float
    reused: bool = False


def position_prompt(game: Game, state: State, style: str) -> str:
    """What a model is asked at `state`: the game's whole prompt ("full"), the side and the board ("board"), or the
    side's name and the game's compact board ("compact")."""
    if style == "full":
        return game.prompt(state)
    side = game.side_names[game.to_move(state)]
    if style == "compact":
        return f"{side}\n{game.compact(state)}"
    return f"You play {side}.\n{game.describe(state)}"


def teacher_positions(game: Game, count: int, seed: int, split: str = "train") -> list[State]:
    """`count` positions (to move, game not over) from games of the teacher against a random player, both colours."""
    positions: list[State] = []
    index = 0
    while len(positions) < count:
        opening = game.opening(seed, index, split)
        rng = random.Random(f"game_pretrain:{game.name}:{split}:{seed}:{index}")
        teacher_side, state, plies = index % 2, opening.state, 0
        while game.outcome(state) is None and plies < game.max_moves and len(positions) < count:
            positions.append(state)
            if game.to_move(state) == teacher_side:
                move = game.teacher_move(state)
            else:
                legal = game.legal_moves(state)
                move = legal[rng.randrange(len(legal))]
            state, plies = game.apply(state, move), plies + 1
        index += 1
    return positions


def pretrain_game(policy_config: PolicyConfig, config: PretrainConfig, game: Game, prompt: str,
                  options: dict[str, Any] | None = None) -> GamePretrainResult:
    """Pretrain the tiny model on the teacher's moves, or reuse an identical earlier run. One process."""
    import datasets

    folder = _folder(policy_config, config, game, prompt, options or {})
    if (folder / RESULT_FILE).exists():
        return GamePretrainResult(**{**json.loads((folder / RESULT_FILE).read_text()), "reused": True})
    started = time.monotonic()
    policy = load_policy(policy_config, model="tiny")
    rows = [{"prompt": policy.prompt_format.model_input(position_prompt(game, state, prompt)),
             "completion": game.demonstration(state)}
            for state in teacher_positions(game, config.num_demonstrations, config.seed)]
    check = _FidelityCheck(policy, game, prompt, teacher_positions(game, config.num_check_problems, config.seed + 1, "eval"),
                           config.target_fidelity)
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)  # left over by a killed pretraining
    steps = _train(policy, datasets.Dataset.from_list(rows), config, staging, 1, check)
    policy.save(staging)
    held_out = teacher_positions(game, config.num_eval_problems, config.seed + 2, "eval")
    fidelity, legal_rate = _agreement(policy, game, prompt, held_out)
    result = GamePretrainResult(str(folder), fidelity, legal_rate, len(rows), steps, round(time.monotonic() - started, 1))
    (staging / RESULT_FILE).write_text(json.dumps({k: v for k, v in asdict(result).items() if k != "reused"}, indent=2))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)  # atomic: a killed pretraining never leaves a folder that looks finished
    return result


class _FidelityCheck:
    """Does the imitator play the teacher's moves yet (greedy, on held-out positions)? `_train` asks `passes()`."""

    def __init__(self, policy: Policy, game: Game, prompt: str, positions: list[State], target: float):
        self.policy, self.game, self.prompt, self.positions, self.target = policy, game, prompt, positions, target

    def passes(self) -> bool:
        return _agreement(self.policy, self.game, self.prompt, self.positions)[0] >= self.target


def _agreement(policy: Policy, game: Game, prompt: str, positions: list[State]) -> tuple[float, float]:
    """(share of greedy moves equal to the teacher's, share that are legal)."""
    budget = 2 * max(len(game.demonstration(state)) for state in positions) + 4
    completions = sample(policy, [position_prompt(game, state, prompt) for state in positions],
                         SamplingConfig(max_new_tokens=budget, temperature=0.0, batch_size=256))
    verdicts = [game.read_move(state, samples[0].text) for state, samples in zip(positions, completions)]
    same = [v.move == game.teacher_move(state) for v, state in zip(verdicts, positions)]
    return round(fmean(same), 4), round(fmean(v.legal for v in verdicts), 4)


def _folder(policy_config: PolicyConfig, config: PretrainConfig, game: Game, prompt: str, options: dict) -> Path:
    identity = {"version": FORMAT_VERSION, "tiny": asdict(policy_config.tiny), "pretrain": asdict(config),
                "game": game.name, "options": options, "prompt": prompt}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(policy_config.cache_dir).expanduser() / "pretrained" / f"tiny-game-{digest}"
