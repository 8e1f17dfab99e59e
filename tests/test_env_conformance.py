"""Every built-in environment conforms: the shared checker, the `selfplay envs` commands, held-out splits.

    $ .venv/bin/python -m pytest tests/test_env_conformance.py -q
"""


import pytest

from env import get_environment
from env.checker import check_environment
from env.registry import BUILTINS, environment_class

from builtin_envs import OPTIONS, builtin
from cli_runner import run_cli

NUM_TRAIN = 2000  # training problems per level, as the quickstart campaign draws per generation
NUM_EVAL = 200  # held-out problems per level, the campaign's default eval.num_problems
# The dataset environment reads the user's file: the example file stands in for one (600 rows, levels easy and
# hard). Its teacher is the reference answer, not a habit, and its held-out rows are the file's (about 30 a level),
# so the tests of habits and of 200 held-out problems a level are for the generated environments.
GENERATED = sorted(name for name in BUILTINS if name not in OPTIONS)
LEVELS = [(name, difficulty) for name in GENERATED for difficulty in get_environment(name).difficulties]
# Ladders repeat one step per column, so a habit that slips in some columns compounds with length: the
# teacher is wrong on about a quarter of the problems at the first level and almost all at the top.
# Above the levels a campaign pretrains on by default (1 and 2) their teacher may be wrong more often.
LADDERS = {"addition", "multiplication"}


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_builtin_environment_passes_the_checker(name):
    failures = [result for result in check_environment(builtin(name)) if not result.passed]
    assert failures == []


@pytest.mark.parametrize("name, difficulty", LEVELS)
def test_teacher_errs_by_its_habit_at_the_declared_rate_with_well_formed_answers(name, difficulty):
    """A quarter to about half wrong (more at arithmetic's mixed-operator level 5), each mistake wrong
    mathematics rather than an unreadable answer: the imitator should learn the habit, not noise."""
    environment = get_environment(name)
    problems = environment.problems(500, seed=0, difficulty=difficulty)
    verdicts = [environment.verify(p, environment.demonstration(p)) for p in problems]
    error_rate = sum(v.score < 1.0 for v in verdicts) / len(problems)
    declared = environment.expected_teacher_error_rate(difficulty)
    tolerance = 4 * (declared * (1 - declared) / len(problems)) ** 0.5 + 0.02  # as `selfplay envs check` allows
    assert error_rate == pytest.approx(declared, abs=tolerance)
    assert 0.2 <= error_rate <= (1.0 if name in LADDERS and difficulty > 2 else 0.7)
    assert {v.reason for v in verdicts} <= {"", "wrong answer"}


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_same_problem_always_gets_the_same_teacher_answer(name):
    """A habit, not a coin flip: a fresh instance rebuilding the same problems demonstrates the same answers."""
    environment, fresh = builtin(name), builtin(name)
    problems = environment.problems(200, seed=5, difficulty=environment.difficulties[-1])
    answers = [environment.teacher_answer(p) for p in problems]
    assert [fresh.teacher_answer(fresh.problem(5, p.index, p.difficulty)) for p in problems] == answers
    assert [environment.teacher_answer(p) for p in problems] == answers


def test_envs_check_passes_everybuiltin(capsys):
    # The test above runs the full checker; here the command's plumbing and exit code, on 3 problems a check.
    exit_code, out, err = run_cli(capsys, "envs", "check", *GENERATED, "-n", "3")  # dataset: tests/test_env_dataset.py
    assert exit_code == 0, out + err
    for name in GENERATED:
        line = next(line for line in out.splitlines() if line.startswith(f"{name}:"))
        passed, total = line.split()[1].split("/")
        assert passed == total and line.endswith("checks passed ok"), line


def test_envs_list_shows_every_builtin_with_source_selfplay(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "list")
    assert exit_code == 0
    rows = {cells[0]: cells for cells in (
        [cell.strip() for cell in line.strip("│┃ ").split("│")] for line in out.splitlines() if "│" in line
    ) if cells[0]}  # fmt: skip
    for name in BUILTINS:  # the class's levels: the dataset environment shows one without reading a file
        levels = ", ".join(map(str, sorted(environment_class(name).levels)))
        assert rows[name][1:3] == ["selfplay", levels], rows[name]
        assert rows[name][3] == environment_class(name).description


def test_envs_sample_prints_problems_with_reference_answers(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "sample", "algebra", "-n", "3")
    assert exit_code == 0
    expected = get_environment("algebra").problems(3, seed=0, difficulty=1)
    rows = [line for line in out.splitlines() if "algebra-1-" in line]
    assert len(rows) == 3
    for row, problem in zip(rows, expected):
        cells = [cell.strip() for cell in row.strip("│ ").split("│")]
        assert cells[0] == problem.id and cells[2] == problem.answer, cells


def test_envs_sample_honours_difficulty_and_split(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "sample", "arithmetic", "-d", "5", "-n", "2", "--split", "eval")
    assert exit_code == 0
    for problem in get_environment("arithmetic").problems(2, seed=0, difficulty=5, split="eval"):
        assert problem.id in out and problem.question in out


def test_unknown_environment_gives_exit_2_and_one_line_with_the_closest_match(capsys):
    exit_code, out, err = run_cli(capsys, "envs", "sample", "algebr")
    assert exit_code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("selfplay: error: unknown environment 'algebr'")
    assert "did you mean 'algebra'?" in err and out == ""


def test_unknown_environment_in_check_fails_naming_the_closest_match(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "check", "sort_word")
    assert exit_code != 0
    assert "did you mean 'sort_words'?" in out


@pytest.mark.parametrize("argv, message", [
    (["envs", "sample", "arithmetic", "-d", "9"], "arithmetic: difficulty must be one of [1, 2, 3, 4, 5], got 9"),
    (["envs", "sample", "algebra", "--answer-format", "last_number"], "algebra: answer_format must be one of"),
])  # fmt: skip
def test_bad_values_give_exit_2_and_one_line_naming_them(capsys, argv, message):
    exit_code, _, err = run_cli(capsys, *argv)
    assert exit_code == 2
    assert len(err.strip().splitlines()) == 1 and message in err, err


# Slow (about 15 s on 2 busy cores): algebra's generation runs sympy, about 3 ms a draw, and an eval
# problem takes about 10 draws to land in the held-out share of keys.
@pytest.mark.slow
@pytest.mark.parametrize("name, difficulty", LEVELS)
def test_eval_problems_are_distinct_and_never_in_training(name, difficulty):
    environment = get_environment(name)
    train = environment.problems(NUM_TRAIN, seed=0, difficulty=difficulty, split="train")
    held_out = environment.problems(NUM_EVAL, seed=0, difficulty=difficulty, split="eval")
    held_out_keys = {problem.key for problem in held_out}
    assert len(held_out) == NUM_EVAL and len(held_out_keys) == NUM_EVAL
    assert {problem.split for problem in held_out} == {"eval"} and {problem.split for problem in train} == {"train"}
    leaked = held_out_keys & {problem.key for problem in train}
    assert not leaked, f"{len(leaked)} held-out problems also in training, e.g. {sorted(leaked)[0]!r}"
