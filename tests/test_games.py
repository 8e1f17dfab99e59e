"""Two-player games: the contract, each built-in's rules, reference opponents, the registry, checks, CLI and ratings.

    $ .venv/bin/python -m pytest tests/test_games.py -q
"""

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from env import AnswerError
from env.errors import UserError
from env.games import Opening, Outcome, get_game, list_games, play_game
from env.games.checker import check_game
from env.games.connect_four import ConnectFour
from env.games.nim import HeapMoves, Heaps, Nim
from env.games.registry import BUILTINS
from env.games.tictactoe import Board, TicTacToe
from selfplay.ratings import GameResult, alternate_colours, decide_match, expected_points, fit_ratings

from cli_runner import run_cli
from game_refs import Count, Crashing, Race

GAMES = sorted(BUILTINS)


def from_start(game, index=0):
    """An opening at the initial state itself (built-in openings always play at least one move)."""
    state = game.initial_state(random.Random(f"test:{index}"))
    return Opening(game.name, 0, index, "train", (), game.key(state), state)


def replay(game, moves, state=None):
    state = state if state is not None else game.initial_state(random.Random(0))
    for move in moves:
        state = game.apply(state, move)
    return state


def average_points(game, name, opponent, num_games, openings=None):
    """`name`'s mean points against `opponent`, alternating sides, from train openings (or `openings`)."""
    player, other = game.player(name, seed=1), game.player(opponent, seed=2)
    total = 0.0
    for index in range(num_games):
        opening = openings[index] if openings else game.opening(seed=0, index=index)
        side = index % 2
        record = play_game(game, opening, (player, other) if side == 0 else (other, player))
        assert record.illegal is None, record
        total += record.outcome.points(side)
    return total / num_games


# -- the contract ---------------------------------------------------------------------


@pytest.mark.parametrize("name", GAMES)
def test_same_seed_gives_the_same_openings_and_each_rebuilds_alone(name):
    game, fresh = get_game(name), get_game(name)
    openings = game.openings(30, seed=4)
    assert fresh.openings(30, seed=4) == openings
    assert [fresh.opening(4, opening.index) for opening in openings] == openings
    assert [o.key for o in game.openings(30, seed=5)] != [o.key for o in openings]
    assert all(game.outcome(opening.state) is None for opening in openings)


@pytest.mark.parametrize("name", GAMES)
def test_eval_openings_never_share_a_key_with_training(name):
    game = get_game(name)
    train = {opening.key for opening in game.openings(300, seed=0)}
    held_out = game.openings(40, seed=0, split="eval")
    assert {opening.split for opening in held_out} == {"eval"}
    assert not {opening.key for opening in held_out} & train


@pytest.mark.parametrize("name", ["tictactoe", "connect_four"])  # Nim's openings are random heaps, no moves
def test_opening_is_its_moves_played_from_the_initial_state(name):
    game = get_game(name)
    for opening in game.openings(20, seed=0):
        assert opening.moves
        assert game.replay(from_start(game), opening.moves) == opening.state


def test_outcomes_are_zero_sum_and_winners_checked():
    for outcome in (Outcome(0), Outcome(1), Outcome(None)):
        assert outcome.points(0) + outcome.points(1) == 1.0
    assert Outcome(1).points(1) == 1.0 and Outcome(None).points(0) == 0.5
    with pytest.raises(ValueError, match="winner must be 0, 1 or None"):
        Outcome(2)


def test_record_holds_moves_outcome_and_sides_and_replays():
    game = TicTacToe()
    opening = game.opening(seed=0, index=3)
    record = play_game(game, opening, [game.player("perfect"), game.player("random")])
    assert record.players == ("perfect", "random") and record.illegal is None
    final = game.replay(opening, record.moves)
    assert game.outcome(final) == record.outcome
    assert record.points("perfect") == record.outcome.points(0)
    assert (record.game, record.seed, record.index, record.split) == ("tictactoe", 0, 3, "train")


