"""The two-player game contract: a zero-sum game that a language model plays one move at a time.

A game is one small class beside `env.Environment`. Write its rules as pure
functions of an immutable state (a frozen dataclass), and how a state and a
move read as text:

    @dataclass(frozen=True)
    class Count:
        total: int = 0
        to_move: int = 0

    class Race(Game):
        name = "race"
        description = "Add 1 or 2 to a counter in turn; whoever reaches 10 wins."
        rules = "Players take turns adding 1 or 2 to a counter that starts at 0; whoever reaches 10 wins."
        move_syntax = "A move is the number you add: 1 or 2."
        side_names = ("first", "second")
        max_moves = 10

        def initial_state(self, rng): return Count()
        def to_move(self, state): return state.to_move
        def legal_moves(self, state): return [] if state.total >= 10 else [1, 2][: 10 - state.total]
        def apply(self, state, move): return Count(state.total + move, 1 - state.to_move)
        def outcome(self, state): return Outcome(1 - state.to_move, "reached 10") if state.total >= 10 else None
        def describe(self, state): return f"The counter is at {state.total}."
        def render_move(self, move): return str(move)
        def parse_move(self, text):
            if text.strip() not in ("1", "2"):
                raise AnswerError(f"not 1 or 2: {text[:40]!r}")
            return int(text)

Everything else comes from this base class: deterministic openings per seed
(`opening(seed, index, split)` plays a few random legal moves with an RNG built
from name, split, seed and index), a held-out split of openings disjoint from
training by the position's canonical key, the prompt (rules, the side the model
plays, the board, the move syntax and the answer format), reading a move from an
untrusted completion (an unreadable or illegal move is refused with its reason,
never an exception), reference opponents by name, and `play_game`, which plays
a whole game between two players and returns its record. A move is any
hashable value except a `str`: a player answering with a `str` is a model
whose completion is read by `read_move`.

    >>> game = get_game("tictactoe")
    >>> opening = game.opening(seed=0, index=0)
    >>> record = play_game(game, opening, [game.player("perfect"), game.player("random")])
    >>> record.outcome.points(0)
    1.0
"""

from __future__ import annotations

import difflib
import hashlib
import random
import traceback as tracebacks
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence, Union

from env.answers import ANSWER_FORMATS, AnswerFormat
from env.errors import AnswerError, UserError
from env.problem import MAX_REASON_CHARS, MAX_TRACEBACK_CHARS, SPLITS

Move = Any  # hashable, never a str: a str is a completion to read
State = Any  # immutable and hashable, e.g. a frozen dataclass
Player = Callable[[State], Union[Move, str]]  # a move, or a model's completion holding one

MAX_SPLIT_ATTEMPTS = 1_000  # draws per index to land in the requested split
MAX_SHOWN_CHARS = 200  # of an illegal completion kept in a GameRecord


@dataclass(frozen=True)
class Outcome:
    """How a finished game ended; zero-sum: the two sides' points always add up to 1."""

    winner: int | None  # 0 or 1, the side that won; None for a draw
    reason: str = ""  # e.g. "three in a row", "board full", "illegal move by O: cell 5 is taken"

    def __post_init__(self):
        if self.winner not in (0, 1, None):
            raise ValueError(f"Outcome: winner must be 0, 1 or None (a draw), got {self.winner!r}")

    def points(self, side: int) -> float:
        """1 for a win, 0.5 for a draw, 0 for a loss, for `side` (0 or 1)."""
        return 0.5 if self.winner is None else float(self.winner == side)


@dataclass(frozen=True)
class MoveVerdict:
    """A move read from a completion (or checked from a player), or why there is none.

    `error` marks a reader that raised (a bug in a game's `parse_move` or
    `illegal_reason`, ours or a plugin's) rather than a model's unreadable or
    illegal move, like `Verdict.error`: it still loses the game, and is counted apart.
    """

    move: Move | None  # the legal move; None when refused
    reason: str = ""  # why it was refused: "no answer in the 'tag' format", "cell 5 is taken", ...
    error: bool = False
    traceback: str = field(default="", compare=False, repr=False)

    @property
    def legal(self) -> bool:
        return self.move is not None


@dataclass(frozen=True)
class Opening:
    """Where a game starts: `moves` random legal moves from the initial state, rebuilt from (seed, index, split)."""

    game: str
    seed: int
    index: int
    split: str  # "train" or "eval"
    moves: tuple[str, ...]  # the opening's moves, rendered
    key: str  # the canonical key of `state`, which decides the split
    state: State


