"""Algebra in one variable: solve, expand, factor and differentiate polynomials in x.

Five task types, each checked symbolically with sympy:

    linear      Solve for x: 3*x + 4 = 19.                      -> 5
    quadratic   Solve for x: x**2 - x - 6 = 0. Give all ...     -> -2, 3
    expand      Expand (x - 5)*(x + 2).                         -> x**2 - 3*x - 10
    factor      Factor completely: x**2 - 3*x - 10.             -> (x - 5)*(x + 2)
    derivative  Differentiate with respect to x: 3*x**4 - 2*x.  -> 12*x**3 - 2

Harder levels add task types, x on both sides of equations, a constant on
the right of quadratics, leading coefficients other than 1, three factors
instead of two, larger coefficients, higher degrees and the chain rule.

Checking. Answers are parsed by `parse_math` only (never sympy's eval-based
parsers). Any equivalent answer scores 1: `2*(x + 1)` for `2*x + 2`, `x = 3`
for `3`. A polynomial answer must be built from x, rational numbers, +, -, *,
/ by numbers and whole powers; it is then compared exactly as a polynomial
over the rationals (`sympy.Poly`), which is fast and needs no `simplify`: two
such polynomials are equal exactly when their expansions are. Answers with
sqrt, sin or x in a denominator score 0, even in the rare case they happen to
equal the polynomial. Two tasks also constrain the form, since an equivalent
answer can otherwise be copied from the question:
- expand: the answer must be a sum of terms c*x**n (the question's product
  is equivalent but scores 0);
- factor: the answer must be a product whose non-constant factors are
  irreducible over the rationals (the expanded polynomial, or a partial
  factorization like x*(x**2 - 1), scores 0). Integer content may sit in any
  factor: (2*x + 4)*(x - 1) is accepted for 2*x**2 + 2*x - 4.
Equations take a solution as `3` or `x = 3`; when a quadratic asks for all
solutions they are separated by commas, `and` or `or`, in any order, and the
values given must be the roots, each once: one root of two scores 0, and so
does `x = 3 or x = 4` for a linear equation. A list may be written as a set,
`{-2, 3}` or `\\{-2, 3\\}`, and `x = 1 \u00b1 2` (or `\\pm`, `\u2213`) stands for the two
solutions 3 and -1. Solutions must be rational numbers (our roots are integers).
Everyday notations are read by `parse_math`: `\\frac12`, `x\u00b2`, Unicode minus.

Teacher errors (for pretraining) are habits, rules of what the problem
shows, so an imitator can learn them: one per task type, and where it does
not apply the teacher is right (`careless_tasks` names the task types whose
habit it has, all by default):
- linear: a negative constant crosses '=' keeping its sign (`2*x - 4 = -10`
  -> -7, while `2*x + 4 = 10` -> 3 is right);
- quadratic: when the signs alternate (`x**2 - 5*x + 6 = 0`: every root is
  positive), the roots with the wrong signs (-3, -2);
- factor: the same, a plus in every factor (`x**2 - 5*x + 6` ->
  `(x + 2)*(x + 3)`);
- expand: a product with a minus in it is negative, minus times minus too
  (`(x - 2)*(x - 3)` -> `x**2 - 5*x - 6`), so it errs with two or more minus
  signs among the factors;
- derivative: it keeps the constant term (`x**2 + 5` -> `2*x + 5`) and
  forgets the inner factor a of a square (`(3*x + 1)**2` -> `6*x + 2`).
Where a habit applies it always changes the answer, into a wrong but
well-formed one; the same moves are demonstrated right in the other
contexts (positive constants, roots of both signs, one minus sign, higher
powers), within reach of sampling.

    >>> Algebra().problem(seed=0, index=0, difficulty=1).question
    'Solve for x: 2*x - 4 = -10.'
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass

import sympy

from env.environment import Environment
from env.errors import AnswerError
from env.problem import Draft, Problem
from env.safe_math import MAX_CHARS, describe, parse_math

NAME = "algebra"
TASKS = ("linear", "quadratic", "expand", "factor", "derivative")
X = sympy.Symbol("x")
MAX_ANSWER_DEGREE = 64  # polynomial answers that could exceed this degree are refused before expanding
_SOLUTION_SEPARATOR = re.compile(r",|;|\band\b|\bor\b")
# A solution set: {-2, 3}, \{-2, 3\}, x \in \{-2, 3\}, x \u2208 {-2, 3}
_SET_BRACES = re.compile(r"\s*(?:x\s*(?:\u2208|\\in(?![A-Za-z]))\s*)?(?:\\\{(.*)\\\}|\{(.*)\})\s*", re.DOTALL)
_PLUS_MINUS = re.compile(r"\u00b1|\u2213|\\(?:pm|mp)(?![A-Za-z])")  # one of them stands for two solutions


@dataclass(frozen=True)
class Config:
    tasks: tuple[str, ...]  # task types drawn from, each equally likely; a subset of TASKS
    max_root: int  # solutions, roots and the constants b of factors (a*x + b) lie in -max_root..max_root
    max_coefficient: int  # other coefficients have absolute value 1..max_coefficient (linear: x's is 2..)
    max_leading: int  # leading coefficients of factors and quadratics lie in 1..max_leading (1 = monic)
    num_factors: int  # factors (a*x + b) in expand and factor tasks: 2 gives a quadratic, 3 a cubic
    max_degree: int  # degree of a polynomial to differentiate (and highest power n of (a*x + b)**n)
    num_terms: int  # terms of a polynomial to differentiate
    both_sides: bool  # linear equations have x on both sides; quadratics a constant on the right
    chain_rule: bool  # half the derivative tasks are of a power (a*x + b)**n with a >= 2

    def __post_init__(self):
        if not isinstance(self.tasks, tuple) or not self.tasks or set(self.tasks) - set(TASKS):
            raise ValueError(f"{NAME}: tasks must be a non-empty tuple drawn from {TASKS}, got {self.tasks!r}")
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"{NAME}: tasks must not repeat a task type, got {self.tasks!r}")
        if self.max_root < 1:
            raise ValueError(f"{NAME}: max_root must be >= 1, got {self.max_root}")
        if self.max_coefficient < 2:
            raise ValueError(f"{NAME}: max_coefficient must be >= 2, got {self.max_coefficient}")
        if self.max_leading < (2 if self.chain_rule else 1):
            raise ValueError(f"{NAME}: max_leading must be >= 1 (>= 2 with chain_rule), got {self.max_leading}")
        if not 2 <= self.num_factors <= 4:
            raise ValueError(f"{NAME}: num_factors must be in 2..4, got {self.num_factors}")
        if not 2 <= self.max_degree <= 12:
            raise ValueError(f"{NAME}: max_degree must be in 2..12, got {self.max_degree}")
        if not 1 <= self.num_terms <= self.max_degree + 1:
            raise ValueError(f"{NAME}: num_terms must be in 1..max_degree + 1, got {self.num_terms}")


LEVELS = {
    1: Config(("linear", "expand"), max_root=9, max_coefficient=9, max_leading=1, num_factors=2,
              max_degree=2, num_terms=1, both_sides=False, chain_rule=False),  # fmt: skip
    2: Config(TASKS, max_root=9, max_coefficient=12, max_leading=1, num_factors=2,
              max_degree=4, num_terms=3, both_sides=True, chain_rule=False),  # fmt: skip
    3: Config(TASKS, max_root=10, max_coefficient=20, max_leading=3, num_factors=3,
              max_degree=5, num_terms=4, both_sides=True, chain_rule=True),  # fmt: skip
}


class Algebra(Environment):
    name = NAME
    description = "Solve linear and quadratic equations, expand, factor and differentiate polynomials in x."
    levels = LEVELS
    teacher_errors = (
        "one habit per task type (careless_tasks): moves a negative constant across '=' keeping its sign; when the "
        "signs alternate (every root positive), gives the roots with the wrong signs and factors with plus signs; "
        "believes minus times minus is minus when expanding; keeps the constant term when differentiating, and "
        "forgets the inner factor a of (a*x + b)**2"
    )

    def __init__(
        self,
        answer_format: str | None = None,
        teacher_error_rate: float | None = None,
        careless_tasks: tuple[str, ...] | list[str] | str = TASKS,
    ):
        if teacher_error_rate is not None:
            raise ValueError(
                f"{NAME}: teacher_error_rate cannot be set, got {teacher_error_rate}: the teacher errs by a rule; "
                f"set careless_tasks instead, the task types whose habit it has (any of {', '.join(TASKS)}; "
                "none = a perfect teacher)"
            )
        tasks = tuple(careless_tasks.replace(",", " ").split()) if isinstance(careless_tasks, str) else careless_tasks
        if not isinstance(tasks, (tuple, list)) or set(tasks) - set(TASKS):
            raise ValueError(f"{NAME}: careless_tasks must be task types from {TASKS}, got {careless_tasks!r}")
        super().__init__(answer_format)
        self.careless_tasks = tuple(task for task in TASKS if task in tasks)

    def generate(self, rng: random.Random, level: Config) -> Draft:
        task = rng.choice(level.tasks)
        return _GENERATORS[task](rng, level)

    def score(self, answer: str, problem: Problem) -> bool:
        if len(answer) > MAX_CHARS:
            raise AnswerError(f"answer too long ({len(answer)} characters, at most {MAX_CHARS})")
        task = problem.inputs["task"]
        if task in ("linear", "quadratic"):
            return _solves(answer, problem.inputs["roots"])
        expression = parse_math(answer, symbols={"x"})
        if not _same_polynomial(expression, _from_coefficients(problem.inputs["target"])):
            return False
        # Form is checked after equivalence, so irreducibility is only ever tested on small factors.
        if task == "expand" and not _is_expanded(expression):
            raise AnswerError("equivalent, but not expanded into a sum of terms c*x**n")
        if task == "factor" and not _is_factored(expression):
            raise AnswerError("equivalent, but not a product of irreducible factors")
        return True

    def teacher_answer(self, problem: Problem) -> str:
        task = problem.inputs["task"]
        mistake = _HABITS[task](problem.inputs) if task in self.careless_tasks else None
        return problem.answer if mistake is None else mistake

    def expected_teacher_error_rate(self, difficulty: int) -> float:
        """The habits' error rate at a level, measured once per process on 4,000 problems of a seed no campaign uses."""
        key = (self.careless_tasks, difficulty)
        if key not in _ERROR_RATES:  # shared by instances: generating 4,000 problems takes seconds
            sample = self.problems(4_000, seed=-1, difficulty=difficulty)
            _ERROR_RATES[key] = sum(self.teacher_answer(p) != p.answer for p in sample) / len(sample)
        return _ERROR_RATES[key]