def test_a_model_completion_is_read_and_an_illegal_move_loses_with_its_reason():
    game = TicTacToe()
    always_five = lambda state: "I take the centre. <answer>5</answer>"  # noqa: E731
    record = play_game(game, from_start(game), [always_five, game.player("random")], ["model", "random"])
    assert record.moves[0] == "5"
    assert record.illegal is not None and record.illegal.side == 0 and not record.illegal.error
    assert "cell 5 is taken" in record.illegal.reason and record.illegal.completion.endswith("<answer>5</answer>")
    assert record.outcome.winner == 1 and record.outcome.reason.startswith("illegal move by X:")


def test_a_reader_that_raises_is_flagged_as_an_error_not_a_bad_move():
    verdict = Crashing().read_move(Count(), "<answer>7</answer>")
    assert not verdict.legal and verdict.error
    assert verdict.reason.startswith("move reader raised KeyError") and "KeyError" in verdict.traceback
    assert Race().read_move(Count(), "<answer>7</answer>").error is False


def test_a_game_reaching_max_moves_is_a_draw():
    game = Race()
    game.max_moves = 3
    record = play_game(game, from_start(game), [game.player("random"), game.player("random")])
    assert len(record.moves) == 3 and record.outcome == Outcome(None, "move limit (3 moves)")


def test_prompt_names_the_side_the_move_syntax_and_the_answer_format():
    game = TicTacToe(answer_format="boxed")
    prompt = game.prompt(Board("X........"))
    assert "You play O, and it is your move." in prompt and game.move_syntax in prompt
    assert prompt.endswith("Put the final answer in \\boxed{}.")
    assert game.read_move(Board("X........"), "\\boxed{5}").move == 5


def test_a_game_without_a_name_is_rejected_at_construction():
    class Nameless(Race):
        name = ""

    with pytest.raises(TypeError, match="`name` must be a non-empty identifier"):
        Nameless()
    with pytest.raises(ValueError, match="answer_format must be one of tag, boxed, answer_line"):
        TicTacToe(answer_format="last_number")


ADVERSARIAL = [
    None,
    "",
    "I resign.",
    "<answer></answer>",
    "<answer>   </answer>",
    "x" * 100_000,
    "<answer>" + "7" * 10_000 + "</answer>",
    "<answer>__import__('os').system('touch /tmp/pwned')</answer>",
    "<answer>1; import os</answer>",
    "<answer>\uff15</answer>",  # a full-width 5
    "<answer>\u0665</answer>",  # an Arabic-Indic 5
    "<answer>\x00</answer>",
]
NIM_ADVERSARIAL = [
    "<answer>take 10**9 from heap 1</answer>",
    "<answer>take 1e3 from heap 1</answer>",
    "<answer>take -3 from heap 1</answer>",
    "<answer>take " + "9" * 50 + " from heap 1</answer>",
    "<answer>take 1 from heap 1 and take 2 from heap 2</answer>",
    "<answer>take 1 from heap 1</answer><answer>take 2 from heap 1</answer>",
]


@pytest.mark.parametrize("name", GAMES)
@pytest.mark.parametrize("completion", ADVERSARIAL + NIM_ADVERSARIAL)
def test_adversarial_completions_are_refused_with_a_reason_without_raising(name, completion):
    game = get_game(name)
    verdict = game.read_move(game.opening(seed=0, index=0).state, completion)
    assert verdict.move is None and verdict.reason and not verdict.error


@pytest.mark.parametrize("name", GAMES)
def test_two_different_moves_are_refused(name):
    game = get_game(name)
    state = game.opening(seed=0, index=0).state
    first, second = (game.render_move(game.legal_moves(state)[i]) for i in (0, 1))
    verdict = game.read_move(state, f"<answer>{first}</answer> or <answer>{second}</answer>")
    assert verdict.move is None and "several different final answers" in verdict.reason


# -- tic-tac-toe ------------------------------------------------------------------------


@pytest.mark.parametrize("cells, winner", [
    ("XXX" "OO." "...", 0),
    ("OX." "OX." "O.X", 1),
    ("X.O" ".XO" "..X", 0),
    ("..X" ".XO" "XO.", 0),
])  # fmt: skip
def test_tictactoe_lines_win(cells, winner):
    game = TicTacToe()
    assert game.outcome(Board(cells)) == Outcome(winner, "three in a row")
    assert game.legal_moves(Board(cells)) == []


