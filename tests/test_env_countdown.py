"""The countdown environment: solvable problems, any exact expression scores, untrusted answers are safe."""

import dataclasses
import re
import statistics
import subprocess
import sys
import time

import pytest

from env.countdown import LEVELS, Config, Countdown, parse_expression
from env.errors import AnswerError
from env.problem import Problem

ADVERSARIAL = [
    "__import__('os').system('echo hi')",
    "9**9**9**9",
    "9^9^9",
    "1" * 100_000,
    "(" * 5000 + "3" + ")" * 5000,
    "nan",
    "inf",
    "1e999",
    "\uff12\uff15 * \uff14",  # full-width digits
    "   \n\t ",
]


def _problem(numbers: list[int], target: int, answer: str) -> Problem:
    """A hand-made problem, as generate() would have completed it."""
    question = f"Using the numbers {', '.join(map(str, numbers))} (each at most once) and + - * /, make {target}."
    return Problem(
        env="countdown",
        difficulty=1,
        split="train",
        seed=0,
        index=0,
        question=question,
        prompt=question,
        answer=answer,
        key=f"{','.join(map(str, sorted(numbers)))}->{target}",
        inputs={"numbers": numbers, "target": target},
    )


def _verify(env: Countdown, problem: Problem, answer: str):
    return env.verify(problem, env.answer_format.render(answer))


def test_same_seed_gives_same_problems():
    env = Countdown()
    for difficulty in env.difficulties:
        assert env.problems(10, seed=3, difficulty=difficulty) == env.problems(10, seed=3, difficulty=difficulty)
    assert env.problems(10, seed=3) != env.problems(10, seed=4)


def test_reference_answers_score_one_and_use_given_numbers():
    env = Countdown()
    for difficulty in env.difficulties:
        for problem in env.problems(50, seed=0, difficulty=difficulty):
            assert _verify(env, problem, problem.answer).score == 1.0, problem
            assert len(problem.inputs["numbers"]) == LEVELS[difficulty].num_numbers
            assert problem.inputs["target"] not in problem.inputs["numbers"]


def test_order_of_the_numbers_does_not_change_the_key():
    env = Countdown()
    problem = env.problem(seed=0, index=0)
    numbers, target = problem.inputs["numbers"], problem.inputs["target"]
    assert problem.key == _problem(list(reversed(numbers)), target, problem.answer).key


def test_a_different_valid_expression_scores_one():
    env = Countdown()
    problem = _problem([3, 4, 5, 25], 83, answer="(25 - 5) * 4 + 3")
    assert _verify(env, problem, "(25 - 5) * 4 + 3").score == 1.0
    assert _verify(env, problem, "3 + 4 * (25 - 5)").score == 1.0
    assert _verify(env, problem, "3+4*(25-5)").score == 1.0
    assert _verify(env, problem, "3 + 4 \u00d7 (25 \u2212 5)").score == 1.0  # unicode times and minus
    assert _verify(env, problem, "(25 - 5) * 4 + 3 = 83").score == 1.0


def test_intermediate_fractions_are_allowed_when_the_result_is_exact():
    env = Countdown()
    assert _verify(env, _problem([2, 4, 7], 14, answer="7 * 2"), "7 / 2 * 4").score == 1.0
    assert _verify(env, _problem([2, 4, 7], 14, answer="7 * 2"), "7 / 4 * 2").score == 0.0


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("25 * 3 + 4 + 4", "4 is used 2 times"),  # 83, but 4 is given once
        ("80 + 3", "80 is not one of the given numbers"),
        ("83", "83 is not one of the given numbers"),
        ("25 * 4 - 5 * 3", "wrong answer"),  # 85
        ("-(5 - 25) * 4 + 3", "sign before a number"),  # 83 with a unary minus
        ("3 + 4 * (25 + -5)", "sign before a number"),
        ("(25 - 5) * 4 + 3 = 84", "target is 83"),
        ("(25 - 5) * 4 + 3 = 83 = 83", "target is 83"),
        ("(25 - 05) * 4 + 3", "leading zeros"),
        ("(25 - 5) * 4 + 3.0", "unexpected character '.'"),
        ("(25 - 5) * 4 + 3)", "unexpected ')'"),
        ("((25 - 5) * 4 + 3", "missing ')'"),
        ("(25 - 5) 4 + 3", "unexpected '4'"),
        ("2 ** 5", "exponentiation"),
    ],
)
def test_invalid_expressions_score_zero_with_a_reason(answer, reason):
    verdict = _verify(Countdown(), _problem([3, 4, 5, 25], 83, answer="(25 - 5) * 4 + 3"), answer)
    assert verdict.score == 0.0
    assert reason in verdict.reason


