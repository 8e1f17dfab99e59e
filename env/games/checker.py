"""Conformance checks that every game, built-in or plugin, must pass before a policy trains on it.

    $ selfplay envs check tictactoe
    >>> failures = [r for r in check_game(get_game("nim")) if not r.passed]

Each check catches one way a game silently ruins self-play: openings that
change between runs or leak from the held-out split, games that never end,
outcomes that are not zero-sum, legal moves that cannot be played or illegal
ones that are accepted, moves that do not survive being written and read
back, a reader that crashes (or accepts) on garbage, a teacher whose moves
are illegal or random, a prompt that does not tell the model its side, and a
"perfect" player that is not.
"""

from __future__ import annotations

import traceback
from typing import Callable

from env.checker import CheckResult
from env.games.game import Game, GameRecord, Opening, play_game

NUM_GAMES = 40  # openings per check; each is played out by random players
MAX_MOVES_PER_POSITION = 20  # legal moves tried per position (a Nim heap has a million)
MAX_FOREIGN_MOVES = 100  # moves legal in some position, tried in every other one
# Completions no game may read as a move: empty, prose, an empty answer, a number too long for
# any board, a 100,000-character completion, code, control characters.
GARBAGE = ["", "   ", "I resign.", "x" * 100_000]
GARBAGE_ANSWERS = ["", "9" * 5_000, "__import__('os').system('echo hacked')", "\x00\x00", "move" * 50]


def check_game(game: Game, seed: int = 0, num_games: int = NUM_GAMES) -> list[CheckResult]:
    """Run every check; a check that raises is reported as failed."""
    results = []
    for check in CHECKS:
        name = check.__doc__.strip().splitlines()[0]
        try:
            detail = check(game, seed, num_games)
            results.append(CheckResult(name, detail is None, detail or ""))
        except Exception as error:  # a plugin's bug must be reported, not crash the checker
            last_line = traceback.format_exception_only(type(error), error)[-1].strip()
            results.append(CheckResult(name, False, f"raised {last_line}"))
    return results


def _same_seed_same_openings(game: Game, seed: int, count: int) -> str | None:
    """same seed gives the same openings; each rebuilds alone by index"""
    first = game.openings(count, seed)
    if first != game.openings(count, seed):
        return "two calls with the same seed gave different openings"
    for opening in first:
        if game.opening(seed, opening.index) != opening:
            return f"opening {opening.index} differs when rebuilt alone"
    return None


def _different_seeds_differ(game: Game, seed: int, count: int) -> str | None:
    """different seeds give different openings"""
    first = [opening.key for opening in game.openings(count, seed)]
    second = [opening.key for opening in game.openings(count, seed + 1)]
    return f"seeds {seed} and {seed + 1} gave identical openings" if first == second else None


def _splits_disjoint(game: Game, seed: int, count: int) -> str | None:
    """train and eval openings never share a canonical key"""
    train = {opening.key for opening in game.openings(count * 10, seed, "train")}
    held_out = game.openings(count, seed, "eval")
    leaked = [opening.key for opening in held_out if opening.key in train]
    if leaked:
        return f"{len(leaked)} eval openings also appear in training, e.g. {leaked[0]!r}"
    wrong = [o for o in held_out if o.split != "eval" or game.split_of(game.key(o.state)) != "eval"]
    return f"{len(wrong)} eval openings are not marked eval" if wrong else None


def _games_end_within_the_bound(game: Game, seed: int, count: int) -> str | None:
    """random play ends every game within max_moves, with a winner or a draw"""
    for record in _random_games(game, seed, count):
        if record.outcome.reason.startswith("move limit"):
            return (f"random play from opening {record.index} reached max_moves ({game.max_moves}) without ending; "
                    "raise max_moves or make the game end sooner")
        if record.illegal is not None:
            return f"a random legal move was refused in game {record.index}: {record.illegal.reason}"
    return None


