"""How the `dataset` environment checks a model's answer against a row's reference answer.

The option `checker` names one of these (docs/datasets.md has examples):

    integer     the same integer: `1,234` = `1234`; `12.0`, `2^3` and `12 apples` are refused
    number      a real number within rel_tol (1e-6) or abs_tol (0): `0.5` = `1/2` = `\\frac{1}{2}` = `5e-1`
    expression  the same expression: `2(x+1)` = `2x + 2`, `x = 3` = `3`, `sin(x)^2 + cos(x)^2` = `1`
    exact       the same text, outer whitespace aside
    normalised  the same words, ignoring case, punctuation and spacing: `The Eiffel Tower.` = `the eiffel tower`
    choice      the same option letter: `B` = `(b)` = `B.`
    module:function   your own `score(answer, problem)`, returning a bool, a number in [0, 1] or an env.Verdict

    >>> checker = make_checker("number", rel_tol=1e-6)
    >>> checker.reference(0.5), checker.score("1/2", problem_with_answer_0_5)
    ('0.5', True)

Model text is never evaluated: numbers and expressions are parsed by
env.safe_math.parse_math, and compared by evaluating the parsed tree here,
exactly (fractions) when it is rational and in double precision otherwise,
never with sympy's arbitrary-precision `evalf`, which a tower such as
`exp(exp(exp(exp(x))))` keeps busy for minutes. Two expressions are the same
when they agree at NUM_POINTS test points fixed per problem; points where
either is undefined or overflows are skipped, and with fewer than MIN_POINTS
left the answer cannot be compared (AnswerError: it scores 0 with the reason).
"""

from __future__ import annotations

import cmath
import difflib
import importlib
import math
import random
import re
import unicodedata
from fractions import Fraction
from typing import Any, Callable

import sympy

from env.errors import AnswerError, UserError
from env.problem import Problem, Verdict
from env.safe_math import CONSTANTS, FUNCTIONS, GROUPED_DIGITS, MINUS_SIGNS, describe, parse_integer, parse_math

NUMERIC_FORMATS = ("tag", "boxed", "answer_line", "last_number")  # last_number only reads numbers
TEXT_FORMATS = ("tag", "boxed", "answer_line")
NUM_POINTS = 8  # test points per comparison of two expressions with variables
MIN_POINTS = 3  # points where both are defined, or the answer cannot be compared
FLOAT_TOLERANCE = 1e-9  # relative agreement of two values computed in double precision
_SCIENTIFIC = re.compile(r"([+-]?[0-9]+(?:\.[0-9]+)?)[eE]([+-]?[0-9]{1,4})")  # 1.5e3; the exponent is bounded
_GROUPED_NUMBER = re.compile(rf"[+-]?{GROUPED_DIGITS}(?:\.[0-9]+)?")  # 1,234.5: parse_math has no commas
_VARIABLE_EQUALS = re.compile(r"\s*[A-Za-z]\s*=(.*)", re.DOTALL)  # `x = 3` reads as `3`
_NAME = re.compile(r"(?<![\\A-Za-z])[A-Za-z]+")  # a name, not a LaTeX command's
_CHOICE = re.compile(r"[(\[]?\s*([A-Za-z])\s*[)\]]?\.?")


class Checker:
    """Reads reference answers from the data and scores a model's extracted answer against them."""

    name = ""
    answer_formats = TEXT_FORMATS  # the formats an answer of this kind can be extracted from

    def reference(self, value: Any) -> str:
        """A row's answer (text, int or float from the file) as reference text; AnswerError if unreadable."""
        text = _text(value)
        if not text:
            raise AnswerError("the reference answer is empty")
        return text

    def score(self, answer: str, problem: Problem) -> bool | float | Verdict:
        raise NotImplementedError


class IntegerChecker(Checker):
    name = "integer"
    answer_formats = NUMERIC_FORMATS

    def reference(self, value: Any) -> str:
        if isinstance(value, float):  # an integer column with a gap is read as floats (3.0) by many tools
            if not value.is_integer():
                raise AnswerError(f"not an integer: {value!r}")
            value = int(value)
        return str(parse_integer(_text(value)))

    def score(self, answer: str, problem: Problem) -> bool:
        return parse_integer(answer) == int(problem.answer)


class NumberChecker(Checker):
    name = "number"
    answer_formats = NUMERIC_FORMATS

    def __init__(self, rel_tol: float, abs_tol: float):
        self.rel_tol, self.abs_tol = Fraction(repr(rel_tol)), Fraction(repr(abs_tol))

    def reference(self, value: Any) -> str:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise AnswerError(f"not a finite number: {value!r}")
            value = _decimal(value)  # 1e-05 -> 0.00001, which every answer format can show
        text = _text(value)
        parse_number(text)
        return text

    def score(self, answer: str, problem: Problem) -> bool:
        given, reference = parse_number(answer), parse_number(problem.answer)
        if given.is_Rational and reference.is_Rational:
            given, reference = Fraction(int(given.p), int(given.q)), Fraction(int(reference.p), int(reference.q))
            return abs(given - reference) <= max(self.rel_tol * abs(reference), self.abs_tol)
        given_value, reference_value = _real(given), _real(reference)
        return abs(given_value - reference_value) <= max(float(self.rel_tol) * abs(reference_value), float(self.abs_tol))