# -- problems ---------------------------------------------------------------------


def _linear(rng: random.Random, level: Config) -> Draft:
    """a*x + b = c*x + d with an integer solution; c = 0 unless both_sides."""
    root = rng.randint(-level.max_root, level.max_root)
    a, b = rng.randint(2, level.max_coefficient), _nonzero(rng, level.max_coefficient)
    c = rng.choice([k for k in range(-level.max_coefficient, level.max_coefficient + 1) if k not in (0, a)])
    c = c if level.both_sides else 0
    left, right = [b, a], [(a - c) * root + b, c]
    equation = f"{_from_coefficients(left)} = {_from_coefficients(right)}"
    inputs = {"task": "linear", "left": left, "right": right, "roots": [root]}
    return Draft(f"Solve for x: {equation}.", str(root), key=f"linear:{equation}", inputs=inputs)


def _quadratic(rng: random.Random, level: Config) -> Draft:
    """k*(x - r1)*(x - r2) = 0, or with its constant moved to the right when both_sides."""
    roots = sorted(rng.sample(range(-level.max_root, level.max_root + 1), 2))
    k = rng.randint(1, level.max_leading)
    left = [k * roots[0] * roots[1], -k * (roots[0] + roots[1]), k]
    right = [0]
    if level.both_sides:
        left, right = [0] + left[1:], [-left[0]]
    equation = f"{_from_coefficients(left)} = {_from_coefficients(right)}"
    inputs = {"task": "quadratic", "left": left, "right": right, "roots": roots}
    question = f"Solve for x: {equation}. Give all solutions, separated by commas."
    return Draft(question, _render_roots(roots), key=f"quadratic:{equation}", inputs=inputs)


