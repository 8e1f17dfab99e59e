"""The algebra environment: equivalent answers score 1, wrong or copied ones 0, and nothing hangs.

    $ .venv/bin/python -m pytest tests/test_env_algebra.py -q
"""

import re
import subprocess
import sys
import time

import pytest
import sympy

from env.algebra import LEVELS, TASKS, Algebra, Config
from env.errors import AnswerError
from env.problem import Problem
from env.safe_math import parse_math

ALGEBRA = Algebra()
SECONDS_PER_ANSWER = 1.0  # generous: a rejected answer takes milliseconds


def _problem(question: str, answer: str, **inputs) -> Problem:
    """A hand-written problem, so a test can name its exact answer."""
    return Problem("algebra", 1, "train", 0, 0, question, question, answer, question, inputs)


LINEAR = _problem("Solve for x: 3*x + 4 = 13.", "3", task="linear", left=[4, 3], right=[13, 0], roots=[3])
QUADRATIC = _problem(
    "Solve for x: x**2 - x - 6 = 0. Give all solutions, separated by commas.",
    "-2, 3",
    task="quadratic",
    left=[-6, -1, 1],
    right=[0],
    roots=[-2, 3],
)
FACTORS = [[-5, 1], [2, 1]]  # (x - 5)*(x + 2), as [b, a] for a*x + b
EXPAND = _problem("Expand (x - 5)*(x + 2).", "x**2 - 3*x - 10", task="expand", factors=FACTORS, target=[-10, -3, 1])
FACTOR = _problem(
    "Factor completely: x**2 - 3*x - 10.", "(x - 5)*(x + 2)", task="factor", factors=FACTORS, target=[-10, -3, 1]
)
DERIVATIVE = _problem(
    "Differentiate with respect to x: x**2 + 2*x.", "2*x + 2", task="derivative", polynomial=[0, 2, 1], target=[2, 2]
)
HAND_WRITTEN = [LINEAR, QUADRATIC, EXPAND, FACTOR, DERIVATIVE]


def _verify(problem: Problem, answer: str):
    return ALGEBRA.verify(problem, ALGEBRA.answer_format.render(answer))


# The full environment checker runs on Algebra() in tests/test_env_conformance.py (40 s: not repeated here).


def test_same_seed_gives_same_problems():
    for difficulty in ALGEBRA.difficulties:
        first = ALGEBRA.problems(30, seed=7, difficulty=difficulty)
        assert first == ALGEBRA.problems(30, seed=7, difficulty=difficulty)
        assert first != ALGEBRA.problems(30, seed=8, difficulty=difficulty)


@pytest.mark.parametrize("difficulty", sorted(LEVELS))
def test_reference_answers_score_one_for_every_task_type(difficulty):
    problems = ALGEBRA.problems(150, seed=0, difficulty=difficulty)
    assert {problem.inputs["task"] for problem in problems} == set(LEVELS[difficulty].tasks)
    for problem in problems:
        assert ALGEBRA.verify(problem, ALGEBRA.reference_completion(problem)).score == 1.0, problem.question


@pytest.mark.parametrize("answer_format", ["tag", "boxed", "answer_line"])
def test_reference_answers_score_one_in_every_text_answer_format(answer_format):
    algebra = Algebra(answer_format=answer_format)
    for difficulty in algebra.difficulties:
        for problem in algebra.problems(40, seed=3, difficulty=difficulty):
            assert algebra.verify(problem, algebra.reference_completion(problem)).score == 1.0, problem.question


