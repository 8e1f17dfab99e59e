"""Property-based tests (hypothesis): no completion makes a verifier raise, overrun or credit a wrong answer.

For every built-in environment hypothesis writes completions of three kinds, random Unicode,
random expression trees (huge constants, deep nesting, every notation the parsers know) and
random tag soup, and checks that
  - nothing escapes `Environment.verify`: each call returns a Verdict in [0, 1] with `error` False;
  - each call stays within the verifier pool's time bound;
  - nothing is credited that a reference judge rejects. The judges know the truth by construction:
    arithmetic completions are built to be wrong (an exponent equal to the answer, a dropped minus,
    a bad digit group, another integer); countdown and algebra completions are rendered from trees
    whose exact value the test computes itself; sort_words completions are word lists it wrote.
    Where the construction also knows a completion is right, it must be credited, so the refusals
    are not over-broad.
The reward path is checked the same way through the sandboxed `correct` reward (VerifierPool).
Examples are derandomized: CI sees the same cases every run.

    $ .venv/bin/python -m pytest tests/test_properties.py -q
"""

import time
from collections import Counter
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from env import Draft, get_environment
from env.problem import Verdict
from env.registry import BUILTINS
from env.safe_math import MINUS_SIGNS
from rewards import VerifierPool, problem_columns
from rewards.correctness import correctness_reward

from builtin_envs import builtin, builtin_spec

TIMEOUT_S = 1.0  # the verifier pool's bound per completion; in-process calls must stay under it too
X = sympy.Symbol("x")


def _settings(max_examples: int) -> settings:
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip


# -- completions: random Unicode, expression trees, tag soup ----------------------------------

PROSE = st.text(alphabet=" abcdefghijklmnopqrstuvwxyz.,:!?\n", max_size=40)  # no digits, no markup
HUGE = st.sampled_from(["9" * 60, "9" * 61, "10^3999", "10^4000", "10^3999*10^3999", "2^(10^4000)", "9^9^9^9",
                        "(x+1)^32", "1e999", "9\u2079\u2079\u2079", "1,000,000", "0,042", "12,34"])  # fmt: skip
