"""Connect Four on a small board (5 rows x 6 columns by default): drop discs, connect four to win.

Players take turns dropping a disc into a column; it falls to the lowest
empty cell. Four of one's discs in a row, column or diagonal win; a full board
is a draw. The model sees the board from the top row down with numbered
columns and answers with a column number, e.g. `<answer>3</answer>`. Openings
are 2 to 5 random moves; a position and its mirror image share one canonical key.

The board is too large to solve by brute force in pure Python, so there is no
perfect player: "alphabeta" is a depth-limited alpha-beta search (4 moves ahead
by default) with a count of open lines as its evaluation, strong against
random and greedy play but beatable.

Teacher habit (for pretraining): it wins at once when it can and otherwise
plays the best move of a 2-move search, except that it never blocks: it never
drops into a column where the opponent's next disc would connect four, unless
every legal column is one. It loses whenever the opponent makes such a threat.

    >>> game = ConnectFour(rows=4, columns=5)
    >>> print(game.describe(game.apply(game.initial_state(None), 3)))
     1 2 3 4 5
     . . . . .
     . . . . .
     . . . . .
     . . X . .
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from env.errors import AnswerError
from env.games.game import Game, Outcome
from env.games.opponents import RandomPlayer

NAME = "connect_four"
MARKS = "XO"  # side 0 plays X and moves first
EMPTY = "."
_MOVE = re.compile(r"\s*([0-9]{1,2})\s*")
WIN_SCORE = 1_000_000  # a won position in the search, beyond any evaluation of open lines
LINE_WEIGHT = 4  # evaluation: an open line with k discs of one side counts LINE_WEIGHT ** (k - 1)


@dataclass(frozen=True)
class Grid:
    cells: str  # row by row from the bottom row: "X", "O" or "."
    to_move: int = 0
    winner: int | None = None  # set by the move that connected


class ConnectFour(Game):
    name = NAME
    description = "Connect Four on a small board (5x6 by default) from a random opening; depth-limited alpha-beta."
    side_names = ("X", "O")
    opening_plies = (2, 5)
    teacher_errors = "never blocks: it ignores a column where the opponent's next disc would connect"

    def __init__(self, answer_format: str | None = None, rows: int = 5, columns: int = 6, connect: int = 4,
                 threats: bool = False):
        super().__init__(answer_format)
        if not isinstance(threats, bool):
            raise ValueError(f"{NAME}: threats must be true or false, got {threats!r}")
        self.threats = threats
        if not 1 <= columns <= 9 or rows < 1:
            raise ValueError(f"{NAME}: need 1 <= columns <= 9 and rows >= 1, got {rows} rows and {columns} columns")
        if not 2 <= connect <= max(rows, columns):
            raise ValueError(f"{NAME}: connect must be in 2..{max(rows, columns)} (the longer side), got {connect}")
        self.rows, self.columns, self.connect = rows, columns, connect
        self.max_moves = rows * columns
        self.rules = (f"Connect Four on a board of {rows} rows and {columns} columns: two players take turns dropping "
                      f"a disc into a column, X first; it falls to the lowest empty cell. {connect} discs of one "
                      "player in a row, column or diagonal win; a full board is a draw.")
        self.move_syntax = f"A move is the number (1-{columns}) of a column that is not full."
        self._lines = self._all_lines()
        self._lines_through = [[line for line in self._lines if cell in line] for cell in range(rows * columns)]

    def _all_lines(self) -> list[tuple[int, ...]]:
        lines = []
        for row in range(self.rows):
            for column in range(self.columns):
                for d_row, d_column in ((0, 1), (1, 0), (1, 1), (1, -1)):
                    end_row, end_column = row + d_row * (self.connect - 1), column + d_column * (self.connect - 1)
                    if 0 <= end_row < self.rows and 0 <= end_column < self.columns:
                        lines.append(tuple((row + d_row * k) * self.columns + column + d_column * k
                                           for k in range(self.connect)))
        return lines

    # -- rules ----------------------------------------------------------------
    def initial_state(self, rng: random.Random | None) -> Grid:
        return Grid(EMPTY * (self.rows * self.columns))

    def to_move(self, state: Grid) -> int:
        return state.to_move

    def legal_moves(self, state: Grid) -> list[int]:
        if self.outcome(state) is not None:
            return []
        top = (self.rows - 1) * self.columns
        return [column + 1 for column in range(self.columns) if state.cells[top + column] == EMPTY]

    def apply(self, state: Grid, move: int) -> Grid:
        column = move - 1
        cell = next(row * self.columns + column for row in range(self.rows)
                    if state.cells[row * self.columns + column] == EMPTY)
        side = state.to_move
        cells = state.cells[:cell] + MARKS[side] + state.cells[cell + 1:]
        connected = any(all(cells[i] == MARKS[side] for i in line) for line in self._lines_through[cell])
        return Grid(cells, 1 - side, side if connected else None)

    def outcome(self, state: Grid) -> Outcome | None:
        if state.winner is not None:
            return Outcome(state.winner, f"{self.connect} in a row")
        return Outcome(None, "the board is full") if EMPTY not in state.cells else None

    def illegal_reason(self, state: Grid, move: int) -> str | None:
        if self.outcome(state) is not None:
            return "the game is over"
        if not isinstance(move, int) or not 1 <= move <= self.columns:
            return f"there is no column {move!r} (columns 1-{self.columns})"
        return None if state.cells[(self.rows - 1) * self.columns + move - 1] == EMPTY else f"column {move} is full"

    def key(self, state: Grid) -> str:
        rows = [state.cells[row * self.columns:(row + 1) * self.columns] for row in range(self.rows)]
        return min("/".join(rows), "/".join(row[::-1] for row in rows))

    def symmetries(self, state: Grid) -> list[Grid]:
        rows = [state.cells[row * self.columns:(row + 1) * self.columns] for row in range(self.rows)]
        mirrored = Grid("".join(row[::-1] for row in rows), state.to_move, state.winner)
        return [state] if mirrored == state else [state, mirrored]

    # -- text -------------------------------------------------------------------
    def describe(self, state: Grid) -> str:
        header = " " + " ".join(str(column + 1) for column in range(self.columns))
        rows = [" " + " ".join(state.cells[row * self.columns:(row + 1) * self.columns])
                for row in reversed(range(self.rows))]
        return "\n".join([header] + rows)

    def compact(self, state: Grid) -> str:
        """The rows from the top, one character per cell, under the numbers of the columns that are not full ("-"
        over a full one): like tic-tac-toe's free squares, the legal moves are in the prompt to be copied. With every
        column numbered, the 128-wide model lost 7-22 of 100 games against greedy by a move into a full column."""
        top = (self.rows - 1) * self.columns
        header = "".join(str(column + 1) if state.cells[top + column] == EMPTY else "-" for column in range(self.columns))
        rows = [state.cells[row * self.columns:(row + 1) * self.columns] for row in reversed(range(self.rows))]
        return "\n".join([header] + ([self.threat_marks(state)] if self.threats else []) + rows)

    def threat_marks(self, state: Grid) -> str:
        """One character per column for the side to move (option `threats`): "+" my disc there connects, "!" the
        opponent's would (block it), "^" my disc there lets the opponent connect on top of it, "." none of these,
        "-" full. AlphaGo's policy network read such hand-made tactical features (ladders, liberties) beside the
        stones; here they spare the small model from finding every line of four in the grid by attention."""
        me, legal = state.to_move, self.legal_moves(state)
        as_opponent = replace(state, to_move=1 - me)
        marks = []
        for move in range(1, self.columns + 1):
            if move not in legal:
                marks.append("-")
                continue
            after = self.apply(state, move)
            if after.winner == me:
                marks.append("+")
            elif self.apply(as_opponent, move).winner == 1 - me:
                marks.append("!")
            else:  # only the cell on top of my disc is new to the opponent: one more disc in the same column
                on_top = self.illegal_reason(after, move) is None and self.apply(after, move).winner == 1 - me
                marks.append("^" if on_top else ".")
        return "".join(marks)

    def render_move(self, move: int) -> str:
        return str(move)

    def parse_move(self, text: str) -> int:
        match = _MOVE.fullmatch(text)
        if match is None:
            raise AnswerError(f"not a column number: {text[:40]!r}")
        return int(match.group(1))

    # -- players ----------------------------------------------------------------
    def winning_moves(self, state: Grid, side: int) -> list[int]:
        """The columns where a disc of `side` would connect (whoever is to move)."""
        as_side = replace(state, to_move=side)  # the other side's threats are seen as if it were its turn
        return [move for move in self.legal_moves(state) if self.apply(as_side, move).winner == side]

    def teacher_move(self, state: Grid) -> int:
        me = self.to_move(state)
        wins = self.winning_moves(state, me)
        if wins:
            return wins[0]
        threats = set(self.winning_moves(state, 1 - me))
        moves = self.legal_moves(state)
        candidates = [move for move in moves if move not in threats] or moves  # the habit: never block
        search = AlphaBetaPlayer(self, depth=2)
        scores = {move: -search.score(self.apply(state, move), 1, -WIN_SCORE * 2, WIN_SCORE * 2) for move in candidates}
        best = max(scores.values())
        ties = [move for move in candidates if scores[move] == best]
        return ties[self.rng_for(state, "teacher").randrange(len(ties))]

    def reference_players(self):
        return {**super().reference_players(), "alphabeta": AlphaBetaPlayer}


class AlphaBetaPlayer(RandomPlayer):
    """Depth-limited alpha-beta search (negamax), centre columns first; ties broken at random. Not perfect play."""

    name = "alphabeta"

    def __init__(self, game: ConnectFour, seed: int | str = 0, depth: int = 4):
        super().__init__(game, seed)
        self.depth = depth

    def __call__(self, state: Grid) -> int:
        moves = self.game.legal_moves(state)
        scores = {move: -self.score(self.game.apply(state, move), self.depth - 1, -WIN_SCORE * 2, WIN_SCORE * 2)
                  for move in moves}
        best = max(scores.values())
        ties = [move for move in moves if scores[move] == best]
        return ties[self.rng.randrange(len(ties))]

    def score(self, state: Grid, depth: int, alpha: float, beta: float) -> float:
        """The value of `state` for the side to move, searching `depth` more moves."""
        game = self.game
        if state.winner is not None:  # the previous move connected: a loss, worse the sooner it comes
            return -(WIN_SCORE + depth)
        moves = game.legal_moves(state)
        if not moves:
            return 0.0
        if depth <= 0:
            return self._evaluate(state)
        centre = (game.columns + 1) / 2
        for move in sorted(moves, key=lambda column: abs(column - centre)):
            alpha = max(alpha, -self.score(game.apply(state, move), depth - 1, -beta, -alpha))
            if alpha >= beta:
                break
        return alpha

    def _evaluate(self, state: Grid) -> float:
        """Open lines of the side to move minus the opponent's, weighted by how full they are."""
        mine, theirs = MARKS[self.game.to_move(state)], MARKS[1 - self.game.to_move(state)]
        total = 0
        for line in self.game._lines:
            marks = [state.cells[i] for i in line]
            if theirs not in marks and mine in marks:
                total += LINE_WEIGHT ** (marks.count(mine) - 1)
            elif mine not in marks and theirs in marks:
                total -= LINE_WEIGHT ** (marks.count(theirs) - 1)
        return total
