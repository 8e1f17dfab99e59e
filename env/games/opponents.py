"""Reference opponents that play any game through the `Game` contract: random, greedy, perfect (small games), teacher.

A player is a callable from a state to a move. Each has its own random
stream built from the game's name, its kind and a seed, so a series of games
replays exactly; build a fresh player (or pass another seed) for an
independent series.

    >>> game = get_game("tictactoe")
    >>> players = [game.player("perfect", seed=0), game.player("random", seed=1)]
    >>> play_game(game, game.opening(0, 0), players).outcome.winner
    0

Games with their own strategies (Connect Four's alpha-beta search, Nim's
xor rule) define them in their own module and add them in `reference_players`.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from env.games.game import Game, Move, State


class RandomPlayer:
    """Uniformly random legal moves."""

    name = "random"

    def __init__(self, game: "Game", seed: int | str = 0):
        self.game = game
        self.rng = random.Random(f"{game.name}:{type(self).__name__}:{seed}")

    def __call__(self, state: "State") -> "Move":
        moves = self.game.legal_moves(state)
        return moves[self.rng.randrange(len(moves))]


class GreedyPlayer(RandomPlayer):
    """Wins at once if it can, else avoids moves after which the opponent wins at once (so it blocks), else random.

    It looks at every legal move and every reply, so it suits games with few
    legal moves per position (tic-tac-toe, Connect Four); Nim has its own.
    """

    name = "greedy"

    def __call__(self, state: "State") -> "Move":
        game, me = self.game, self.game.to_move(state)
        moves = list(game.legal_moves(state))
        for move in moves:
            if _wins(game, game.apply(state, move), me):
                return move
        safe = [move for move in moves if not self._opponent_can_win(game.apply(state, move), me)]
        choices = safe or moves
        return choices[self.rng.randrange(len(choices))]

    def _opponent_can_win(self, state: "State", me: int) -> bool:
        game = self.game
        if game.outcome(state) is not None or game.to_move(state) == me:
            return False
        return any(_wins(game, game.apply(state, reply), 1 - me) for reply in game.legal_moves(state))


class MinimaxPlayer(RandomPlayer):
    """Perfect play by memoized minimax over the whole game tree: only for small games (tic-tac-toe).

    Among equally good moves it picks at random, so its games vary.
    """

    name = "perfect"

    def __init__(self, game: "Game", seed: int | str = 0):
        super().__init__(game, seed)
        self._values: dict = {}  # state -> points for the side to move under perfect play

    def __call__(self, state: "State") -> "Move":
        scored = self.move_values(state)
        best = max(scored.values())
        choices = [move for move, value in scored.items() if value == best]
        return choices[self.rng.randrange(len(choices))]

    def move_values(self, state: "State") -> dict:
        """Each legal move -> the points the side to move gets after it, under perfect play."""
        me = self.game.to_move(state)
        return {move: self._points_for(self.game.apply(state, move), me) for move in self.game.legal_moves(state)}

    def value(self, state: "State") -> float:
        """Points (1, 0.5, 0) for the side to move at `state` under perfect play from both sides."""
        if state not in self._values:
            outcome = self.game.outcome(state)
            if outcome is not None:
                self._values[state] = outcome.points(self.game.to_move(state))
            else:
                self._values[state] = max(self.move_values(state).values())
        return self._values[state]

    def _points_for(self, state: "State", side: int) -> float:
        value = self.value(state)
        return value if self.game.to_move(state) == side else 1.0 - value


class TeacherPlayer:
    """The pretraining teacher, with its habit: `game.teacher_move` (deterministic per position)."""

    name = "teacher"

    def __init__(self, game: "Game", seed: int | str = 0):
        self.game = game

    def __call__(self, state: "State") -> "Move":
        return self.game.teacher_move(state)


def _wins(game: "Game", state: "State", side: int) -> bool:
    outcome = game.outcome(state)
    return outcome is not None and outcome.winner == side