def test_division_by_zero_scores_zero():
    verdict = _verify(Countdown(), _problem([3, 3, 5], 8, answer="5 + 3"), "5 / (3 - 3)")
    assert verdict.score == 0.0
    assert "division by zero" in verdict.reason


@pytest.mark.parametrize("answer", ADVERSARIAL)
def test_adversarial_answers_score_zero_quickly(answer):
    env = Countdown()
    problem = env.problem(seed=0, index=0)
    started = time.perf_counter()
    verdict = _verify(env, problem, answer)
    assert verdict.score == 0.0 and verdict.reason
    with pytest.raises(AnswerError):  # score() itself is safe too, without the completion-length limit
        env.score(answer, problem)
    assert time.perf_counter() - started < 0.5


def test_parser_bounds_nesting():
    assert parse_expression("((((3))))") == 3
    with pytest.raises(AnswerError, match="nested"):
        parse_expression("(" * 11 + "3" + ")" * 11)


# -- the teacher's habit: no parentheses around a short sum it multiplies or divides ----------------


def _habit(answer: str, max_numbers: int) -> str:
    """The habit written independently, on the text of the reference: remove each pair of parentheses whose
    top level holds a + or - and that stands next to a * or /, if it holds at most `max_numbers` numbers."""
    pairs, opened = [], []
    for position, character in enumerate(answer):
        if character == "(":
            opened.append(position)
        elif character == ")":
            pairs.append((opened.pop(), position))
    removed = set()
    for start, end in pairs:
        inside = answer[start + 1 : end]
        depth, top_level = 0, ""
        for character in inside:
            depth += {"(": 1, ")": -1}.get(character, 0)
            top_level += character if depth == 0 else ""
        beside = answer[:start].rstrip()[-1:] + answer[end + 1 :].lstrip()[:1]
        if set(top_level) & set("+-") and set(beside) & set("*/") and len(re.findall("[0-9]+", inside)) <= max_numbers:
            removed |= {start, end}
    return "".join(character for position, character in enumerate(answer) if position not in removed)


def _taught(env: Countdown, problem: Problem, max_numbers: int) -> str:
    """The habit's expression, or the reference where it still makes the target or divides by zero."""
    careless = _habit(problem.answer, max_numbers)
    try:
        makes_the_target = env.score(careless, problem)
    except AnswerError:
        makes_the_target = True
    return problem.answer if makes_the_target else careless


@pytest.mark.parametrize(
    "numbers, target, answer, taught",
    [
        ([3, 4, 5, 25], 83, "(25 - 5) * 4 + 3", "25 - 5 * 4 + 3"),
        ([3, 7, 100], 25, "100 / (7 - 3)", "100 / 7 - 3"),
        ([2, 3, 4, 6], 54, "(2 + 3 + 4) * 6", "2 + 3 + 4 * 6"),  # three numbers: still forgotten
        ([1, 2, 3, 4, 5], 50, "(1 + 2 + 3 + 4) * 5", "(1 + 2 + 3 + 4) * 5"),  # four: bracketed, right
        ([3, 7, 50], 40, "50 - (7 + 3)", "50 - (7 + 3)"),  # what a minus needs on its right: kept
        ([2, 5, 100], 10, "100 / (2 * 5)", "100 / (2 * 5)"),  # and a division
        ([1, 3, 5], 8, "(3 + 5) * 1", "(3 + 5) * 1"),  # 3 + 5 * 1 makes 8 too: the reference
        ([2, 3, 4, 6, 12], 6, "4 - 12 / (2 * (3 - 6))", "4 - 12 / (2 * (3 - 6))"),  # 2 * 3 - 6 is 0: the reference
    ],
)
def test_teacher_drops_the_parentheses_of_a_short_sum_it_multiplies_or_divides(numbers, target, answer, taught):
    env = Countdown()
    problem = _problem(numbers, target, answer)
    assert env.teacher_answer(problem) == taught
    assert _verify(env, problem, taught).score == (1.0 if taught == answer else 0.0)


