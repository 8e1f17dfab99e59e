"""Small games loaded by `package.module:ClassName` reference in tests/test_games.py.

`Race` is the plugin game of docs/games.md, a correct one; the others each
break one rule of the game contract, so the tests can check that the
registry and `selfplay envs check` catch it.
"""

import random
from dataclasses import dataclass

from env import AnswerError
from env.games import Game, Outcome


@dataclass(frozen=True)
class Count:
    total: int = 0
    to_move: int = 0


class Race(Game):
    name = "race"
    description = "Add 1 or 2 to a counter in turn; whoever reaches 10 wins."
    rules = "Players take turns adding 1 or 2 to a counter that starts at 0; whoever reaches 10 wins."
    move_syntax = "A move is the number you add: 1 or 2."
    max_moves = 10
    opening_plies = (0, 3)  # an opening is 0 to 3 random moves
    eval_fraction = 0.25  # few distinct positions: hold out a larger share

    def initial_state(self, rng):
        return Count()

    def to_move(self, state):
        return state.to_move

    def legal_moves(self, state):
        return [1, 2][: 10 - state.total]

    def apply(self, state, move):
        return Count(state.total + move, 1 - state.to_move)

    def outcome(self, state):
        return Outcome(1 - state.to_move, "reached 10") if state.total >= 10 else None

    def describe(self, state):
        return f"The counter is at {state.total}."

    def render_move(self, move):
        return str(move)

    def parse_move(self, text):
        if text.strip() not in ("1", "2"):
            raise AnswerError(f"not 1 or 2: {text[:40]!r}")
        return int(text)


class Endless(Race):
    """Adding 0 is allowed, so random play may never reach 10."""

    name = "endless"

    def legal_moves(self, state):
        return [] if state.total >= 10 else [0, 1, 2][: 11 - state.total]

    def parse_move(self, text):
        if text.strip() not in ("0", "1", "2"):
            raise AnswerError(f"not 0, 1 or 2: {text[:40]!r}")
        return int(text)


class Gullible(Race):
    """Reads any text as the move 1."""

    name = "gullible"

    def parse_move(self, text):
        return 1


class Crashing(Race):
    """Its reader has a bug: it looks the text up in a table and raises KeyError."""

    name = "crashing"

    def parse_move(self, text):
        return {"1": 1, "2": 2}[text.strip()]


class GlobalRandom(Race):
    """Draws its openings' starting counter from the global random module."""

    name = "global_random"

    def initial_state(self, rng):
        return Count(random.randrange(5))


class NotAGame:
    name = "not_a_game"