class ExpressionChecker(Checker):
    name = "expression"

    def __init__(self, symbols: tuple[str, ...]):
        self.symbols = frozenset(symbols)  # variables an answer may use besides the reference's own

    def reference(self, value: Any) -> str:
        text = _text(value)
        parse_math(_right_side(text), self._symbols(text))
        return text

    def score(self, answer: str, problem: Problem) -> bool:
        symbols = self._symbols(problem.answer)
        given = parse_math(_right_side(answer), symbols)
        reference = parse_math(_right_side(problem.answer), symbols)
        return given == reference or _same_function(given, reference, problem.key)

    def _symbols(self, reference: str) -> frozenset[str]:
        return self.symbols | (set(_NAME.findall(_right_side(reference))) - set(FUNCTIONS) - set(CONSTANTS))


class ExactChecker(Checker):
    name = "exact"

    def score(self, answer: str, problem: Problem) -> bool:
        return answer.strip() == problem.answer.strip()


class NormalisedChecker(Checker):
    name = "normalised"

    def reference(self, value: Any) -> str:
        text = super().reference(value)
        if not normalise(text):
            raise AnswerError(f"nothing is left of {describe(text)} without punctuation")
        return text

    def score(self, answer: str, problem: Problem) -> bool:
        given = normalise(answer)
        if not given:
            raise AnswerError("the answer is only punctuation")
        return given == normalise(problem.answer)


class ChoiceChecker(Checker):
    name = "choice"

    def __init__(self, choices: str | None):
        self.choices = choices.upper() if choices else None  # e.g. "ABCD"; None: any letter

    def reference(self, value: Any) -> str:
        return self._letter(_text(value))

    def score(self, answer: str, problem: Problem) -> bool:
        return self._letter(answer) == problem.answer

    def _letter(self, text: str) -> str:
        match = _CHOICE.fullmatch(text.strip())
        if match is None:
            raise AnswerError(f"not an option letter such as B or (B): {describe(text)}")
        letter = match.group(1).upper()
        if self.choices and letter not in self.choices:
            raise AnswerError(f"{letter} is not one of the options {', '.join(self.choices)}")
        return letter


class PluginChecker(Checker):
    """A user's `module:function`; it must be importable wherever verification runs (the verifier workers)."""

    answer_formats = NUMERIC_FORMATS  # the user knows whether `last_number` suits their answers

    def __init__(self, target: str, function: Callable[[str, Problem], Any]):
        self.name, self.function = target, function

    def score(self, answer: str, problem: Problem) -> bool | float | Verdict:
        return self.function(answer, problem)


BUILT_IN = ("integer", "number", "expression", "exact", "normalised", "choice")


