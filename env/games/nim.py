"""Nim with large heaps written in decimal: take any number of objects from one heap; taking the last one wins.

Each opening is a fresh random set of heaps (3 heaps of 1 to 1,000,000 by
default), so the openings are as many as the heap sizes allow; heaps equal
up to order share one canonical key. The model answers `take 1234 from heap 2`.

Perfect play is known (Bouton, 1901): the side to move loses exactly when the
xor of the heap sizes (their "nim-sum", in binary) is 0; otherwise it wins by
moving to a nim-sum of 0. So the game tests whether a model can carry out
binary arithmetic on numbers it reads in decimal. The greedy player only
looks one move ahead: it takes the last heap when one is left and never
leaves a single heap to the opponent.

Teacher habit (for pretraining): it only ever considers the largest heap. When
a winning move exists there (the heap has the nim-sum's highest bit) it plays
it; otherwise it takes 1 from that heap. It misses the win whenever the
winning move is in a smaller heap.

    >>> game = Nim()
    >>> game.parse_move("take 12 from heap 2")
    (2, 12)
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import xor

from env.errors import AnswerError
from env.games.game import Game, Outcome
from env.games.opponents import RandomPlayer

NAME = "nim"
MAX_MOVE_DIGITS = 40  # longer numbers are refused before int() sees them
_MOVE = re.compile(rf"\s*take\s+([0-9]{{1,{MAX_MOVE_DIGITS}}})\s+from\s+heap\s+([0-9]{{1,3}})\s*\.?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Heaps:
    sizes: tuple[int, ...]
    to_move: int = 0


class HeapMoves(Sequence):
    """The legal moves (heap, amount), heap by heap, computed on demand: a heap of a million is a million moves."""

    def __init__(self, sizes: tuple[int, ...]):
        self.sizes = sizes

    def __len__(self) -> int:
        return sum(self.sizes)

    def __getitem__(self, index: int) -> tuple[int, int]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        for heap, size in enumerate(self.sizes):
            if index < size:
                return heap + 1, index + 1
            index -= size
        raise AssertionError("unreachable: index was checked against the total")

    def __contains__(self, move: object) -> bool:
        if not (isinstance(move, tuple) and len(move) == 2 and all(type(part) is int for part in move)):
            return False
        heap, amount = move
        return 1 <= heap <= len(self.sizes) and 1 <= amount <= self.sizes[heap - 1]


class Nim(Game):
    name = NAME
    description = "Nim with large heaps written in decimal; perfect play by the xor rule."
    side_names = ("first player", "second player")
    teacher_errors = "only considers the largest heap: misses a winning move in a smaller heap, then takes 1"

    def __init__(self, answer_format: str | None = None, num_heaps: int = 3, max_heap: int = 1_000_000):
        super().__init__(answer_format)
        if not 2 <= num_heaps <= 20:
            raise ValueError(f"{NAME}: num_heaps must be in 2..20, got {num_heaps}")
        if not 2 <= max_heap < 10**MAX_MOVE_DIGITS:
            raise ValueError(f"{NAME}: max_heap must be in 2..10^{MAX_MOVE_DIGITS}, got {max_heap}")
        self.num_heaps, self.max_heap = num_heaps, max_heap
        # Random play empties a heap in about ln(size) moves; a game going far beyond is a draw.
        self.max_moves = 100 * num_heaps
        self.rules = (f"Nim with {num_heaps} heaps: two players take turns; a move takes any positive number of "
                      "objects from one heap. Whoever takes the last object wins.")
        self.move_syntax = "Write a move as 'take N from heap H', e.g. 'take 12 from heap 2'."

    # -- rules ----------------------------------------------------------------
    def initial_state(self, rng: random.Random) -> Heaps:
        return Heaps(tuple(rng.randint(1, self.max_heap) for _ in range(self.num_heaps)))

    def to_move(self, state: Heaps) -> int:
        return state.to_move

    def legal_moves(self, state: Heaps) -> HeapMoves:
        return HeapMoves(state.sizes)

    def apply(self, state: Heaps, move: tuple[int, int]) -> Heaps:
        heap, amount = move
        sizes = list(state.sizes)
        sizes[heap - 1] -= amount
        return Heaps(tuple(sizes), 1 - state.to_move)

    def outcome(self, state: Heaps) -> Outcome | None:
        if any(state.sizes):
            return None
        return Outcome(1 - state.to_move, "took the last object")

    def illegal_reason(self, state: Heaps, move: tuple[int, int]) -> str | None:
        if self.outcome(state) is not None:
            return "the game is over"
        heap, amount = move
        if not 1 <= heap <= len(state.sizes):
            return f"there is no heap {heap} (heaps 1-{len(state.sizes)})"
        if amount < 1:
            return "a move takes at least 1 object"
        size = state.sizes[heap - 1]
        return None if amount <= size else f"heap {heap} has only {size}"

    def key(self, state: Heaps) -> str:
        return ",".join(map(str, sorted(state.sizes)))

    # -- text -------------------------------------------------------------------
    def describe(self, state: Heaps) -> str:
        return "\n".join(f"heap {heap}: {size}" for heap, size in enumerate(state.sizes, start=1))

    def render_move(self, move: tuple[int, int]) -> str:
        heap, amount = move
        return f"take {amount} from heap {heap}"

    def parse_move(self, text: str) -> tuple[int, int]:
        match = _MOVE.fullmatch(text)
        if match is None:
            raise AnswerError(f"not 'take N from heap H': {text[:40]!r}")
        return int(match.group(2)), int(match.group(1))

    # -- players ----------------------------------------------------------------
    def teacher_move(self, state: Heaps) -> tuple[int, int]:
        largest = max(range(len(state.sizes)), key=lambda heap: state.sizes[heap])  # the first of equal ones
        size = state.sizes[largest]
        target = size ^ nim_sum(state.sizes)
        return largest + 1, (size - target if target < size else 1)

    def reference_players(self):
        return {**super().reference_players(), "greedy": NimGreedyPlayer, "perfect": NimPerfectPlayer}


def nim_sum(sizes: tuple[int, ...]) -> int:
    """The xor of the heap sizes: 0 exactly when the side to move loses under perfect play."""
    return reduce(xor, sizes, 0)


class NimGreedyPlayer(RandomPlayer):
    """Takes the last heap when one is left; else a random move that does not leave a single heap."""

    name = "greedy"

    def __call__(self, state: Heaps) -> tuple[int, int]:
        nonempty = [heap + 1 for heap, size in enumerate(state.sizes) if size]
        if len(nonempty) == 1:
            return nonempty[0], state.sizes[nonempty[0] - 1]
        if len(nonempty) == 2:  # emptying either heap would hand the last one to the opponent
            shrinkable = [heap for heap in nonempty if state.sizes[heap - 1] > 1]
            if shrinkable:
                heap = shrinkable[self.rng.randrange(len(shrinkable))]
                return heap, self.rng.randint(1, state.sizes[heap - 1] - 1)
        return super().__call__(state)


class NimPerfectPlayer(RandomPlayer):
    """Perfect play by the xor rule: move to a nim-sum of 0; from a lost position, a random move."""

    name = "perfect"

    def __call__(self, state: Heaps) -> tuple[int, int]:
        total = nim_sum(state.sizes)
        winning = [(heap + 1, size - (size ^ total)) for heap, size in enumerate(state.sizes) if size ^ total < size]
        if winning:
            return winning[self.rng.randrange(len(winning))]
        return super().__call__(state)

    def value(self, state: Heaps) -> float:
        """Points for the side to move under perfect play: 1 unless the nim-sum is 0."""
        return 1.0 if nim_sum(state.sizes) else 0.0
