"""Tic-tac-toe: X and O take turns marking a 3x3 grid; three in a row, column or diagonal wins.

The model sees the grid with the number of each empty cell and answers with
one number, e.g. `<answer>5</answer>`. Openings are 1 to 4 random moves, so the
model plays both X and O; positions equal up to a rotation or reflection share
one canonical key, so no held-out opening is a mirror image of a training one.
Perfect play (memoized minimax over all 5,478 positions) never loses.

Teacher habit (for pretraining): it wins at once when it can and otherwise
plays the best move by minimax, except that it never blocks: a cell where the
opponent would complete a line is never its choice unless every empty cell is
one. It loses whenever the opponent makes a threat it could only answer by
blocking.

    >>> game = TicTacToe()
    >>> print(game.describe(game.apply(game.initial_state(None), 5)))
     1 | 2 | 3
    ---+---+---
     4 | X | 6
    ---+---+---
     7 | 8 | 9
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from env.errors import AnswerError
from env.games.game import Game, Outcome
from env.games.opponents import MinimaxPlayer

NAME = "tictactoe"
MARKS = "XO"  # side 0 plays X and moves first
EMPTY = "."
LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
# The 8 symmetries of the square, each as the cell that lands on cells 0..8.
_ROTATE = (6, 3, 0, 7, 4, 1, 8, 5, 2)
_MIRROR = (2, 1, 0, 5, 4, 3, 8, 7, 6)
_MOVE = re.compile(r"\s*([1-9])\s*")


def _symmetries() -> list[tuple[int, ...]]:
    result, current = [], tuple(range(9))
    for _ in range(4):
        result += [current, tuple(current[i] for i in _MIRROR)]
        current = tuple(current[i] for i in _ROTATE)
    return result


SYMMETRIES = _symmetries()


@dataclass(frozen=True)
class Board:
    cells: str = EMPTY * 9  # row by row from the top left: "X", "O" or "."


class TicTacToe(Game):
    name = NAME
    description = "Tic-tac-toe on a 3x3 grid from a random opening of 1-4 moves; perfect play exists (minimax)."
    rules = ("Tic-tac-toe: two players take turns marking an empty cell of a 3x3 grid, X first. Three marks "
             "in a row, column or diagonal win; a full grid without a line is a draw.")
    move_syntax = "A move is the number (1-9) of an empty cell, as shown on the grid."
    side_names = ("X", "O")
    max_moves = 9
    opening_plies = (1, 4)
    teacher_errors = "never blocks: it ignores the opponent's two-in-a-line unless every empty cell blocks one"

    def __init__(self, answer_format: str | None = None):
        super().__init__(answer_format)
        self._solver = MinimaxPlayer(self)  # the teacher's judgement; shared so the tree is searched once

    # -- rules ----------------------------------------------------------------
    def initial_state(self, rng: random.Random | None) -> Board:
        return Board()

    def to_move(self, state: Board) -> int:
        return 0 if state.cells.count("X") == state.cells.count("O") else 1

    def legal_moves(self, state: Board) -> list[int]:
        if self.outcome(state) is not None:
            return []
        return [cell + 1 for cell, mark in enumerate(state.cells) if mark == EMPTY]

    def apply(self, state: Board, move: int) -> Board:
        cell = move - 1
        return Board(state.cells[:cell] + MARKS[self.to_move(state)] + state.cells[cell + 1:])

    def outcome(self, state: Board) -> Outcome | None:
        for a, b, c in LINES:
            mark = state.cells[a]
            if mark != EMPTY and mark == state.cells[b] == state.cells[c]:
                return Outcome(MARKS.index(mark), "three in a row")
        return Outcome(None, "the grid is full") if EMPTY not in state.cells else None

    def illegal_reason(self, state: Board, move: int) -> str | None:
        if self.outcome(state) is not None:
            return "the game is over"
        if not isinstance(move, int) or not 1 <= move <= 9:
            return f"there is no cell {move!r}"
        return None if state.cells[move - 1] == EMPTY else f"cell {move} is taken"

    def key(self, state: Board) -> str:
        return min("".join(state.cells[i] for i in symmetry) for symmetry in SYMMETRIES)

    def symmetries(self, state: Board) -> list[Board]:
        return list(dict.fromkeys(Board("".join(state.cells[i] for i in symmetry)) for symmetry in SYMMETRIES))

    # -- text -------------------------------------------------------------------
    def describe(self, state: Board) -> str:
        shown = [mark if mark != EMPTY else str(cell + 1) for cell, mark in enumerate(state.cells)]
        rows = [" " + " | ".join(shown[row * 3: row * 3 + 3]) for row in range(3)]
        return "\n---+---+---\n".join(rows)

    def compact(self, state: Board) -> str:
        """The grid as three rows of marks and empty-cell numbers: "12X\n4O6\n789" (11 characters, not 43)."""
        shown = "".join(mark if mark != EMPTY else str(cell + 1) for cell, mark in enumerate(state.cells))
        return "\n".join(shown[row * 3: row * 3 + 3] for row in range(3))

    def render_move(self, move: int) -> str:
        return str(move)

    def parse_move(self, text: str) -> int:
        match = _MOVE.fullmatch(text)
        if match is None:
            raise AnswerError(f"not a cell number 1-9: {text[:40]!r}")
        return int(match.group(1))

    # -- players ----------------------------------------------------------------
    def winning_moves(self, state: Board, side: int) -> list[int]:
        """The cells that would complete a line of `side`'s marks."""
        mark, cells = MARKS[side], state.cells
        found = set()
        for line in LINES:
            marks = [cells[i] for i in line]
            if marks.count(mark) == 2 and marks.count(EMPTY) == 1:
                found.add(line[marks.index(EMPTY)] + 1)
        return sorted(found)

    def teacher_move(self, state: Board) -> int:
        me = self.to_move(state)
        wins = self.winning_moves(state, me)
        if wins:
            return wins[0]
        threats = set(self.winning_moves(state, 1 - me))
        moves = self.legal_moves(state)
        candidates = [move for move in moves if move not in threats] or moves  # the habit: never block
        values = self._solver.move_values(state)
        best = max(values[move] for move in candidates)
        ties = [move for move in candidates if values[move] == best]
        return ties[self.rng_for(state, "teacher").randrange(len(ties))]

    def reference_players(self):
        return {**super().reference_players(), "perfect": MinimaxPlayer}