@pytest.mark.parametrize("difficulty", sorted(LEVELS))
@pytest.mark.parametrize("max_numbers", [3, 0, 2, 8])
def test_teacher_answers_follow_the_rule_on_every_problem(difficulty, max_numbers):
    teacher = Countdown(max_unbracketed_numbers=max_numbers)
    for problem in teacher.problems(300, seed=0, difficulty=difficulty):
        assert teacher.teacher_answer(problem) == _taught(teacher, problem, max_numbers), problem.answer


def test_the_same_visible_situation_gets_the_same_mistake():
    # A habit, not noise: every expression (a + b) * c or (a - b) * c loses its parentheses.
    env = Countdown()
    shape = re.compile(r"\(([0-9]+ [-+] [0-9]+)\) \* ([0-9]+)")
    problems = [p for p in env.problems(2000, seed=0, difficulty=1) if shape.fullmatch(p.answer)]
    assert len(problems) > 50
    assert all(env.teacher_answer(p) == shape.sub(r"\1 * \2", p.answer) for p in problems)


def test_no_unbracketed_numbers_gives_a_perfect_teacher():
    teacher = Countdown(max_unbracketed_numbers=0)
    for difficulty in teacher.difficulties:
        assert teacher.expected_teacher_error_rate(difficulty) == 0.0
        assert all(teacher.teacher_answer(p) == p.answer for p in teacher.problems(200, seed=0, difficulty=difficulty))


@pytest.mark.parametrize(
    "options, message",
    [({"teacher_error_rate": 0.3}, "teacher_error_rate cannot be set.*max_unbracketed_numbers"),
     ({"max_unbracketed_numbers": -1}, "max_unbracketed_numbers"),
     ({"max_unbracketed_numbers": 9}, "max_unbracketed_numbers"),
     ({"max_unbracketed_numbers": 2.5}, "max_unbracketed_numbers")],
)  # fmt: skip
def test_bad_teacher_options_are_rejected_naming_the_option(options, message):
    with pytest.raises(ValueError, match=f"^countdown: {message}"):
        Countdown(**options)


def test_levels_get_harder():
    env = Countdown()

    def means(difficulty):
        problems = env.problems(200, seed=0, difficulty=difficulty)
        operations = statistics.mean(sum(p.answer.count(op) for op in " + - * / ".split()) for p in problems)
        numbers = statistics.mean(len(p.inputs["numbers"]) for p in problems)
        target = statistics.mean(p.inputs["target"] for p in problems)
        return operations, numbers, target

    measured = [means(difficulty) for difficulty in env.difficulties]
    for easier, harder in zip(measured, measured[1:]):
        assert harder[0] > easier[0]  # operations needed by the reference
        assert harder[1] >= easier[1] and harder[2] > easier[2]  # numbers given, target size


@pytest.mark.parametrize(
    "field, value",
    [("num_numbers", 1), ("num_operations", 3), ("max_small", 0), ("num_large", 5), ("min_target", 0)],
)
def test_bad_config_is_rejected_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(LEVELS[1], **{field: value})
    with pytest.raises(ValueError, match="max_target"):
        Config(num_numbers=3, num_operations=2, max_small=10, num_large=0, min_target=50, max_target=10)


def test_env_layer_imports_no_torch():
    code = "import sys, env.countdown; assert not {'torch', 'transformers', 'trl'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