def make_checker(name: str, rel_tol: float = 1e-6, abs_tol: float = 0.0, symbols: tuple[str, ...] = (),
                 choices: str | None = None) -> Checker:
    """The checker `name` refers to; UserError for an unknown name or a plugin that cannot be imported."""
    if ":" in name:
        return PluginChecker(name, _import_function(name))
    if name == "integer":
        return IntegerChecker()
    if name == "number":
        return NumberChecker(rel_tol, abs_tol)
    if name == "expression":
        return ExpressionChecker(symbols)
    if name == "exact":
        return ExactChecker()
    if name == "normalised":
        return NormalisedChecker()
    if name == "choice":
        return ChoiceChecker(choices)
    close = difflib.get_close_matches(name, BUILT_IN, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UserError(f"dataset: unknown checker {name!r}; {hint}choose one of {', '.join(BUILT_IN)}, or module:function")


def parse_number(text: str) -> sympy.Expr:
    """A number written as `-1,234.5`, `3/4`, `\\frac{3}{4}`, `2.5e-3`, `sqrt(2)` or `2^10`; AnswerError otherwise."""
    text = text.strip()
    for sign in MINUS_SIGNS[1:]:
        text = text.replace(sign, "-")
    scientific = _SCIENTIFIC.fullmatch(text)
    if scientific:  # parse_math reads the power and bounds its size
        text = f"{scientific.group(1)}*10^({scientific.group(2)})"
    elif _GROUPED_NUMBER.fullmatch(text):
        text = text.replace(",", "")
    return parse_math(text)  # no variables allowed: `x` is refused as an unknown name


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces (as SQuAD's answer normalisation, articles kept)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(character for character in text if not unicodedata.category(character).startswith("P"))
    return " ".join(text.split())


# -- values ------------------------------------------------------------------------------
def _same_function(given: sympy.Expr, reference: sympy.Expr, key: str) -> bool:
    """Whether two parsed expressions agree at test points fixed by the problem's key (or once, without variables)."""
    variables = sorted(given.free_symbols | reference.free_symbols, key=str)
    rng = random.Random(f"dataset-expression:{key}")
    points = [{}] if not variables else [
        {variable: Fraction(rng.randint(-30, 30), rng.choice((7, 11, 13))) for variable in variables}
        for _ in range(NUM_POINTS)
    ]
    defined = 0
    for point in points:
        try:
            exact = _exact(given, point), _exact(reference, point)
            if None not in exact:
                agree = exact[0] == exact[1]
            else:
                a, b = _float(given, point), _float(reference, point)
                if not (cmath.isfinite(a) and cmath.isfinite(b)):
                    continue
                agree = abs(a - b) <= FLOAT_TOLERANCE * max(1.0, abs(b))
        except (ZeroDivisionError, OverflowError, ValueError):  # undefined or too large at this point
            continue
        if not agree:
            return False
        defined += 1
    if defined < min(MIN_POINTS, len(points)):
        raise AnswerError(f"cannot compare: the answer or the reference is undefined or too large at {len(points) - defined} "
                          f"of {len(points)} test points")
    return True


def _exact(expression: sympy.Expr, point: dict) -> Fraction | None:
    """The value as a fraction when `expression` is a rational function, else None; never approximates."""
    if expression.is_Rational:
        return Fraction(int(expression.p), int(expression.q))
    if expression.is_Symbol:
        return point[expression]
    if expression.is_Add or expression.is_Mul:
        values = [_exact(argument, point) for argument in expression.args]
        if None in values:
            return None
        return sum(values, Fraction(0)) if expression.is_Add else math.prod(values, start=Fraction(1))
    if expression.is_Pow and expression.exp.is_Integer:  # parse_math has bounded the exponent
        base = _exact(expression.base, point)
        return None if base is None else base ** int(expression.exp)
    return None


_FLOAT_FUNCTIONS = {
    sympy.sin: cmath.sin, sympy.cos: cmath.cos, sympy.tan: cmath.tan, sympy.exp: cmath.exp, sympy.log: cmath.log,
    sympy.Abs: abs,
}  # fmt: skip
_FLOAT_CONSTANTS = {sympy.pi: math.pi, sympy.E: math.e, sympy.I: 1j}


def _float(expression: sympy.Expr, point: dict) -> complex:
    """The value in double precision: OverflowError rather than a slow exact computation of a huge number."""
    if expression.is_Rational:
        return complex(int(expression.p) / int(expression.q))  # int division raises OverflowError beyond floats
    if expression.is_Symbol:
        return complex(point[expression])
    if expression in _FLOAT_CONSTANTS:
        return complex(_FLOAT_CONSTANTS[expression])
    values = [_float(argument, point) for argument in expression.args]
    if expression.is_Add:
        return sum(values, 0j)
    if expression.is_Mul:
        return math.prod(values, start=1 + 0j)
    if expression.is_Pow:
        return values[0] ** values[1]
    if expression.func in _FLOAT_FUNCTIONS:
        return complex(_FLOAT_FUNCTIONS[expression.func](values[0]))
    raise AnswerError(f"cannot evaluate {describe(expression)}")


def _real(value: sympy.Expr) -> float:
    """A parsed number as a float; AnswerError if it is not real or beyond double precision."""
    try:
        number = _float(value, {})
    except (ZeroDivisionError, OverflowError, ValueError):
        raise AnswerError(f"{describe(value)} is undefined or too large to compare") from None
    if not cmath.isfinite(number):
        raise AnswerError(f"{describe(value)} is too large to compare")
    if abs(number.imag) > FLOAT_TOLERANCE * max(1.0, abs(number.real)):
        raise AnswerError(f"{describe(value)} is not a real number")
    return number.real


# -- text ----------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A cell as stripped text; an integral float (3.0, from a column with gaps) as an integer."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value.strip() if isinstance(value, str) else str(value)


def _decimal(value: float) -> str:
    """A float as plain decimal digits (0.00001, not 1e-05): the shortest text that reads back as `value`."""
    from decimal import Decimal

    return format(Decimal(repr(value)), "f")


def _right_side(text: str) -> str:
    match = _VARIABLE_EQUALS.fullmatch(text)
    return match.group(1) if match else text


def _import_function(target: str) -> Callable[[str, Problem], Any]:
    module_name, _, function_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # whatever the user's module raises on import is theirs to fix
        raise UserError(f"dataset: checker {target!r}: cannot import {module_name!r} ({type(error).__name__}: {error})") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise UserError(f"dataset: checker {target!r}: {module_name} has no function {function_name!r}")
    return function