def test_tictactoe_full_grid_without_a_line_is_a_draw():
    game = TicTacToe()
    assert game.outcome(Board("XOX" "XOO" "OXX")) == Outcome(None, "the grid is full")
    assert game.outcome(Board("XOX" "XOO" "OX.")) is None


def test_tictactoe_moves_turns_and_illegal_moves():
    game = TicTacToe()
    state = replay(game, [5, 1])
    assert state == Board("O...X....") and game.to_move(state) == 0
    assert game.legal_moves(state) == [2, 3, 4, 6, 7, 8, 9]
    assert game.illegal_reason(state, 5) == "cell 5 is taken"
    assert game.illegal_reason(state, 10) == "there is no cell 10"
    assert "cell 1 is taken" in game.read_move(state, "<answer>1</answer>").reason
    assert game.read_move(state, "<answer> 9 </answer>").move == 9
    with pytest.raises(AnswerError, match="not a cell number"):
        game.parse_move("nine")
    assert game.describe(state) == " O | 2 | 3\n---+---+---\n 4 | X | 6\n---+---+---\n 7 | 8 | 9"
    assert game.compact(state) == "O23\n4X6\n789"


def test_tictactoe_rotations_and_reflections_share_a_key():
    game = TicTacToe()
    corners = {game.key(Board(cells)) for cells in ("X........", "..X......", "......X..", "........X")}
    assert len(corners) == 1
    assert game.key(Board("....X....")) not in corners
    assert game.key(Board("XO.......")) == game.key(Board("X..O....."))  # mirrored in the diagonal


def test_symmetries_list_each_equivalent_position_once_itself_first():
    game = TicTacToe()
    corner = Board("X........")
    assert game.symmetries(corner)[0] == corner
    assert {b.cells for b in game.symmetries(corner)} == {"X........", "..X......", "......X..", "........X"}
    assert game.symmetries(Board("....X....")) == [Board("....X....")]
    assert len(game.symmetries(Board("XO.....X."))) == 8
    four = ConnectFour(rows=4, columns=5)
    state = replay(four, [1, 3])
    assert [four.compact(image).splitlines()[-1] for image in four.symmetries(state)] == ["X.O..", "..O.X"]
    assert four.symmetries(replay(four, [3])) == [replay(four, [3])]


def test_tictactoe_greedy_and_perfect_block_the_teacher_never_does():
    game = TicTacToe()
    threatened = Board("X.." "OO." "..X")  # X to move; O threatens cell 6
    assert game.winning_moves(threatened, 1) == [6]
    assert game.player("greedy")(threatened) == 6
    assert game.player("perfect")(threatened) == 6
    assert game.teacher_move(threatened) != 6
    assert game.teacher_move(Board("XX." "OO." "...")) == 3  # it wins when it can
    assert game.player("perfect").value(Board()) == 0.5  # tic-tac-toe is a draw


def test_tictactoe_teacher_is_fixed_per_position():
    game, fresh = TicTacToe(), TicTacToe()
    states = [opening.state for opening in game.openings(100, seed=3)]
    moves = [game.teacher_move(state) for state in states]
    assert [fresh.teacher_move(state) for state in reversed(states)] == moves[::-1]


def test_tictactoe_perfect_play_never_loses_to_random_in_200_games():
    game = TicTacToe()
    perfect, opponent = game.player("perfect", seed=0), game.player("random", seed=1)
    for index in range(200):
        side = index % 2
        players = (perfect, opponent) if side == 0 else (opponent, perfect)
        record = play_game(game, from_start(game, index), players)
        assert record.outcome.points(side) >= 0.5, record


def test_tictactoe_perfect_play_gets_the_value_of_every_opening():
    game = TicTacToe()
    perfect, opponent = game.player("perfect", seed=0), game.player("random", seed=1)
    for opening in game.openings(100, seed=0):
        value = perfect.value(opening.state)
        mover = game.to_move(opening.state)
        record = play_game(game, opening, (perfect, opponent) if mover == 0 else (opponent, perfect))
        assert record.outcome.points(mover) >= value


# -- Connect Four -------------------------------------------------------------------------