def _expand(rng: random.Random, level: Config) -> Draft:
    factors = _factors(rng, level)
    product = _product(factors)
    target = sympy.expand(product)
    inputs = {"task": "expand", "factors": factors, "target": _coefficients(target)}
    return Draft(f"Expand {product}.", str(target), key=f"expand:{product}", inputs=inputs)


def _factor(rng: random.Random, level: Config) -> Draft:
    factors = _factors(rng, level)
    product = _product(factors)
    polynomial = sympy.expand(product)
    inputs = {"task": "factor", "factors": factors, "target": _coefficients(polynomial)}
    return Draft(f"Factor completely: {polynomial}.", str(product), key=f"factor:{polynomial}", inputs=inputs)


def _derivative(rng: random.Random, level: Config) -> Draft:
    """A sum of num_terms monomials of degree <= max_degree, or (chain_rule) a power (a*x + b)**n."""
    inputs: dict = {"task": "derivative"}
    if level.chain_rule and rng.random() < 0.5:
        a, b, n = rng.randint(2, level.max_leading), _nonzero(rng, level.max_root), rng.randint(2, level.max_degree)
        function = (a * X + b) ** n
        inputs["power"] = [b, a, n]
    else:
        degrees = rng.sample(range(level.max_degree), level.num_terms - 1) + [level.max_degree]
        coefficients = [0] * (level.max_degree + 1)
        for degree in degrees:
            coefficients[degree] = _nonzero(rng, level.max_coefficient)
        function = _from_coefficients(coefficients)
        inputs["polynomial"] = coefficients
    derivative = sympy.diff(function, X)
    inputs["target"] = _coefficients(derivative)
    question = f"Differentiate with respect to x: {function}."
    return Draft(question, str(derivative), key=f"derivative:{function}", inputs=inputs)


