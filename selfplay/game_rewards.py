"""The reward of a game campaign: each sampled move, scored by playing the game on from it (or by a tree search).

    >>> reward = PlayoutReward(game, positions, players, continuation="generation_2", num_playouts=2)
    >>> trainer = GRPOTrainer(..., reward_funcs=[reward.function()], train_dataset=rows)  # logged as rewards/game_outcome/mean

Range [illegal_reward, 1]. A move that cannot be read or is illegal scores
`illegal_reward` (0 by default: it would lose the game), and its reason is
counted. A legal move that ends the game scores its outcome for the mover (1
win, 0.5 draw, 0 loss). Otherwise the game is played on `num_playouts` times:
the mover's later moves by the continuation player (the frozen champion,
sampled), the other side by the position's league opponent; the reward is
the mover's mean points. This is per-move credit from the outcome, the
simplest verifiable reward: no value network, no solver, the same code for
every game; its noise shrinks with more playouts, and the group of moves
sampled at one position share the opponent and the continuation, so GRPO's
group-relative advantage compares moves, not opponents.

With `credit="search"` no model plays on: a legal move that does not end the
game scores the Monte-Carlo tree search value of the position after it for
the mover (env/games/search.py: UCT with random rollouts over the game's
rules, as AlphaGo's rollouts), `search_simulations` simulations each,
remembered per position for the reward's life; `players` is never used.

Why the champion continues for the mover, not the policy being trained: the
champion is fixed for the generation, so a move's reward does not drift as
the policy changes, and all playouts of a step are one batched generate per
ply (selfplay/game_play.py), whatever the opponents.

Untrusted model text never raises here (`Game.read_move`); a game's reader
that raises is counted as an error apart from the model's illegal moves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from env.games.game import Game, State
from env.games.search import SearchValues
from selfplay.game_config import CREDITS
from selfplay.game_play import play_games, start_at

MAX_REASONS = 20  # distinct illegal-move reasons kept (a model can invent endless ones)


@dataclass
class RewardStats:
    """What the reward saw in a generation: moves scored, refused (and why), the mean reward."""

    moves: int = 0
    illegal: int = 0
    reader_errors: int = 0
    total: float = 0.0
    reasons: Counter = field(default_factory=Counter)

    def as_metrics(self) -> dict[str, float]:
        return {"train/moves_scored": self.moves, "train/illegal_rate": self.illegal / max(self.moves, 1),
                "train/reader_errors": self.reader_errors, "train/mean_reward": self.total / max(self.moves, 1)}


class PlayoutReward:
    """Scores completions at `positions[i]` (the dataset's `position` column); see the module docstring."""

    def __init__(self, game: Game, positions: Sequence[tuple[State, str]], players: dict[str, Any], continuation: str,
                 num_playouts: int, illegal_reward: float = 0.0, seed: int = 0, credit: str = "playouts",
                 search_simulations: int = 200, symmetric_search: bool = False):
        if credit not in CREDITS:
            raise ValueError(f"PlayoutReward: credit must be one of {', '.join(CREDITS)}; got {credit!r}")
        self.game, self.positions, self.players = game, positions, players  # positions: (state, opponent's name)
        self.continuation, self.num_playouts, self.illegal_reward = continuation, num_playouts, illegal_reward
        self.seed, self.calls, self.stats = seed, 0, RewardStats()
        self.search = SearchValues(game, search_simulations, seed, symmetric=symmetric_search) if credit == "search" else None

    def __call__(self, completions: Sequence[Any], position: Sequence[int], **_: Any) -> list[float]:
        game, rewards, playouts = self.game, [0.0] * len(completions), []
        for i, (completion, index) in enumerate(zip(completions, position)):
            state, opponent = self.positions[index]
            mover = game.to_move(state)
            verdict = game.read_move(state, _text(completion))
            self.stats.moves += 1
            if not verdict.legal:
                rewards[i] = self.illegal_reward
                self.stats.illegal += 1
                self.stats.reader_errors += verdict.error
                if verdict.reason in self.stats.reasons or len(self.stats.reasons) < MAX_REASONS:
                    self.stats.reasons[verdict.reason] += 1
                continue
            after = game.apply(state, verdict.move)
            outcome = game.outcome(after)  # checked once: it scans every line of the board
            if outcome is not None:
                rewards[i] = outcome.points(mover)
                continue
            if self.search is not None:
                rewards[i] = self.search(after, mover)
                continue
            sides = (self.continuation, opponent) if mover == 0 else (opponent, self.continuation)
            playouts += [(i, mover, (start_at(game, after, i), *sides))] * self.num_playouts
        if playouts:
            self.calls += 1
            records = play_games(game, [match for _, _, match in playouts], self.players, self.seed * 100_003 + self.calls)
            points: dict[int, list[float]] = {}
            for (i, mover, _), record in zip(playouts, records):
                points.setdefault(i, []).append(record.outcome.points(mover))
            for i, values in points.items():
                rewards[i] = sum(values) / len(values)
        self.stats.total += sum(rewards)
        return rewards

    def function(self):
        """A plain function for TRL, whose name is the metric: rewards/game_outcome/mean."""
        def game_outcome(prompts=None, completions=(), position=(), **kwargs):
            return self(completions, position)

        return game_outcome


def _text(completion: Any) -> str:
    """TRL passes text completions as str, chat completions as a list of messages."""
    if isinstance(completion, list):
        return "".join(message.get("content", "") for message in completion if isinstance(message, dict))
    return completion