@pytest.mark.parametrize("moves", [
    [1, 2, 1, 2, 1, 2, 1],  # a column
    [1, 1, 2, 2, 3, 3, 4],  # a row
    [1, 2, 2, 3, 3, 4, 3, 4, 4, 6, 4],  # a rising diagonal
    [6, 5, 5, 4, 4, 3, 4, 3, 3, 1, 3],  # a falling diagonal
])  # fmt: skip
def test_connect_four_lines_of_four_win_only_when_completed(moves):
    game = ConnectFour()
    before = replay(game, moves[:-1])
    assert game.outcome(before) is None
    assert game.outcome(game.apply(before, moves[-1])) == Outcome(0, "4 in a row")


def test_connect_four_discs_fall_and_full_columns_are_refused():
    game = ConnectFour()
    state = replay(game, [3])
    assert game.describe(state).splitlines()[-1] == " . . X . . ."
    full = replay(game, [1, 1, 1, 1, 1])
    assert game.legal_moves(full) == [2, 3, 4, 5, 6] and game.to_move(full) == 1
    assert game.illegal_reason(full, 1) == "column 1 is full"
    assert game.illegal_reason(full, 7) == "there is no column 7 (columns 1-6)"
    assert "column 1 is full" in game.read_move(full, "<answer>1</answer>").reason
    assert game.compact(full).splitlines()[:2] == ["-23456", "X....."]  # only legal columns are numbered


def test_connect_four_board_size_is_configurable_and_checked():
    game = ConnectFour(rows=4, columns=5)
    assert game.describe(replay(game, [3])) == " 1 2 3 4 5\n . . . . .\n . . . . .\n . . . . .\n . . X . ."
    assert game.compact(replay(game, [3, 3])) == "12345\n.....\n.....\n..O..\n..X.."
    assert "4 rows and 5 columns" in game.rules and game.max_moves == 20
    with pytest.raises(ValueError, match="columns"):
        ConnectFour(columns=12)
    with pytest.raises(ValueError, match="connect must be in 2..6"):
        ConnectFour(connect=7)


def test_connect_four_threat_marks_agree_with_the_rules_in_played_positions():
    game, plain = ConnectFour(threats=True), ConnectFour()
    checked = set()
    for index in range(60):  # random games to the end: every kind of mark turns up
        state, rng = game.opening(5, index).state, random.Random(index)
        while game.outcome(state) is None:
            me, marks = game.to_move(state), game.threat_marks(state)
            for column, mark in zip(range(1, 7), marks):
                if column not in game.legal_moves(state):
                    expected = "-"
                elif game.apply(state, column).winner == me:
                    expected = "+"
                elif game.apply(replace(state, to_move=1 - me), column).winner == 1 - me:
                    expected = "!"
                else:
                    after = game.apply(state, column)
                    on_top = column in game.legal_moves(after) and game.apply(after, column).winner == 1 - me
                    expected = "^" if on_top else "."
                assert mark == expected, (game.compact(state), column)
                checked.add(mark)
            assert game.compact(state).splitlines() == [plain.compact(state).splitlines()[0], marks,
                                                         *plain.compact(state).splitlines()[1:]]
            state = game.apply(state, rng.choice(game.legal_moves(state)))
    assert checked == set("+!^.-")


def test_connect_four_threats_option_is_checked():
    with pytest.raises(ValueError, match="threats must be true or false"):
        ConnectFour(threats="yes")
    state = replay(ConnectFour(), [1, 2, 1, 2, 1])
    assert len(ConnectFour().compact(state).splitlines()) == 6  # off by default: numbers and rows, as before
    assert ConnectFour(threats=True).compact(state).splitlines()[1] == "!....."  # O must block column 1


def test_connect_four_mirror_images_share_a_key():
    game = ConnectFour()
    assert game.key(replay(game, [1, 2])) == game.key(replay(game, [6, 5]))
    assert game.key(replay(game, [1, 2])) != game.key(replay(game, [1, 3]))


def test_connect_four_greedy_and_alphabeta_block_the_teacher_never_does():
    game = ConnectFour()
    threatened = replay(game, [1, 2, 1, 2, 1])  # O to move; X has three in column 1
    assert game.winning_moves(threatened, 0) == [1]
    assert game.player("greedy")(threatened) == 1
    assert game.player("alphabeta")(threatened) == 1
    assert game.teacher_move(threatened) != 1
    assert game.teacher_move(replay(game, [1, 2, 1, 2, 1, 2])) == 1  # it wins when it can