@dataclass(frozen=True)
class IllegalMove:
    """The move that ended a game: unreadable or illegal, a loss for the side that made it."""

    side: int
    completion: str  # what the player answered, cut to MAX_SHOWN_CHARS
    reason: str
    error: bool = False  # the game's reader raised (a bug), see MoveVerdict


@dataclass(frozen=True)
class GameRecord:
    """A whole game: its opening (rebuilt by `game.opening(seed, index, split)`), moves, outcome and players."""

    game: str
    seed: int
    index: int
    split: str
    players: tuple[str, str]  # who played side 0 and side 1
    moves: tuple[str, ...]  # the moves after the opening, rendered, in order
    outcome: Outcome
    illegal: IllegalMove | None = None  # the move that ended the game, if it was refused

    def points(self, player: str) -> float:
        """The points `player` scored (1, 0.5 or 0)."""
        if self.players[0] == self.players[1] or player not in self.players:
            raise ValueError(f"GameRecord: cannot tell {player!r}'s side among {self.players}")
        return self.outcome.points(self.players.index(player))


class Game:
    """Base class of every two-player game; see the module docstring for a complete example."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""  # one line, shown by `selfplay envs list`
    rules: ClassVar[str] = ""  # the rules as the prompt states them
    move_syntax: ClassVar[str] = ""  # how to write a move, e.g. "A move is the number (1-9) of an empty cell."
    side_names: ClassVar[tuple[str, str]] = ("first player", "second player")  # side 0 moves first
    max_moves: int = 100  # moves after the opening; a game reaching it is a draw ("move limit")
    opening_plies: tuple[int, int] = (0, 0)  # an opening plays between these many random moves (inclusive)
    eval_fraction: ClassVar[float] = 0.1  # share of the canonical key space of openings held out for evaluation
    default_answer_format: ClassVar[str] = "tag"
    teacher_errors: ClassVar[str] = "no strategy: the teacher plays the first legal move"

    def __init__(self, answer_format: str | None = None):
        check_class_attributes(type(self))
        chosen = answer_format or self.default_answer_format
        if chosen == "last_number":  # a move such as "take 12 from heap 2" is not a number
            raise ValueError(f"{self.name}: answer_format must be one of tag, boxed, answer_line, got {chosen!r}")
        if chosen not in ANSWER_FORMATS:
            raise ValueError(f"{self.name}: answer_format must be one of tag, boxed, answer_line, got {chosen!r}")
        self.answer_format: AnswerFormat = ANSWER_FORMATS[chosen]

    # -- what a subclass writes ---------------------------------------------
    def initial_state(self, rng: random.Random) -> State:
        """The state before any move; draw anything random (Nim's heaps) from `rng` only."""
        raise NotImplementedError(f"{type(self).__name__} must implement initial_state(rng)")

    def to_move(self, state: State) -> int:
        """The side to move: 0 or 1."""
        raise NotImplementedError(f"{type(self).__name__} must implement to_move(state)")

    def legal_moves(self, state: State) -> Sequence[Move]:
        """The legal moves, empty exactly when the game is over (a sequence: it may be computed lazily)."""
        raise NotImplementedError(f"{type(self).__name__} must implement legal_moves(state)")

    def apply(self, state: State, move: Move) -> State:
        """The state after a legal `move`; a new state, never a changed one."""
        raise NotImplementedError(f"{type(self).__name__} must implement apply(state, move)")

    def outcome(self, state: State) -> Outcome | None:
        """None while the game runs; the Outcome once it is over."""
        raise NotImplementedError(f"{type(self).__name__} must implement outcome(state)")

    def describe(self, state: State) -> str:
        """The position as the side to move sees it (the board), without rules or instructions."""
        raise NotImplementedError(f"{type(self).__name__} must implement describe(state)")

    def compact(self, state: State) -> str:
        """The position in as few characters as a small model needs (`game.prompt: compact`); describe() unless a
        game overrides it. A character-level model pays for every character of a prompt in compute and in
        what its attention has to search."""
        return self.describe(state)

    def render_move(self, move: Move) -> str:
        """A move as a model writes it; `parse_move(render_move(move)) == move`."""
        raise NotImplementedError(f"{type(self).__name__} must implement render_move(move)")

    def parse_move(self, text: str) -> Move:
        """The move written in `text` (untrusted, already extracted from the completion).

        Raise AnswerError when it cannot be read; never eval it. Legality is checked afterwards.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement parse_move(text)")

    # -- what a subclass may override ---------------------------------------------
    def illegal_reason(self, state: State, move: Move) -> str | None:
        """None for a legal move, else why not (e.g. "cell 5 is taken"); override when a cheaper test exists."""
        if self.outcome(state) is not None:
            return "the game is over"
        return None if move in self.legal_moves(state) else f"{self.render_move(move)} is not a legal move here"

    def key(self, state: State) -> str:
        """Canonical form of a position; equivalent positions (e.g. mirror images) share it. Splits go by it."""
        return repr(state)

    def symmetries(self, state: State) -> list[State]:
        """The distinct positions equivalent to `state` (itself first): its rotations and mirror images. They share
        its key, so its split, and a move's value carries over to its image; search distillation trains on all of
        them, as AlphaGo Zero augmented its data with the board's 8 symmetries. Default: none but itself."""
        return [state]

    def teacher_move(self, state: State) -> Move:
        """The move the pretraining teacher demonstrates; override to give it a habit (see `teacher_errors`)."""
        return self.legal_moves(state)[0]

    def reference_players(self) -> dict[str, Callable[["Game", int | str], Player]]:
        """Name -> factory(game, seed) of the reference opponents; a game adds its own (e.g. "perfect").

        A player named "perfect" must play perfectly and have `value(state)`, the
        points the side to move gets under perfect play: `selfplay envs check` tests it.
        """
        from env.games.opponents import GreedyPlayer, RandomPlayer, TeacherPlayer

        return {"random": RandomPlayer, "greedy": GreedyPlayer, "teacher": TeacherPlayer}

    # -- openings -------------------------------------------------------------
    def opening(self, seed: int, index: int, split: str = "train") -> Opening:
        """Opening number `index` of (seed, split), rebuilt identically on every call."""
        if split not in SPLITS:
            raise ValueError(f"{self.name}: split must be one of {SPLITS}, got {split!r}")
        low, high = self.opening_plies
        for attempt in range(MAX_SPLIT_ATTEMPTS):
            # A string seed is hashed with SHA-512 by `random`: stable across runs and machines,
            # and seed 1/index 2 never collides with seed 2/index 1.
            rng = random.Random(f"{self.name}:opening:{split}:{seed}:{index}:{attempt}")
            state, moves = self.initial_state(rng), []
            for _ in range(rng.randint(low, high)):
                legal = self.legal_moves(state)
                if not legal:
                    break
                move = legal[rng.randrange(len(legal))]
                moves.append(self.render_move(move))
                state = self.apply(state, move)
            key = self.key(state)
            if self.outcome(state) is None and self.split_of(key) == split:
                return Opening(self.name, seed, index, split, tuple(moves), key, state)
        raise RuntimeError(
            f"{self.name}: no {split} opening after {MAX_SPLIT_ATTEMPTS} draws; "
            "the openings are too few for a held-out split (raise opening_plies)"
        )

    def openings(self, count: int, seed: int, split: str = "train") -> list[Opening]:
        """Openings 0 .. count-1 of (seed, split); a small game repeats positions (games still differ)."""
        return [self.opening(seed, index, split) for index in range(count)]

    def split_of(self, key: str) -> str:
        """'eval' for the held-out share of canonical keys, 'train' for the rest; fixed per key."""
        digest = hashlib.sha256(f"{self.name}|{key}".encode()).digest()
        return "eval" if int.from_bytes(digest[:8], "big") / 2**64 < self.eval_fraction else "train"

    def replay(self, opening: Opening, moves: Sequence[str]) -> State:
        """The state after the rendered `moves` from `opening` (a GameRecord's moves, a dataset row's)."""
        state = opening.state
        for text in moves:
            move = self.parse_move(text)
            reason = self.illegal_reason(state, move)
            if reason is not None:
                raise ValueError(f"{self.name}: cannot replay {text!r}: {reason}")
            state = self.apply(state, move)
        return state

    # -- text for the model ------------------------------------------------------
    def prompt(self, state: State) -> str:
        """What the model sees: the rules, its side, the position, the move syntax and the answer format."""
        side = self.side_names[self.to_move(state)]
        return (
            f"{self.rules}\nYou play {side}, and it is your move.\n{self.describe(state)}\n"
            f"{self.move_syntax} {self.answer_format.instruction}"
        )

    def read_move(self, state: State, completion: str) -> MoveVerdict:
        """The legal move in a model's completion, or why it has none. Never raises on what the model wrote."""
        try:
            text = self.answer_format.extract(completion)
            return self.check_move(state, self.parse_move(text))
        except AnswerError as error:
            return MoveVerdict(None, str(error))
        except Exception as error:  # a bug in the reader, flagged so it is not mistaken for a bad move
            return _verdict_from_exception(error)

    def check_move(self, state: State, move: Move) -> MoveVerdict:
        """A move given as a value (by a reference player) checked for legality."""
        reason = self.illegal_reason(state, move)
        return MoveVerdict(move) if reason is None else MoveVerdict(None, f"illegal move {self.render_move(move)!r}: {reason}")

    def demonstration(self, state: State) -> str:
        """The completion the teacher writes at `state`, in this game's answer format."""
        return self.answer_format.render(self.render_move(self.teacher_move(state)))

    # -- players --------------------------------------------------------------------
    @property
    def player_names(self) -> list[str]:
        return list(self.reference_players())

    def player(self, name: str, seed: int | str = 0) -> Player:
        """The reference player `name` ("random", "greedy", "teacher", ...) with its own random stream."""
        factories = self.reference_players()
        if name not in factories:
            raise UserError(f"{self.name}: unknown player {name!r}{closest_hint(name, factories)} "
                            f"(players: {', '.join(factories)})")
        player = factories[name](self, seed)
        player.name = name
        return player

    def rng_for(self, state: State, purpose: str) -> random.Random:
        """A random stream fixed per position and purpose, e.g. the teacher's tie-breaks."""
        return random.Random(f"{self.name}:{purpose}:{state!r}")


def play_game(game: Game, opening: Opening, players: Sequence[Player], names: Sequence[str] | None = None) -> GameRecord:
    """Play from `opening` until the game ends; players[0] plays side 0. Returns the game's record.

    A player returns a move, or a `str` (a model's completion) that `game.read_move`
    reads. An unreadable or illegal move ends the game as a loss for its side,
    recorded with the reason. A game reaching `game.max_moves` moves is a draw.
    """
    if len(players) != 2:
        raise ValueError(f"play_game: two players are needed, got {len(players)}")
    names = tuple(names or [getattr(player, "name", f"side {side}") for side, player in enumerate(players)])
    state, moves, illegal = opening.state, [], None
    while (outcome := game.outcome(state)) is None:
        if len(moves) >= game.max_moves:
            outcome = Outcome(None, f"move limit ({game.max_moves} moves)")
            break
        side = game.to_move(state)
        reply = players[side](state)
        verdict = game.read_move(state, reply) if isinstance(reply, str) else game.check_move(state, reply)
        if not verdict.legal:
            illegal = IllegalMove(side, str(reply)[:MAX_SHOWN_CHARS], verdict.reason, verdict.error)
            outcome = Outcome(1 - side, f"illegal move by {game.side_names[side]}: {verdict.reason}")
            break
        moves.append(game.render_move(verdict.move))
        state = game.apply(state, verdict.move)
    return GameRecord(game.name, opening.seed, opening.index, opening.split, names, tuple(moves), outcome, illegal)


def closest_hint(name: str, known) -> str:
    """"; did you mean 'x'?" for the closest of `known`, or nothing."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _verdict_from_exception(error: BaseException) -> MoveVerdict:
    try:
        message = " ".join(str(error).split())
    except Exception:  # a message that cannot be built
        message = "<message could not be printed>"
    reason = f"move reader raised {type(error).__name__}: {message}"[:MAX_REASON_CHARS]
    trace = "".join(tracebacks.format_exception(type(error), error, error.__traceback__))
    return MoveVerdict(None, reason, error=True, traceback=trace[-MAX_TRACEBACK_CHARS:])


def check_class_attributes(cls: type) -> None:
    """Catch a plugin's missing declarations at construction, with the attribute to fix."""
    label = cls.__name__
    if not isinstance(cls.name, str) or not cls.name.isidentifier():
        raise TypeError(f"{label}: `name` must be a non-empty identifier string, got {cls.name!r}")
    if len(cls.side_names) != 2 or not all(isinstance(side, str) and side for side in cls.side_names):
        raise TypeError(f"{cls.name}: `side_names` must be two non-empty strings, got {cls.side_names!r}")
    if not 0.0 < cls.eval_fraction < 1.0:
        raise TypeError(f"{cls.name}: `eval_fraction` must be between 0 and 1, got {cls.eval_fraction!r}")
    low, high = cls.opening_plies
    if not 0 <= low <= high or cls.max_moves < 1:
        raise TypeError(f"{cls.name}: need 0 <= opening_plies[0] <= opening_plies[1] and max_moves >= 1, "
                        f"got {cls.opening_plies!r} and {cls.max_moves!r}")