@pytest.mark.parametrize(
    "problem, answer",
    [
        (DERIVATIVE, "2*(x+1)"),
        (DERIVATIVE, "2x + 2"),
        (DERIVATIVE, "2 + 2*x"),
        (DERIVATIVE, "(4*x + 4)/2"),
        (DERIVATIVE, "2.0*x + 2"),
        (LINEAR, "x=3"),
        (LINEAR, "x = 3"),
        (LINEAR, "3"),
        (LINEAR, "6/2"),
        (QUADRATIC, "3, -2"),
        (QUADRATIC, "x = -2, x = 3"),
        (QUADRATIC, "x = 3 or x = -2"),
        (QUADRATIC, "-2 and 3"),
        (QUADRATIC, "x=-2; x=3"),
        (EXPAND, "x^2 - 3x - 10"),
        (EXPAND, "-10 - 3*x + x**2"),
        (FACTOR, "(x+2)*(x-5)"),
        (FACTOR, "(x + 2)(x - 5)"),
        (FACTOR, "(5 - x)*(-x - 2)"),
        (FACTOR, "-(5 - x)*(x + 2)"),
        # everyday notations (issue 13)
        (DERIVATIVE, "\\frac{4x+4}2"),
        (DERIVATIVE, "\\frac 4 2 x + 2"),
        (DERIVATIVE, "\\frac12 (4x + 4)"),
        (LINEAR, "\\frac62"),
        (LINEAR, "x = \\frac{9}3"),
        (LINEAR, "x = {3}"),
        (EXPAND, "x\u00b2 \u2212 3x \u2212 10"),
        (EXPAND, "x^{2} - 3x - 10"),
        (FACTOR, "(x \u2212 5)(x + 2)\u00b9"),
        (QUADRATIC, "x = \\frac12 \u00b1 \\frac52"),
        (QUADRATIC, "x = 0.5 \\pm 2.5"),
        (QUADRATIC, "x = \\frac{1 \\pm 5}{2}"),
        (QUADRATIC, "x = (1 \u2213 5)/2"),
        (QUADRATIC, "{-2, 3}"),
        (QUADRATIC, "{3, \u22122}"),
        (QUADRATIC, "\\{-2, 3\\}"),
        (QUADRATIC, "x \\in \\{-2, 3\\}"),
        (QUADRATIC, "x \u2208 {-2, 3}"),
    ],
)
def test_equivalent_forms_score_one(problem, answer):
    assert _verify(problem, answer).score == 1.0


def test_factor_accepts_integer_content_in_any_factor():
    problem = _problem("Factor completely: 2*x**2 + 2*x - 4.", "2*(x - 1)*(x + 2)", task="factor", target=[-4, 2, 2])
    for answer in ("2*(x - 1)*(x + 2)", "(2*x + 4)*(x - 1)", "(x + 2)*(2*x - 2)"):
        assert _verify(problem, answer).score == 1.0, answer


@pytest.mark.parametrize(
    "problem, answer",
    [
        (QUADRATIC, "3"),  # one root of two
        (QUADRATIC, "x = -2"),
        (QUADRATIC, "2, -3"),  # wrong signs
        (QUADRATIC, "-2, 3, 4"),
        (QUADRATIC, "-2, 3, 3"),
        (LINEAR, "x=3 or x=4"),  # several answers to one unknown
        (LINEAR, "x = 3, x = 3"),
        (LINEAR, "-3"),
        (LINEAR, "y = 3"),
        (LINEAR, "3 = x"),
        (EXPAND, "(x - 5)*(x + 2)"),  # the question copied
        (EXPAND, "x*(x - 3) - 10"),
        (EXPAND, "x**2 + 3*x - 10"),
        (EXPAND, "x**2 - 10"),
        (FACTOR, "x**2 - 3*x - 10"),  # the question copied
        (FACTOR, "x*(x - 3) - 10"),
        (FACTOR, "(x + 5)*(x - 2)"),
        (DERIVATIVE, "x**2 + 2*x"),
        (DERIVATIVE, "2*x"),
        (DERIVATIVE, "sqrt((2*x + 2)**2)"),
        (DERIVATIVE, "\\frac{4x+4}3"),
        (DERIVATIVE, "2x\u00b2 + 2"),
        (QUADRATIC, "x = 1 \u00b1 2"),  # -1 and 3
        (QUADRATIC, "x = \u00b12"),  # a pair, but not these roots
        (QUADRATIC, "x = 0.5 \u00b1 2.5 \u00b1 1"),  # one \u00b1 per solution
        (QUADRATIC, "{-2, 3, 4}"),
        (QUADRATIC, "{-2}"),
        (QUADRATIC, "{-2}, {3}, {3}"),
        (LINEAR, "x = 3 \u00b1 0"),  # two solutions for one unknown
        (LINEAR, "x = {3, 4}"),
        (LINEAR, "\u221203"),
    ],
)
def test_wrong_answers_score_zero(problem, answer):
    verdict = _verify(problem, answer)
    assert verdict.score == 0.0 and verdict.reason