def test_connect_four_alphabeta_beats_greedy():
    assert average_points(ConnectFour(), "alphabeta", "greedy", 10) >= 0.7


# -- Nim -------------------------------------------------------------------------------------


def test_nim_rules_and_reading_moves():
    game = Nim()
    state = Heaps((3, 4, 5))
    assert game.apply(state, (2, 4)) == Heaps((3, 0, 5), to_move=1)
    assert game.outcome(Heaps((0, 0, 0), to_move=1)) == Outcome(0, "took the last object")
    assert game.illegal_reason(state, (2, 5)) == "heap 2 has only 4"
    assert game.illegal_reason(state, (4, 1)) == "there is no heap 4 (heaps 1-3)"
    assert game.illegal_reason(state, (1, 0)) == "a move takes at least 1 object"
    assert game.parse_move(" Take 12 from heap 2. ") == (2, 12)
    assert game.read_move(state, "<answer>take 4 from heap 2</answer>").move == (2, 4)
    with pytest.raises(AnswerError):
        game.parse_move("take 12 from heap")
    assert game.key(Heaps((5, 3, 4))) == game.key(Heaps((3, 4, 5), to_move=1)) == "3,4,5"


def test_nim_legal_moves_are_computed_on_demand():
    moves = HeapMoves((2, 0, 3))
    assert len(moves) == 5 and list(moves) == [(1, 1), (1, 2), (3, 1), (3, 2), (3, 3)]
    assert (3, 3) in moves and (2, 1) not in moves and (3, 4) not in moves and "3" not in moves
    assert len(HeapMoves((10**6, 10**6))) == 2 * 10**6


def test_nim_perfect_play_follows_the_xor_rule():
    game = Nim()
    perfect = game.player("perfect")
    assert perfect(Heaps((3, 4, 5))) == (1, 2)  # 3 ^ 4 ^ 5 = 2: heap 1 goes from 3 to 1
    assert perfect.value(Heaps((3, 4, 5))) == 1.0 and perfect.value(Heaps((1, 2, 3))) == 0.0
    big = Heaps((123_456_789, 987_654_321, 555_555_555))
    after = game.apply(big, perfect(big))
    assert after.sizes[0] ^ after.sizes[1] ^ after.sizes[2] == 0


def test_nim_teacher_only_looks_at_the_largest_heap():
    game = Nim()
    assert game.teacher_move(Heaps((5, 6, 1))) == (2, 2)  # the winning move is in the largest heap
    assert game.teacher_move(Heaps((4, 3, 5))) == (3, 1)  # it is in heap 2: the teacher misses it
    assert game.player("perfect")(Heaps((4, 3, 5))) == (2, 2)


def test_nim_greedy_takes_the_last_heap_and_never_leaves_one():
    game = Nim()
    greedy = game.player("greedy")
    assert greedy(Heaps((0, 7, 0))) == (2, 7)
    for _ in range(50):
        heap, amount = greedy(Heaps((1, 5, 0)))
        assert heap == 2 and amount < 5


def test_nim_perfect_play_never_loses_a_won_opening_to_random():
    game = Nim(max_heap=50)
    perfect, opponent = game.player("perfect", seed=0), game.player("random", seed=1)
    for opening in game.openings(100, seed=0):
        if perfect.value(opening.state) == 1.0:
            record = play_game(game, opening, (perfect, opponent))
            assert record.outcome.winner == 0


def test_nim_options_are_checked():
    with pytest.raises(ValueError, match="num_heaps must be in 2..20"):
        Nim(num_heaps=1)
    assert Nim(num_heaps=4, max_heap=9).opening(0, 0).state.sizes.__len__() == 4


# -- reference opponents ------------------------------------------------------------------


@pytest.mark.parametrize("name", GAMES)
def test_greedy_beats_random_most_of_the_time(name):
    assert average_points(get_game(name), "greedy", "random", 100) >= 0.7


def test_unknown_player_names_the_closest():
    with pytest.raises(UserError, match="unknown player 'perfekt'; did you mean 'perfect'"):
        TicTacToe().player("perfekt")


# -- registry and checks ------------------------------------------------------------------------