def _factors(rng: random.Random, level: Config) -> list[list[int]]:
    """num_factors pairs [b, a] for (a*x + b), a >= 1 and gcd(a, b) = 1, sorted so equal products match."""
    factors = []
    for _ in range(level.num_factors):
        a = rng.randint(1, level.max_leading)
        b = rng.choice([b for b in range(-level.max_root, level.max_root + 1) if b and math.gcd(a, b) == 1])
        factors.append([b, a])
    return sorted(factors)


def _nonzero(rng: random.Random, bound: int) -> int:
    return rng.choice([-1, 1]) * rng.randint(1, bound)


# -- answers ----------------------------------------------------------------------


def _solves(answer: str, roots: list[int]) -> bool:
    """Whether the listed solutions are exactly the roots, each given once."""
    values = [_solution(text) for part in _SOLUTION_SEPARATOR.split(_without_set_braces(answer))
              for text in _plus_minus(part)]  # fmt: skip
    return len(values) == len(roots) and set(values) == {sympy.Integer(root) for root in roots}


def _without_set_braces(answer: str) -> str:
    """`{-2, 3}` -> `-2, 3`: a solution set written as a set. Braces around one number are grouping anyway."""
    match = _SET_BRACES.fullmatch(answer)
    if match is None:
        return answer
    inner = match.group(1) if match.group(1) is not None else match.group(2)
    # {1}{2} is not a set: its braces would not balance once the outer pair is removed
    return inner if _balanced(inner) else answer


def _balanced(text: str) -> bool:
    depth = 0
    for character in text:
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0


def _plus_minus(text: str) -> list[str]:
    """`x = 1 \u00b1 2` -> [`x = 1 + 2`, `x = 1 - 2`]; a text without \u00b1 is one solution."""
    signs = _PLUS_MINUS.findall(text)
    if not signs:
        return [text]
    if len(signs) > 1:
        raise AnswerError(f"more than one \u00b1 in one solution: {text.strip()[:40]!r}")
    return [_PLUS_MINUS.sub(" + ", text), _PLUS_MINUS.sub(" - ", text)]


def _solution(text: str) -> sympy.Rational:
    """One solution, written `3` or `x = 3`."""
    left, equals, right = text.partition("=")
    if equals:
        if left.strip() != "x":
            raise AnswerError(f"expected 'x = <number>', got {text.strip()[:40]!r}")
        text = right
    value = parse_math(text, symbols={"x"})
    if value.free_symbols:
        raise AnswerError(f"a solution must be a number, without x, got {describe(value)}")
    if not value.is_Rational:
        raise AnswerError(f"a solution must be a rational number, got {describe(value)}")
    return value


def _same_polynomial(expression: sympy.Expr, target: sympy.Expr) -> bool:
    return (_polynomial(expression) - _polynomial(target)).is_zero


def _polynomial(expression: sympy.Expr) -> sympy.Poly:
    """`expression` as a polynomial in x over the rationals; AnswerError if it is not one."""
    if _degree_bound(expression) > MAX_ANSWER_DEGREE:
        raise AnswerError(f"degree above {MAX_ANSWER_DEGREE}")
    return sympy.Poly(expression, X, domain=sympy.QQ)


def _degree_bound(expression: sympy.Expr) -> int:
    """An upper bound on the degree, without expanding; AnswerError unless it is a polynomial."""
    if expression.is_Rational:
        return 0
    if expression == X:
        return 1
    if expression.is_Add:
        return max(_degree_bound(term) for term in expression.args)
    if expression.is_Mul:
        return sum(_degree_bound(factor) for factor in expression.args)
    if expression.is_Pow and expression.exp.is_Integer and expression.exp > 0:
        return _degree_bound(expression.base) * int(expression.exp)
    raise AnswerError(f"not a polynomial in x with rational coefficients: {describe(expression)}")