def _over_exactly_without_legal_moves(game: Game, seed: int, count: int) -> str | None:
    """a game is over exactly when no legal move remains, and outcomes are zero-sum"""
    for state in _positions(game, seed, count):
        outcome, num_moves = game.outcome(state), len(game.legal_moves(state))
        if (outcome is None) != (num_moves > 0):
            return f"outcome {outcome} with {num_moves} legal moves at {game.describe(state)!r}"
        if outcome is not None and outcome.points(0) + outcome.points(1) != 1.0:
            return f"outcome {outcome} is not zero-sum"
        if game.to_move(state) not in (0, 1):
            return f"to_move returned {game.to_move(state)!r}, not 0 or 1"
    return None


def _symmetries_are_equivalent(game: Game, seed: int, count: int) -> str | None:
    """symmetric positions share the key, the side to move and the number of legal moves"""
    for state in _positions(game, seed, count):
        images = game.symmetries(state)
        if not images or images[0] != state:
            return f"symmetries(state) must start with the state itself at {game.describe(state)!r}"
        for image in images:
            same = (game.key(image), game.to_move(image), len(game.legal_moves(image)))
            if same != (game.key(state), game.to_move(state), len(game.legal_moves(state))):
                return f"{game.describe(image)!r} is listed as a symmetry of {game.describe(state)!r} but differs"
    return None


def _legal_moves_are_legal(game: Game, seed: int, count: int) -> str | None:
    """legal moves are accepted and apply; moves legal elsewhere but not here are refused"""
    positions = [state for state in _positions(game, seed, count) if game.outcome(state) is None]
    seen = {move for state in positions for move in _some_moves(game, state)}
    seen = sorted(seen, key=repr)[:MAX_FOREIGN_MOVES]  # a fixed sample: Nim sees thousands
    for state in positions:
        legal = game.legal_moves(state)
        for move in _some_moves(game, state):
            if game.illegal_reason(state, move) is not None:
                return f"legal move {game.render_move(move)!r} refused: {game.illegal_reason(state, move)}"
            game.apply(state, move)
        for move in seen:
            if move not in legal and game.check_move(state, move).legal:
                return f"{game.render_move(move)!r} is accepted but not among the legal moves at {game.describe(state)!r}"
    return None


def _moves_round_trip(game: Game, seed: int, count: int) -> str | None:
    """every legal move, written as a model writes it, reads back as the same move"""
    for state in _positions(game, seed, count):
        for move in _some_moves(game, state):
            completion = game.answer_format.render(game.render_move(move))
            verdict = game.read_move(state, completion)
            if verdict.move != move:
                return f"{completion!r} reads back as {verdict.move!r} ({verdict.reason or 'no reason'}), not {move!r}"
    return None


def _garbage_is_refused(game: Game, seed: int, count: int) -> str | None:
    """empty, garbage, huge and ambiguous completions are refused without raising"""
    for state in _positions(game, seed, count)[:count]:
        if game.outcome(state) is not None:
            continue
        moves = _some_moves(game, state)
        completions = GARBAGE + [game.answer_format.render(text) for text in GARBAGE_ANSWERS]
        if len(moves) > 1:  # two different moves: which one was meant?
            completions.append("".join(game.answer_format.render(game.render_move(m)) for m in moves[:2]))
        for completion in completions:
            verdict = game.read_move(state, completion)
            if verdict.error:
                return f"reading {completion[:60]!r} raised: {verdict.reason}"
            if verdict.legal:
                return f"{completion[:60]!r} was read as the move {verdict.move!r}"
    return None


def _teacher_is_legal_and_fixed(game: Game, seed: int, count: int) -> str | None:
    """the teacher's moves are legal, fixed per position, and read back from its demonstrations"""
    for state in _positions(game, seed, count):
        if game.outcome(state) is not None:
            continue
        move = game.teacher_move(state)
        reason = game.illegal_reason(state, move)
        if reason is not None:
            return f"the teacher's move {game.render_move(move)!r} is illegal: {reason}"
        if game.teacher_move(state) != move:  # a teacher drawing from a shared random stream would differ
            return f"the teacher moved differently twice at {game.describe(state)!r}"
        if game.read_move(state, game.demonstration(state)).move != move:
            return f"the teacher's demonstration {game.demonstration(state)!r} does not read back as its move"
    return None