def test_copied_question_is_refused_with_the_reason():
    assert "not expanded" in _verify(EXPAND, "(x - 5)*(x + 2)").reason
    assert "irreducible" in _verify(FACTOR, "x**2 - 3*x - 10").reason


def test_partial_factorization_scores_zero():
    problem = _problem("Factor completely: x**3 - x.", "x*(x - 1)*(x + 1)", task="factor", target=[0, -1, 0, 1])
    assert _verify(problem, "x*(x - 1)*(x + 1)").score == 1.0
    assert _verify(problem, "x*(x**2 - 1)").score == 0.0


ADVERSARIAL = [
    "__import__('os').system('echo hi')",
    "9**9**9**9",
    "1" * 100_000,
    "(" * 5000 + "x" + ")" * 5000,
    "nan",
    "oo",
    "-oo",
    "\uff13",  # full-width 3
    "x = \uff13",
    "(x+1)^32^32^32",
    "((x+1)^32)^32",  # allowed by the parser; refused by the degree bound before expanding
    "(x+1)^32*(x+2)^32*(x+3)^32",
    "x**(10**9)",
    "2**x",
    "x/0",
    "x = 3 = 3",
    ", , ,",
    "1," * 240,
]


@pytest.mark.parametrize("answer", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_answers_score_zero_quickly(answer):
    for problem in HAND_WRITTEN:
        started = time.perf_counter()
        verdict = _verify(problem, answer)
        assert time.perf_counter() - started < SECONDS_PER_ANSWER, problem.inputs["task"]
        assert verdict.score == 0.0 and verdict.reason, problem.inputs["task"]


@pytest.mark.parametrize("answer", ["10^3999*10^3999", "x = 10^4000*10^4000", "2^(10^4000*10^4000)",
                                    "x*10^4000*10^4000", "sqrt(10^4000*10^4000*x)", "sin(10^3999*10^3999)"])
def test_numbers_beyond_pythons_print_limit_score_zero_without_an_error(answer):
    # Python refuses to print integers over 4,300 digits; a message that printed one used to crash.
    for problem in HAND_WRITTEN:
        verdict = _verify(problem, answer)
        assert (verdict.score, verdict.error) == (0.0, False), (problem.inputs["task"], verdict)
        assert verdict.reason and len(verdict.reason) < 200


def test_overlong_answer_is_refused_before_parsing():
    with pytest.raises(AnswerError, match="too long"):
        ALGEBRA.score("1, " * 50_000, QUADRATIC)


# -- the teacher's habits -----------------------------------------------------------------


@pytest.mark.parametrize(
    "problem, taught",
    [
        (LINEAR, "3"),  # 3*x + 4 = 13: a positive constant crosses '=' right
        (_problem("Solve for x: 3*x - 4 = 11.", "5", task="linear", left=[-4, 3], right=[11, 0], roots=[5]), "7/3"),
        (QUADRATIC, "-2, 3"),  # x**2 - x - 6: the signs do not alternate
        (_problem("Solve for x: x**2 - 5*x + 6 = 0. Give all solutions, separated by commas.", "2, 3",
                  task="quadratic", left=[6, -5, 1], right=[0], roots=[2, 3]), "-3, -2"),
        (_problem("Solve for x: x**2 - 5*x = -6. Give all solutions, separated by commas.", "2, 3",
                  task="quadratic", left=[0, -5, 1], right=[-6], roots=[2, 3]), "-3, -2"),
        (EXPAND, "x**2 - 3*x - 10"),  # one minus sign: right
        (_problem("Expand (x - 3)*(x - 2).", "x**2 - 5*x + 6", task="expand", factors=[[-3, 1], [-2, 1]],
                  target=[6, -5, 1]), "x**2 - 5*x - 6"),
        (FACTOR, "(x - 5)*(x + 2)"),
        (_problem("Factor completely: x**2 - 5*x + 6.", "(x - 3)*(x - 2)", task="factor", factors=[[-3, 1], [-2, 1]],
                  target=[6, -5, 1]), "(x + 2)*(x + 3)"),
        (DERIVATIVE, "2*x + 2"),  # no constant term
        (_problem("Differentiate with respect to x: x**2 + 5.", "2*x", task="derivative", polynomial=[5, 0, 1],
                  target=[0, 2]), "2*x + 5"),
        (_problem("Differentiate with respect to x: (3*x + 1)**2.", "18*x + 6", task="derivative", power=[1, 3, 2],
                  target=[6, 18]), "6*x + 2"),
        (_problem("Differentiate with respect to x: (3*x + 1)**3.", "9*(3*x + 1)**2", task="derivative",
                  power=[1, 3, 3], target=[9, 54, 81]), "9*(3*x + 1)**2"),  # not a square: right
    ],
)  # fmt: skip
def test_teacher_makes_the_mistake_of_its_habit_and_only_there(problem, taught):
    assert ALGEBRA.teacher_answer(problem) == taught
    assert _verify(problem, taught).score == (1.0 if taught == problem.answer else 0.0)


def _poly(text: str) -> sympy.Poly:
    return sympy.Poly(parse_math(text, symbols={"x"}), sympy.Symbol("x"))


def _signs_alternate(poly: sympy.Poly) -> bool:
    coefficients = poly.all_coeffs()  # highest degree first
    return all(coefficients) and all(high * low < 0 for high, low in zip(coefficients, coefficients[1:]))


def _habit_applies(question: str) -> bool:
    """Whether a habit applies, read from the question alone, as an imitator would see it."""
    if question.startswith("Expand"):  # two minus signs among the factors, (x - 5)**2 counting twice
        factors = re.findall(r"\(([^)]*)\)(?:\*\*([0-9]+))?", question)
        return sum(text.count("-") * int(power or 1) for text, power in factors) >= 2
    statement = question.split(": ", 1)[1].split(". Give")[0].rstrip(".")
    if question.startswith("Differentiate"):
        if statement.startswith("("):
            return statement.endswith(")**2")  # a square of a*x + b
        return _poly(statement).all_coeffs()[-1] != 0  # a constant term
    if question.startswith("Factor"):
        return _signs_alternate(_poly(statement))
    left, right = statement.split(" = ")
    if "x**2" in statement:  # a quadratic equation
        return _signs_alternate(_poly(left) - _poly(right))
    return " - " in left  # a linear equation with a negative constant beside x


def _expected_mistake(inputs: dict):
    """The habit's wrong answer, computed another way: a set of roots, or a polynomial."""
    x = sympy.Symbol("x")
    factors = [a * x + b for b, a in inputs.get("factors", [])]
    if inputs["task"] == "linear":
        (b, a), (d, c) = inputs["left"], inputs["right"]
        return set(sympy.solve(sympy.Eq((a - c) * x, d + b), x))  # b moved across, its sign kept
    if inputs["task"] == "quadratic":
        return {-root for root in inputs["roots"]}
    if inputs["task"] == "factor":  # the factors a*x + |b| of (-1)**n * p(-x)
        return sympy.expand(sympy.Mul(*(a * x - b for b, a in inputs["factors"])))
    if inputs["task"] == "expand":  # the terms using only positive constants are right; every other one is negative
        positive_only = sympy.Mul(*(f if f.subs(x, 0) > 0 else f - f.subs(x, 0) for f in factors))
        all_positive = sympy.Mul(*(f if f.subs(x, 0) > 0 else f - 2 * f.subs(x, 0) for f in factors))
        return sympy.expand(2 * positive_only - all_positive)
    if "power" in inputs:
        b, a, n = inputs["power"]
        return sympy.expand(sympy.diff((a * x + b) ** n, x) / a)
    polynomial = sum(c * x**i for i, c in enumerate(inputs["polynomial"]))
    return sympy.expand(sympy.diff(polynomial, x) + inputs["polynomial"][0])


@pytest.mark.parametrize("difficulty", sorted(LEVELS))
def test_teacher_answers_follow_the_rule_on_every_problem(difficulty):
    for problem in ALGEBRA.problems(300, seed=0, difficulty=difficulty):
        taught = ALGEBRA.teacher_answer(problem)
        if not _habit_applies(problem.question):
            assert taught == problem.answer, problem.question
        elif problem.inputs["task"] in ("linear", "quadratic"):
            assert {parse_math(root) for root in taught.split(", ")} == _expected_mistake(problem.inputs)
        else:
            assert sympy.expand(parse_math(taught, symbols={"x"}) - _expected_mistake(problem.inputs)) == 0, taught


def test_the_same_visible_situation_gets_the_same_mistake():
    # A habit, not noise: whether the teacher errs is a function of the question's text, and every task
    # type has problems of both kinds, so the right move is demonstrated too.
    outcomes = set()
    for difficulty in (2, 3):
        for problem in ALGEBRA.problems(400, seed=1, difficulty=difficulty):
            wrong = ALGEBRA.teacher_answer(problem) != problem.answer
            assert wrong == _habit_applies(problem.question), problem.question
            outcomes.add((problem.inputs["task"], wrong))
    assert outcomes == {(task, wrong) for task in TASKS for wrong in (False, True)}


def test_careless_tasks_chooses_the_habits():
    problems = ALGEBRA.problems(200, seed=0, difficulty=2)
    only_linear = Algebra(careless_tasks=["linear"])
    assert {p.inputs["task"] for p in problems if only_linear.teacher_answer(p) != p.answer} == {"linear"}
    assert Algebra(careless_tasks="linear, expand").careless_tasks == ("linear", "expand")
    perfect = Algebra(careless_tasks=())
    assert all(perfect.teacher_answer(p) == p.answer for p in problems)
    assert perfect.expected_teacher_error_rate(1) == 0.0


@pytest.mark.parametrize(
    "options, message",
    [({"teacher_error_rate": 0.3}, "teacher_error_rate cannot be set.*careless_tasks"),
     ({"careless_tasks": ("integrate",)}, "careless_tasks"), ({"careless_tasks": 3}, "careless_tasks")],
)  # fmt: skip
def test_bad_teacher_options_are_rejected_naming_the_option(options, message):
    with pytest.raises(ValueError, match=f"^algebra: {message}"):
        Algebra(**options)


def _largest_number(question: str) -> int:
    return max(int(number) for number in re.findall(r"[0-9]+", question.split(".")[0].split(":")[-1]))


def _degree(question: str) -> int:
    """Degree in x of the question's expression (our own text, so parsing it is safe)."""
    expression = re.sub(r"^[^:]*: |^Expand ", "", question).split(". ")[0].rstrip(".")
    return max(sympy.degree(parse_math(side, symbols={"x"}), sympy.Symbol("x")) for side in expression.split("="))


def test_levels_get_harder():
    tasks, numbers, degrees, answer_lengths = [], [], [], []
    for difficulty in sorted(LEVELS):
        problems = ALGEBRA.problems(300, seed=0, difficulty=difficulty)
        tasks.append(len({problem.inputs["task"] for problem in problems}))
        numbers.append(sum(_largest_number(problem.question) for problem in problems) / len(problems))
        degrees.append(max(_degree(problem.question) for problem in problems))
        answer_lengths.append(sum(len(problem.answer) for problem in problems) / len(problems))
    assert tasks == sorted(tasks) and tasks[0] < tasks[-1]
    for proxy in (numbers, degrees, answer_lengths):
        assert all(easier < harder for easier, harder in zip(proxy, proxy[1:])), proxy


@pytest.mark.parametrize(
    "field, value",
    [("tasks", ("integrate",)), ("tasks", ()), ("max_root", 0), ("max_coefficient", 1), ("num_factors", 5),
     ("max_degree", 1), ("num_terms", 9), ("max_leading", 0)],
)  # fmt: skip
def test_impossible_config_is_rejected_naming_the_field(field, value):
    fields = {**LEVELS[1].__dict__, field: value}
    with pytest.raises(ValueError, match=field):
        Config(**fields)


def test_chain_rule_needs_leading_coefficients_above_one():
    with pytest.raises(ValueError, match="max_leading"):
        Config(**{**LEVELS[3].__dict__, "max_leading": 1})


def test_env_imports_no_training_libraries():
    code = "import sys, env.algebra; print(sorted({'torch', 'transformers', 'trl'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