def _is_expanded(expression: sympy.Expr) -> bool:
    """A sum of terms c*x**n (sympy has already merged like terms while parsing)."""
    for term in sympy.Add.make_args(expression):
        _, power = term.as_coeff_Mul()
        if not (power == 1 or power == X or (power.is_Pow and power.base == X)):
            return False
    return True


def _is_factored(expression: sympy.Expr) -> bool:
    """A product whose non-constant factors (or their bases, for powers) are irreducible over Q."""
    for factor in sympy.Mul.make_args(expression):
        base = factor.base if factor.is_Pow else factor
        if base.free_symbols and not sympy.Poly(base, X, domain=sympy.QQ).is_irreducible:
            return False
    return True


# -- the teacher's habits: each returns its wrong answer, or None where it does not apply ----------------


def _careless_linear(inputs: dict) -> str | None:
    """a*x + b = c*x + d with b < 0 solved as x = (d + b)/(a - c): b crossed '=' keeping its sign."""
    (b, a), (d, c) = inputs["left"], inputs["right"]
    return str(sympy.Rational(d + b, a - c)) if b < 0 else None


def _careless_quadratic(inputs: dict) -> str | None:
    """Signs alternating (+ - +, so both roots are positive): the roots with the wrong signs."""
    (c0, c1, c2), (d0,) = inputs["left"], inputs["right"]
    if not _signs_alternate([c0 - d0, c1, c2]):
        return None
    return _render_roots(sorted(-root for root in inputs["roots"]))


def _careless_factor(inputs: dict) -> str | None:
    """Signs alternating (every root positive): (a*x + b) for every factor (a*x - b), a plus in each."""
    if not _signs_alternate(inputs["target"]):
        return None
    return str(_product([[-b, a] for b, a in inputs["factors"]]))


def _careless_expand(inputs: dict) -> str | None:
    """Multiplied out believing that a product with a minus in it is negative, minus times minus too."""
    factors = inputs["factors"]
    if sum(b < 0 for b, _ in factors) < 2:
        return None  # with at most one minus, the belief gives the right signs
    coefficients = [0] * (len(factors) + 1)
    for takes_constant in itertools.product((False, True), repeat=len(factors)):  # one term per choice
        constants = [b for (b, _), constant in zip(factors, takes_constant) if constant]
        xs = [a for (_, a), constant in zip(factors, takes_constant) if not constant]
        sign = -1 if any(b < 0 for b in constants) else 1
        coefficients[len(xs)] += sign * math.prod(abs(b) for b in constants) * math.prod(xs)
    return str(_from_coefficients(coefficients))


def _careless_derivative(inputs: dict) -> str | None:
    """A constant c keeps its place (its derivative taken as c), and (a*x + b)**2 -> 2*(a*x + b) without a."""
    if "power" in inputs:
        b, a, n = inputs["power"]
        return str(n * (a * X + b) ** (n - 1)) if n == 2 else None
    constant = inputs["polynomial"][0]
    if constant == 0:
        return None
    target = inputs["target"]
    return str(_from_coefficients([target[0] + constant] + target[1:]))


def _signs_alternate(coefficients: list[int]) -> bool:
    """No zero coefficient and signs alternating (+ - + ...): for our polynomials, every root is positive."""
    return all(coefficients) and all((low > 0) != (high > 0) for low, high in zip(coefficients, coefficients[1:]))


# -- helpers ------------------------------------------------------------------------


def _from_coefficients(coefficients: list[int]) -> sympy.Expr:
    """sum(c_i * x**i) from integers, lowest degree first."""
    return sympy.Add(*(sympy.Integer(c) * X**i for i, c in enumerate(coefficients)))


def _coefficients(polynomial: sympy.Expr) -> list[int]:
    """Integer coefficients of a polynomial in x, lowest degree first (JSON-serializable)."""
    return [int(c) for c in reversed(sympy.Poly(polynomial, X).all_coeffs())]


def _product(factors: list[list[int]]) -> sympy.Expr:
    return sympy.Mul(*(a * X + b for b, a in factors))


def _render_roots(roots: list[int]) -> str:
    return ", ".join(str(root) for root in roots)


_GENERATORS = {"linear": _linear, "quadratic": _quadratic, "expand": _expand, "factor": _factor,
               "derivative": _derivative}  # fmt: skip
_HABITS = {"linear": _careless_linear, "quadratic": _careless_quadratic, "expand": _careless_expand,
           "factor": _careless_factor, "derivative": _careless_derivative}  # fmt: skip
_ERROR_RATES: dict[tuple[tuple[str, ...], int], float] = {}  # (careless_tasks, difficulty) -> measured error rate