def test_unknown_game_names_the_closest_match():
    with pytest.raises(UserError, match=r"unknown game 'tictacto'; did you mean 'tictactoe'\? \(known: "):
        get_game("tictacto")


def test_reference_to_a_non_game_or_a_missing_module_is_rejected():
    with pytest.raises(UserError, match="is not a subclass of env.games.Game"):
        get_game("game_refs:NotAGame")
    with pytest.raises(UserError, match="cannot import module 'no_such_games'"):
        get_game("no_such_games:Race")


@pytest.mark.parametrize("name", GAMES)
def test_builtin_game_passes_the_checker(name):
    assert [result for result in check_game(get_game(name), num_games=20) if not result.passed] == []


def test_plugin_game_from_an_entry_point_is_listed_and_loaded(tmp_path, monkeypatch):
    metadata = tmp_path / "race_games-1.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: race-games\nVersion: 1.0\n")
    (metadata / "entry_points.txt").write_text("[selfplay.games]\nrace = game_refs:Race\nbroken = no_such_games:Race\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    infos = {info.name: info for info in list_games()}
    assert infos["race"].source == "race-games" and infos["race"].players == ["random", "greedy", "teacher"]
    assert infos["broken"].description.startswith("cannot load:")
    assert type(get_game("race")) is Race


def test_docs_example_is_the_tested_race_game():
    docs = (Path(__file__).parent.parent / "docs" / "games.md").read_text()
    example = re.search(r"```python\n(.*?)```", docs, re.DOTALL).group(1)
    assert example in (Path(__file__).parent / "game_refs.py").read_text()


# -- selfplay envs ---------------------------------------------------------------------------


def test_envs_list_shows_the_games(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "list")
    assert exit_code == 0
    rows = {cells[0]: cells for cells in (
        [cell.strip() for cell in line.strip("│ ").split("│")] for line in out.splitlines() if "│" in line
    )}  # fmt: skip
    assert rows["tictactoe"][1:3] == ["selfplay", "random, greedy, teacher, perfect"]
    assert rows["nim"][3] == Nim.description and "connect_four" in rows
    assert "arithmetic" in rows  # the environments are still there


def test_envs_sample_shows_openings_with_prompts_and_legal_moves(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "sample", "tictactoe", "-n", "3", "--seed", "2")
    assert exit_code == 0
    assert out.count("it is your move.") == 3
    game = TicTacToe()
    first = game.opening(seed=2, index=0)
    legal = ", ".join(map(str, game.legal_moves(first.state)))
    assert legal in out and game.demonstration(first.state) in out


def test_envs_check_passes_the_builtin_games(capsys):
    exit_code, out, err = run_cli(capsys, "envs", "check", *GAMES, "-n", "10")
    assert exit_code == 0, out + err
    for name in GAMES:
        assert f"{name}: 13/13 checks passed ok" in out


def test_envs_sample_and_check_a_game_by_reference(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "sample", "game_refs:Race", "-n", "2")
    assert exit_code == 0 and out.count("The counter is at") == 2
    exit_code, out, _ = run_cli(capsys, "envs", "check", "game_refs:Race")
    assert exit_code == 0 and "game_refs:Race: 13/13 checks passed ok" in out


@pytest.mark.parametrize("reference, failing_check", [
    ("Endless", "random play ends every game within max_moves"),
    ("Gullible", "empty, garbage, huge and ambiguous completions are refused without raising"),
    ("Crashing", "empty, garbage, huge and ambiguous completions are refused without raising"),
    ("GlobalRandom", "same seed gives the same openings"),
])  # fmt: skip
def test_envs_check_fails_a_nonconforming_game_naming_the_check(capsys, reference, failing_check):
    exit_code, out, _ = run_cli(capsys, "envs", "check", f"game_refs:{reference}")
    assert exit_code == 1
    assert f"FAIL {failing_check}" in out, out


@pytest.mark.parametrize("argv, message", [
    (["envs", "sample", "tictacto"], "unknown environment or game 'tictacto'; did you mean 'tictactoe'?"),
    (["envs", "sample", "nim", "--answer-format", "last_number"], "nim: answer_format must be one of"),
    (["envs", "sample", "nim", "--split", "test"], "--split must be one of train, eval"),
])  # fmt: skip
def test_bad_game_arguments_give_exit_2_and_one_line(capsys, argv, message):
    exit_code, _, err = run_cli(capsys, *argv)
    assert exit_code == 2
    assert len(err.strip().splitlines()) == 1 and message in err, err


# -- ratings and the gate ------------------------------------------------------------------------


def test_ratings_of_two_players_solve_the_elo_formula():
    results = [GameResult("a", "random", 1.0)] * 3 + [GameResult("random", "a", 1.0)]
    assert fit_ratings(results, prior_draws=0.0)["a"] == pytest.approx(400 * 0.47712125472, abs=1e-3)  # 3:1
    # One virtual draw per pair: 3.5 : 1.5.
    assert fit_ratings(results)["a"] == pytest.approx(400 * 0.36797678529, abs=1e-3)
    assert fit_ratings(results)["random"] == 0.0


def test_ratings_recover_known_strengths_and_ignore_order():
    truth = {"random": 0.0, "weak": -100.0, "good": 200.0, "strong": 400.0}
    rng = random.Random(0)
    results = []
    for _ in range(8_000):
        first, second = rng.sample(sorted(truth), 2)
        won = rng.random() < expected_points(truth[first], truth[second])
        results.append(GameResult(first, second, 1.0 if won else 0.0))
    ratings = fit_ratings(results)
    for player, rating in truth.items():
        assert ratings[player] == pytest.approx(rating, abs=40)
    shuffled = results[:]
    rng.shuffle(shuffled)
    assert fit_ratings(shuffled) == pytest.approx(ratings, abs=1e-4)


def test_ratings_of_played_games_order_perfect_above_greedy_above_random():
    game = TicTacToe()
    names = ["random", "greedy", "perfect"]
    results = []
    for index, (a, b) in enumerate((a, b) for a in names for b in names if a != b for _ in range(60)):
        record = play_game(game, game.opening(seed=0, index=index), [game.player(a, index), game.player(b, index)])
        results.append(GameResult.of(record))
    ratings = fit_ratings(results)
    assert ratings["random"] == 0.0 and ratings["perfect"] > ratings["greedy"] > 100


def test_draws_count_half_and_equal_players_rate_equal():
    results = [GameResult("random", "b", 0.5)] * 10 + [GameResult("b", "random", 1.0), GameResult("random", "b", 1.0)]
    assert fit_ratings(results)["b"] == pytest.approx(0.0, abs=1e-6)


def test_ratings_need_the_anchor_and_connected_players():
    with pytest.raises(ValueError, match="the anchor 'random' played no game"):
        fit_ratings([GameResult("a", "b", 1.0)])
    with pytest.raises(ValueError, match="c, d never played anyone connected to 'random'"):
        fit_ratings([GameResult("a", "random", 1.0), GameResult("c", "d", 0.5)])
    with pytest.raises(ValueError, match="points must be 1, 0.5 or 0"):
        GameResult("a", "b", 2.0)


def match(wins, losses, draws):
    """Candidate-champion games in alternating colours with these totals for the candidate."""
    scores = [1.0] * wins + [0.0] * losses + [0.5] * draws
    pairs = alternate_colours("candidate", "champion", len(scores))
    return [GameResult(first, second, score if first == "candidate" else 1.0 - score)
            for (first, second), score in zip(pairs, scores)]


@pytest.mark.parametrize("wins, losses, promoted", [(220, 180, True), (219, 181, False), (300, 99, False), (260, 200, True)])
def test_gate_promotes_at_55_percent_of_at_least_400_decisive_games(wins, losses, promoted):
    decision = decide_match(match(wins, losses, draws=37), "candidate", "champion")
    assert decision.promoted is promoted
    assert (decision.wins, decision.losses, decision.draws) == (wins, losses, 37)
    assert "37 draws" in decision.reason


def test_gate_needs_half_the_games_with_each_colour():
    one_sided = [GameResult("candidate", "champion", 1.0)] * 400
    with pytest.raises(ValueError, match="played side 0 in 400 of 400 games"):
        decide_match(one_sided, "candidate", "champion")
    assert decide_match(match(3, 1, 0), "candidate", "champion", min_decisive_games=4).promoted