ATOMS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    HUGE,
    st.sampled_from(["x", "y", "e", "pi", "\\pi", "sqrt(2)", "x\u00b2", "x\u207b\u00b9", "\u00bd", "nan", "oo", ".5"]),
)
OPERATORS = ["+", "-", "*", "/", "^", "**", " ", "", "\u2212", "\u2013", "\u00d7", "\u00f7", "\\cdot", "\u00b1", ","]


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    pair = st.tuples(children, children)
    return st.one_of(
        st.tuples(children, st.sampled_from(OPERATORS), children).map("".join),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        pair.map(lambda p: f"\\frac{{{p[0]}}}{{{p[1]}}}"),
        pair.map(lambda p: f"\\frac{p[0]}{p[1]}"),  # brace-less: well-formed only for one-character arguments
        st.tuples(st.sampled_from(["sqrt", "sin", "log", "abs", "\\sqrt", "f"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        pair.map(lambda p: f"{{{p[0]}, {p[1]}}}"),
        pair.map(lambda p: f"x = {p[0]} \u00b1 {p[1]}"),
    )


EXPRESSIONS = st.recursive(ATOMS, _extend, max_leaves=20)
DEEP = st.tuples(st.integers(0, 400), st.sampled_from(["(", "-", "\\sqrt{", "{", "x^", "\\frac1"]), EXPRESSIONS).map(
    lambda t: t[1] * t[0] + t[2] + {"(": ")", "\\sqrt{": "}", "{": "}"}.get(t[1], "") * t[0]
)
MARKUP = st.sampled_from(["<answer>", "</answer>", "\\boxed{", "}", "{", "Answer:", "answer :", "\n", "**", "$",
                          "\\frac", "^", "e5", "\u00b1", ",", "0,", "\u2212", "\u2014", "\uff11", "\u00b2"])  # fmt: skip
TAG_SOUP = st.lists(st.one_of(MARKUP, EXPRESSIONS, PROSE, st.text(max_size=5)), max_size=25).map("".join)


def completions(answer_format) -> st.SearchStrategy:
    """Anything a model might write: Unicode noise, tag soup, or expressions in the environment's format."""
    return st.one_of(
        st.text(max_size=300),
        TAG_SOUP,
        EXPRESSIONS.map(answer_format.render),
        DEEP.map(answer_format.render),
        st.tuples(PROSE, EXPRESSIONS).map(lambda t: t[0] + " " + answer_format.render(t[1])),
    )


def _timed_verify(environment, problem, completion) -> Verdict:
    """verify, asserting the properties every call must have whatever the completion."""
    started = time.perf_counter()
    verdict = environment.verify(problem, completion)
    elapsed = time.perf_counter() - started
    assert isinstance(verdict, Verdict) and 0.0 <= verdict.score <= 1.0
    assert not verdict.error, f"{completion[:200]!r} made the checker raise:\n{verdict.traceback}"
    assert elapsed < TIMEOUT_S, f"{completion[:200]!r} took {elapsed:.2f} s"
    return verdict


ENV_FORMATS = [(name, fmt) for name in sorted(BUILTINS) for fmt in builtin(name).answer_formats]


@pytest.mark.parametrize("name, answer_format", ENV_FORMATS)
def test_no_completion_makes_verify_raise_or_overrun(name, answer_format):
    environment = builtin(name, answer_format=answer_format)
    problems = [environment.problem(0, index, difficulty) for difficulty in environment.difficulties for index in range(2)]

    @_settings(max_examples=100)
    @given(problem=st.sampled_from(problems), completion=completions(environment.answer_format))
    def check(problem, completion):
        _timed_verify(environment, problem, completion)

    check()


# -- arithmetic: completions built to be wrong, and their right counterparts -------------------


@st.composite
def wrong_integer_text(draw, answer: int) -> str:
    """Text whose exact value is not `answer`, though it shows the answer's digits where a sloppy reader looks."""
    a = abs(answer)
    kinds = ["power", "double star", "braced power", "e-notation", "times ten", "other integer", "fraction"]
    kinds += ["minus dropped"] if a else []
    kinds += ["superscript"] if a > 1 else []
    kinds += ["leading zero group"] if 0 < a < 1000 else []
    kinds += ["short group"] if a >= 100 else []
    kinds += ["long group"] if a >= 10_000 else []
    kind = draw(st.sampled_from(kinds))
    base, factor = draw(st.integers(2, 9)), draw(st.integers(2, 99))
    if kind == "power":  # b^a > a for b >= 2; and b^0 = 1 != 0
        return f"{base}^{a}"
    if kind == "double star":
        return f"{base}**{a}"
    if kind == "braced power":
        return f"{base}^{{{a}}}"
    if kind == "e-notation":
        return f"{base}{draw(st.sampled_from(['e', 'E', '.5e', 'e+']))}{a}"
    if kind == "times ten":
        return f"{base} \u00d7 10^{a}"
    if kind == "superscript":
        return f"{a}\u00b2"
    if kind == "fraction":  # a/k != a for a != 0; 0/k would be 0, so the numerator is never 0
        return f"{a or base}/{factor}"
    if kind == "minus dropped":  # the answer's digits with the opposite sign
        return f"{draw(st.sampled_from(MINUS_SIGNS))}{a}" if answer > 0 else str(a)
    if kind == "leading zero group":  # 0,042: a decimal comma in much of Europe
        return f"{'-' if answer < 0 else ''}0,{a:03d}"
    if kind == "short group":  # 12,34
        return f"{'-' if answer < 0 else ''}{a // 100},{a % 100:02d}"
    if kind == "long group":  # 1,2345
        return f"{'-' if answer < 0 else ''}{a // 10_000},{a % 10_000:04d}"
    other = draw(st.integers(-(10**13), 10**13).filter(lambda v: v != answer))
    text = f"{other:,}" if draw(st.booleans()) else str(other)
    return text.replace("-", draw(st.sampled_from(MINUS_SIGNS)))


@st.composite
def right_integer_text(draw, answer: int, last_number: bool) -> str:
    """Text a careful grader reads as exactly `answer`."""
    text = f"{abs(answer):,}" if draw(st.booleans()) else str(abs(answer))
    if answer < 0:
        text = draw(st.sampled_from(MINUS_SIGNS)) + text
    elif draw(st.booleans()):
        text = "+" + text
    if last_number:
        text = draw(st.sampled_from(["{}", "**{}**", "*{}*", "({})", "= {}", "\\boxed{{{}}}", "{}.", "{}!"])).format(text)
    return text


def _arithmetic_problem(answer: int, answer_format: str):
    environment = get_environment("arithmetic", answer_format=answer_format)
    return environment, environment.from_draft(Draft(question=f"What is {answer} + 0?", answer=str(answer)))


ANSWERS = st.one_of(st.integers(-1000, 1000), st.integers(-(10**13), 10**13))


@pytest.mark.parametrize("answer_format", ["tag", "boxed", "answer_line", "last_number"])
def test_arithmetic_credits_no_wrong_reading_and_every_right_one(answer_format):
    @_settings(max_examples=150)
    @given(answer=ANSWERS, prose=PROSE, data=st.data())
    def check(answer, prose, data):
        environment, problem = _arithmetic_problem(answer, answer_format)
        render = environment.answer_format.render
        wrong = data.draw(wrong_integer_text(answer))
        assert _timed_verify(environment, problem, f"{prose}\n{render(wrong)}").score == 0.0, wrong
        right = data.draw(right_integer_text(answer, last_number=answer_format == "last_number"))
        assert _timed_verify(environment, problem, f"{prose}\n{render(right)}").score == 1.0, right

    check()


# -- countdown: expression trees whose value the test computes ----------------------------------


@st.composite
def countdown_case(draw):
    """(numbers, target, completion text, whether a reference judge credits it)."""
    numbers = draw(st.lists(st.integers(1, 100), min_size=2, max_size=6))
    pool = numbers + draw(st.lists(st.integers(1, 1000), max_size=1))  # sometimes a number not given
    leaves = draw(st.permutations(pool))[: draw(st.integers(1, len(pool)))]
    text, value = leaves[0], Fraction(leaves[0])
    text = str(text)
    for leaf in leaves[1:]:  # a random left-deep or right-deep tree, fully parenthesized
        operator = draw(st.sampled_from(["+", "-", "*", "/"]))
        if draw(st.booleans()):  # leaves are >= 1, so only an inner value can be a zero divisor
            text, value = f"({text} {operator} {leaf})", _apply(value, operator, Fraction(leaf))
        else:
            assume(not (operator == "/" and value == 0))
            text, value = f"({leaf} {operator} {text})", _apply(Fraction(leaf), operator, value)
    spelled = {"-": draw(st.sampled_from(["-", "\u2212"])), "*": draw(st.sampled_from(["*", "\u00d7"])),
               "/": draw(st.sampled_from(["/", "\u00f7"]))}  # fmt: skip
    text = "".join(spelled.get(character, character) for character in text)
    target = int(value) if value.denominator == 1 and draw(st.booleans()) else draw(st.integers(1, 1000))
    claimed = draw(st.sampled_from([None, target, target + 1]))
    if claimed is not None:
        text += f" = {claimed}"
    uses_given = not (Counter(leaves) - Counter(numbers))
    judged_right = value == target and uses_given and claimed in (None, target)
    return numbers, target, text, judged_right


def _apply(a: Fraction, operator: str, b: Fraction) -> Fraction:
    return {"+": a + b, "-": a - b, "*": a * b}[operator] if operator != "/" else a / b


def test_countdown_credits_exactly_what_the_reference_judge_credits():
    countdown = get_environment("countdown")

    @_settings(max_examples=300)
    @given(case=countdown_case())
    def check(case):
        numbers, target, text, judged_right = case
        problem = countdown.from_draft(Draft("make it", "?", inputs={"numbers": numbers, "target": target}))
        verdict = _timed_verify(countdown, problem, countdown.answer_format.render(text))
        assert verdict.score == float(judged_right), (text, numbers, target, verdict.reason)

    check()


# -- algebra: polynomial trees in every notation, and solution lists ------------------------------


POWERS = [("^2", 2), ("**2", 2), ("\u00b2", 2), ("^{2}", 2), ("\u00b3", 3), ("^3", 3), ("\u00b9", 1), ("^0", 0)]
JOINS = ["+", " + ", "-", "\u2212", "\u2013", "*", "\u00d7", "\\cdot", "\u00b7", ")("]


def _joined(parts):
    """Two (text, value) pairs joined by a sum, difference or product, with the value it has."""
    ((left, left_value), (right, right_value)), join = parts
    if "+" in join:
        return f"{left}{join}{right}", left_value + right_value
    if join in ("-", "\u2212", "\u2013"):
        return f"{left} {join} ({right})", left_value - right_value
    if join == ")(":
        return f"({left})({right})", left_value * right_value
    return f"({left}){join}({right})", left_value * right_value


def _powered(parts):
    (text, value), (suffix, exponent) = parts
    return f"({text}){suffix}", value**exponent


def _as_fraction(parts):
    """k*(p)/k written as \\frac{k(p)}{k} or, brace-less, \\frac{k(p)}k: integer coefficients stay integers."""
    (text, value), k, braced = parts
    return f"\\frac{{{k}({text})}}{{{k}}}" if braced else f"\\frac{{{k}({text})}}{k}", value


def _polynomial_extend(children: st.SearchStrategy) -> st.SearchStrategy:
    """Combine (text, value) pairs; every rendering is a polynomial with integer coefficients."""
    return st.one_of(
        st.tuples(st.tuples(children, children), st.sampled_from(JOINS)).map(_joined),
        st.tuples(children, st.sampled_from(POWERS)).map(_powered),
        st.tuples(children, st.integers(2, 9), st.booleans()).map(_as_fraction),
    )


POLYNOMIAL_ATOMS = st.one_of(
    st.integers(-12, 12).map(lambda n: (f"({n})" if n < 0 else str(n), sympy.Integer(n))),
    st.sampled_from([("x", X), ("2x", 2 * X), ("x\u00b2", X**2), ("\\frac12 (2x)", X), ("\u2212x", -X)]),
)
POLYNOMIALS = st.recursive(POLYNOMIAL_ATOMS, _polynomial_extend, max_leaves=6)


def _degree_bound(expression: sympy.Expr) -> int:
    if expression.is_Add:
        return max(_degree_bound(term) for term in expression.args)
    if expression.is_Mul:
        return sum(_degree_bound(factor) for factor in expression.args)
    if expression.is_Pow:
        return _degree_bound(expression.base) * int(expression.exp)
    return 1 if expression == X else 0


def _derivative_problem(algebra, target: sympy.Expr):
    coefficients = [int(c) for c in reversed(sympy.Poly(target, X).all_coeffs())]
    return algebra.from_draft(Draft("Differentiate", str(target), inputs={"task": "derivative", "target": coefficients}))


def test_algebra_credits_a_polynomial_exactly_when_it_equals_the_target():
    algebra = get_environment("algebra")

    @_settings(max_examples=150)
    @given(polynomial=POLYNOMIALS, delta=st.integers(-3, 3), power=st.integers(0, 3))
    def check(polynomial, delta, power):
        text, value = polynomial
        assume(_degree_bound(value) <= 24)  # nested cubes grow fast; the environment refuses degree above 64
        target = sympy.expand(value + delta * X**power)
        verdict = _timed_verify(algebra, _derivative_problem(algebra, target), algebra.answer_format.render(text))
        judged_right = sympy.expand(value - target) == 0  # the reference: exact expansion of the tree we built
        assert verdict.score == float(judged_right), (text, str(target), verdict.reason)

    check()


PLUS_MINUS = ["\u00b1", "\\pm ", "\u2213"]
ROOT_FORMS = [lambda r: str(r), lambda r: f"x = {r}", lambda r: f"\\frac{{{2 * r}}}{{2}}", lambda r: f"{3 * r}/3",
              lambda r: f"x=\u2212({-r})", lambda r: f"{{{r}}}"]  # fmt: skip


@st.composite
def root_list_case(draw):
    """(roots, completion text, whether a reference judge credits it): the roots of a quadratic, written many ways."""
    roots = sorted(draw(st.lists(st.integers(-10, 10), min_size=2, max_size=2, unique=True)))
    given = draw(st.lists(st.integers(-11, 11), min_size=1, max_size=3)) if draw(st.booleans()) else list(roots)
    given = draw(st.permutations(given))
    if len(given) == 2 and draw(st.booleans()):  # center \u00b1 half-width, exact when the width is even
        center, half = Fraction(given[0] + given[1], 2), Fraction(given[1] - given[0], 2)
        plus_minus = draw(st.sampled_from(PLUS_MINUS))
        text = f"x = {_fraction_text(center)} {plus_minus} {_fraction_text(half)}"
    else:
        separator = draw(st.sampled_from([", ", " and ", " or ", "; "]))
        text = separator.join(draw(st.sampled_from(ROOT_FORMS))(value) for value in given)
        if separator == ", " and draw(st.booleans()):
            text = draw(st.sampled_from(["{{{}}}", "\\{{{}\\}}", "x \u2208 {{{}}}"])).format(text)
    return roots, text, sorted(given) == roots


def _fraction_text(value: Fraction) -> str:
    if value.denominator == 1:
        return f"({value.numerator})" if value < 0 else str(value.numerator)
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def test_algebra_credits_a_solution_list_exactly_when_it_is_the_roots():
    algebra = get_environment("algebra")

    @_settings(max_examples=200)
    @given(case=root_list_case())
    def check(case):
        roots, text, judged_right = case
        inputs = {"task": "quadratic", "roots": roots, "left": [], "right": [0]}
        problem = algebra.from_draft(Draft("Solve", ", ".join(map(str, roots)), inputs=inputs))
        verdict = _timed_verify(algebra, problem, algebra.answer_format.render(text))
        assert verdict.score == float(judged_right), (text, roots, verdict.reason)

    check()


# -- sort_words: word lists the test wrote -----------------------------------------------------


@st.composite
def word_list_case(draw, words: list[str]):
    """(completion text, whether a reference judge credits it)."""
    ordered = sorted(words, key=str.lower)
    written = list(draw(st.permutations(words))) if draw(st.booleans()) else list(ordered)
    change = draw(st.sampled_from(["none", "drop", "repeat", "case", "junk", "none"]))
    if change == "drop":
        written.pop(draw(st.integers(0, len(written) - 1)))
    elif change == "repeat":
        written.insert(0, written[-1])
    elif change == "case":
        position = draw(st.integers(0, len(written) - 1))
        written[position] = written[position].swapcase()
    elif change == "junk":
        junk = draw(st.sampled_from(["42", "\u00e9t\u00e9", "a.b", "-", "\uff41"]))  # digits, accents, full-width
        written.insert(draw(st.integers(0, len(written))), junk)
    count = len(written)
    separators = draw(st.lists(st.sampled_from([" ", ", ", ",", "\n", "  ", " ,"]), min_size=count, max_size=count))
    text = "".join(word + separator for word, separator in zip(written, separators)).strip(" ,\n")
    return text, written == ordered


@pytest.mark.parametrize("difficulty", [1, 4])
def test_sort_words_credits_exactly_the_sorted_list(difficulty):
    sort_words = get_environment("sort_words")
    problems = sort_words.problems(5, seed=0, difficulty=difficulty)

    @_settings(max_examples=100)
    @given(problem=st.sampled_from(problems), data=st.data())
    def check(problem, data):
        text, judged_right = data.draw(word_list_case(problem.inputs["words"]))
        verdict = _timed_verify(sort_words, problem, sort_words.answer_format.render(text))
        assert verdict.score == float(judged_right), (text, problem.answer, verdict.reason)

    check()


# -- the reward path: the sandboxed `correct` reward, as in training --------------------------------


@pytest.fixture(scope="module")
def pool():
    specs = {name: builtin_spec(name) for name in BUILTINS}
    with VerifierPool(specs, num_workers=2, timeout_s=TIMEOUT_S) as pool:
        yield pool


def test_correct_reward_through_the_pool_scores_like_verify_with_no_error_or_overrun(pool):
    environments = {name: builtin(name) for name in sorted(BUILTINS)}
    problems = [environment.problem(0, index, difficulty) for environment in environments.values()
                for difficulty in environment.difficulties for index in range(2)]  # fmt: skip
    correct = correctness_reward(pool)
    correct(completions=["warm up"], **problem_columns(problems[:1]))  # start the workers outside the timings
    pool.take_counts()

    @st.composite
    def job(draw):
        problem = draw(st.sampled_from(problems))
        environment = environments[problem.env]
        right = draw(st.booleans()) and draw(st.booleans())  # a quarter of the jobs give the reference answer
        return problem, environment.reference_completion(problem) if right else draw(completions(environment.answer_format))

    @_settings(max_examples=40)
    @given(jobs=st.lists(job(), min_size=1, max_size=6))
    def check(jobs):
        batch, texts = [problem for problem, _ in jobs], [text for _, text in jobs]
        started = time.monotonic()
        rewards = correct(completions=texts, **problem_columns(batch))
        elapsed = time.monotonic() - started
        expected = [environments[problem.env].verify(problem, text).score for problem, text in jobs]
        assert rewards == expected
        counts = pool.take_counts()
        assert (counts.num_verified, counts.num_errors, counts.num_timeouts) == (len(jobs), 0, 0), pool.errors[:1]
        assert elapsed < TIMEOUT_S + 0.5, f"a batch of {len(jobs)} took {elapsed:.2f} s"

    check()
