"""Many games at once between models and reference players: one batched generate per model per ply.

`env.games.play_game` plays one game, one move at a time; a model asked for
one move at a time would spend its time on tiny batches. `play_games` plays a
whole list of games in lockstep: at every ply, the positions where a model is
to move are sent to it in one `policy.sampling.sample` call, reference players
answer directly, and each move is read and checked as `play_game` does (an
unreadable or illegal move loses, with its reason; `game.max_moves` draws).

    >>> champion = ModelPlayer("generation_2", policy, "board", temperature=0.7, max_new_tokens=12)
    >>> records = play_games(game, [(opening, "generation_2", "random"), ...], {"generation_2": champion,
    ...                      "random": game.player("random", seed=1)}, seed=5)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from env.games.game import MAX_SHOWN_CHARS, Game, GameRecord, IllegalMove, Opening, Outcome, State
from policy.game_pretrain import position_prompt
from policy.sampling import SamplingConfig, sample


@dataclass
class ModelPlayer:
    """A policy that plays by writing moves; `prompt` is the game section's prompt style (full or board)."""

    name: str
    policy: Any  # policy.loader.Policy
    prompt: str
    temperature: float
    max_new_tokens: int
    batch_size: int = 256

    def completions(self, game: Game, states: Sequence[State], seed: int) -> list[str]:
        config = SamplingConfig(self.max_new_tokens, self.temperature, batch_size=self.batch_size)
        prompts = [position_prompt(game, state, self.prompt) for state in states]
        return [samples[0].text for samples in sample(self.policy, prompts, config, 1, seed)]


@dataclass
class _Game:
    opening: Opening
    names: tuple[str, str]
    state: State
    moves: list[str]
    outcome: Outcome | None = None
    illegal: IllegalMove | None = None


def play_games(game: Game, matches: Sequence[tuple[Opening, str, str]], players: dict[str, Any], seed: int) -> list[GameRecord]:
    """Play every (opening, side 0's player, side 1's player) to the end; records in the same order.

    `players` maps names to a ModelPlayer or a reference player (a callable from
    a state to a move). `seed` fixes the models' samples.
    """
    games = [_Game(opening, (first, second), opening.state, []) for opening, first, second in matches]
    for ply in range(game.max_moves + 1):
        waiting: dict[str, list[_Game]] = {}
        for item in games:
            if item.outcome is None:
                item.outcome = game.outcome(item.state)
            if item.outcome is None and len(item.moves) >= game.max_moves:
                item.outcome = Outcome(None, f"move limit ({game.max_moves} moves)")
            if item.outcome is None:
                waiting.setdefault(item.names[game.to_move(item.state)], []).append(item)
        if not waiting:
            break
        for name, items in waiting.items():
            player = players[name]
            if isinstance(player, ModelPlayer):
                replies: list[Any] = player.completions(game, [item.state for item in items], seed * 1_000 + ply)
            else:
                replies = [player(item.state) for item in items]
            for item, reply in zip(items, replies):
                _move(game, item, reply)
    return [GameRecord(game.name, item.opening.seed, item.opening.index, item.opening.split, item.names,
                       tuple(item.moves), item.outcome, item.illegal) for item in games]


def _move(game: Game, item: _Game, reply: Any) -> None:
    side = game.to_move(item.state)
    verdict = game.read_move(item.state, reply) if isinstance(reply, str) else game.check_move(item.state, reply)
    if not verdict.legal:
        item.illegal = IllegalMove(side, str(reply)[:MAX_SHOWN_CHARS], verdict.reason, verdict.error)
        item.outcome = Outcome(1 - side, f"illegal move by {game.side_names[side]}: {verdict.reason}")
        return
    item.moves.append(game.render_move(verdict.move))
    item.state = game.apply(item.state, verdict.move)


def start_at(game: Game, state: State, index: int = 0) -> Opening:
    """An Opening at any position (a playout from the middle of a game)."""
    return Opening(game.name, 0, index, "train", (), game.key(state), state)