def _prompt_tells_side_and_syntax(game: Game, seed: int, count: int) -> str | None:
    """the prompt names the side to move, the move syntax and the answer format"""
    for opening in game.openings(count, seed):
        prompt = game.prompt(opening.state)
        side = game.side_names[game.to_move(opening.state)]
        for part in (f"You play {side}", game.move_syntax, game.answer_format.instruction):
            if not part or part not in prompt:
                return f"the prompt of opening {opening.index} lacks {part!r}: {prompt!r}"
    return None


def _reference_players_play_legally(game: Game, seed: int, count: int) -> str | None:
    """every reference player makes only legal moves against random play"""
    for name in game.player_names:
        player, opponent = game.player(name, seed), game.player("random", seed)
        for opening in game.openings(count // 4 or 1, seed):
            for players in ((player, opponent), (opponent, player)):
                record = play_game(game, opening, players)
                if record.illegal is not None:
                    return f"{name} played an illegal move from opening {opening.index}: {record.illegal.reason}"
    return None


def _perfect_play_never_loses_to_random(game: Game, seed: int, count: int) -> str | None:
    """perfect play gets at least the opening's value against random play (where a perfect player exists)"""
    if "perfect" not in game.player_names:
        return None
    perfect, opponent = game.player("perfect", seed), game.player("random", seed)
    for opening in game.openings(count, seed):
        mover, value = game.to_move(opening.state), perfect.value(opening.state)
        for side in (0, 1):
            owed = value if side == mover else 1.0 - value  # what perfect play guarantees `side`
            players = (perfect, opponent) if side == 0 else (opponent, perfect)
            record = play_game(game, opening, players, ("perfect", "random"))
            if record.outcome.points(side) < owed:
                return (f"perfect play as {game.side_names[side]} scored {record.outcome.points(side)} from opening "
                        f"{opening.index} worth {owed} to it; moves {list(record.moves)}")
    return None


# -- helpers -------------------------------------------------------------------------------------
def _random_games(game: Game, seed: int, count: int) -> list[GameRecord]:
    openings: list[Opening] = game.openings(count, seed) + game.openings(count // 4 or 1, seed, "eval")
    players = (game.player("random", f"{seed}:a"), game.player("random", f"{seed}:b"))
    return [play_game(game, opening, players) for opening in openings]


def _positions(game: Game, seed: int, count: int) -> list:
    """Every position of random games from `count` openings, the final ones included."""
    positions = []
    for record in _random_games(game, seed, count):
        state = game.opening(record.seed, record.index, record.split).state
        positions.append(state)
        for text in record.moves:
            state = game.apply(state, game.parse_move(text))
            positions.append(state)
    return positions


def _some_moves(game: Game, state) -> list:
    """Up to MAX_MOVES_PER_POSITION legal moves, spread over the whole list."""
    legal = game.legal_moves(state)
    step = max(1, len(legal) // MAX_MOVES_PER_POSITION)
    return [legal[index] for index in range(0, len(legal), step)][:MAX_MOVES_PER_POSITION]


CHECKS: list[Callable[[Game, int, int], str | None]] = [
    _same_seed_same_openings,
    _different_seeds_differ,
    _splits_disjoint,
    _games_end_within_the_bound,
    _over_exactly_without_legal_moves,
    _symmetries_are_equivalent,
    _legal_moves_are_legal,
    _moves_round_trip,
    _garbage_is_refused,
    _teacher_is_legal_and_fixed,
    _prompt_tells_side_and_syntax,
    _reference_players_play_legally,
    _perfect_play_never_loses_to_random,
]
