"""Integer arithmetic: `What is 47 + 85?`.

Harder levels have more digits, more operands and more operators (+, -, *,
with the usual precedence). The answer is one integer, checked exactly.

Teacher errors (for pretraining): the teacher adds column by column and, on
some of the problems that need one, forgets to carry (47 + 85 -> 122); when
subtracting it forgets to borrow and takes the smaller digit from the larger
(52 - 38 -> 26). Multiplication it gets right. Only problems with a carry or
borrow can go wrong, so at each level the teacher forgets on the share of them
that makes it wrong on `teacher_error_rate` of all problems (as far as that
level has enough carries). The mistake is decided per problem, so the same
problem always gets the same wrong answer.

    >>> Arithmetic().problem(seed=0, index=0, difficulty=1).question
    'What is 12 + 83?'
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from env.environment import Environment
from env.problem import Draft, Problem
from env.safe_math import parse_integer

NAME = "arithmetic"


@dataclass(frozen=True)
class Config:
    num_digits: int  # digits of each operand
    num_operands: int  # operands in the expression
    operators: str  # operators drawn from, a subset of "+-*"

    def __post_init__(self):
        if not 1 <= self.num_digits <= 12:
            raise ValueError(f"{NAME}: num_digits must be in 1..12, got {self.num_digits}")
        if not 2 <= self.num_operands <= 6:
            raise ValueError(f"{NAME}: num_operands must be in 2..6, got {self.num_operands}")
        if not self.operators or set(self.operators) - set("+-*"):
            raise ValueError(f"{NAME}: operators must be a non-empty subset of '+-*', got {self.operators!r}")


LEVELS = {
    1: Config(num_digits=2, num_operands=2, operators="+"),
    2: Config(num_digits=3, num_operands=2, operators="+"),
    3: Config(num_digits=3, num_operands=2, operators="+-"),
    4: Config(num_digits=2, num_operands=3, operators="+-*"),
    5: Config(num_digits=4, num_operands=3, operators="+-*"),
}


class Arithmetic(Environment):
    name = NAME
    description = "Integer + - * with more digits and operands at higher levels; one exact integer answer."
    levels = LEVELS
    answer_formats = ("tag", "boxed", "answer_line", "last_number")
    teacher_errors = "forgets the carry (and the borrow) on a share of the problems that need one"

    default_teacher_error_rate = 0.38

    def __init__(self, answer_format: str | None = None, teacher_error_rate: float | None = None):
        super().__init__(answer_format, teacher_error_rate)
        self._forget_rates: dict[int, float] = {}  # difficulty -> share of carry problems it forgets on

    def generate(self, rng: random.Random, level: Config) -> Draft:
        low, high = 10 ** (level.num_digits - 1), 10**level.num_digits - 1
        operands = [rng.randint(low, high) for _ in range(level.num_operands)]
        operators = [rng.choice(level.operators) for _ in range(level.num_operands - 1)]
        expression = _render(operands, operators)
        return Draft(
            question=f"What is {expression}?",
            answer=str(_evaluate(operands, operators, _exact)),
            key=_canonical_key(operands, operators),
            inputs={"operands": operands, "operators": operators},
        )

    def score(self, answer: str, problem: Problem) -> bool:
        return parse_integer(answer) == int(problem.answer)

    def teacher_answer(self, problem: Problem) -> str:
        careless = _careless_answer(problem)
        if careless == problem.answer or self.rng_for(problem, "teacher").random() >= self._forget_rate(problem.difficulty):
            return problem.answer
        return careless

    def _forget_rate(self, difficulty: int) -> float:
        """Share of carry/borrow problems to get wrong so that `teacher_error_rate` of all problems are."""
        if difficulty not in self._forget_rates:
            sample = [self.problem(seed=-1, index=i, difficulty=difficulty) for i in range(2_000)]
            carry_share = sum(_careless_answer(p) != p.answer for p in sample) / len(sample)
            self._forget_rates[difficulty] = min(1.0, self.teacher_error_rate / carry_share) if carry_share else 0.0
        return self._forget_rates[difficulty]


def _careless_answer(problem: Problem) -> str:
    return str(_evaluate(problem.inputs["operands"], problem.inputs["operators"], _careless))


def _render(operands: list[int], operators: list[str]) -> str:
    parts = [str(operands[0])]
    for operator, operand in zip(operators, operands[1:]):
        parts += [operator, str(operand)]
    return " ".join(parts)


def _canonical_key(operands: list[int], operators: list[str]) -> str:
    """47+85 and 85+47 are the same problem: sort operands when every operator is the same + or *."""
    if len(set(operators)) == 1 and operators[0] in "+*":
        return operators[0].join(str(n) for n in sorted(operands))
    return _render(operands, operators).replace(" ", "")


def _evaluate(operands: list[int], operators: list[str], arithmetic) -> int:
    """Evaluate with * before + and -, left to right, using `arithmetic(a, op, b)` for each step."""
    terms, pending = [operands[0]], []
    for operator, operand in zip(operators, operands[1:]):
        if operator == "*":
            terms[-1] = arithmetic(terms[-1], "*", operand)
        else:
            pending.append(operator)
            terms.append(operand)
    result = terms[0]
    for operator, term in zip(pending, terms[1:]):
        result = arithmetic(result, operator, term)
    return result


def _exact(a: int, operator: str, b: int) -> int:
    return {"+": a + b, "-": a - b, "*": a * b}[operator]


def _careless(a: int, operator: str, b: int) -> int:
    """The teacher's column arithmetic: no carries, no borrows (on non-negative operands)."""
    if operator == "*" or a < 0 or b < 0:
        return _exact(a, operator, b)
    if operator == "+":
        return _add_without_carry(a, b)
    return _subtract_without_borrow(a, b) if a >= b else -_subtract_without_borrow(b, a)


def _add_without_carry(a: int, b: int) -> int:
    """Each column writes (sum mod 10) and drops the carry; the leftmost column writes its whole sum."""
    digits_a, digits_b = str(a)[::-1], str(b)[::-1]
    width = max(len(digits_a), len(digits_b))
    columns = [int(digits_a[i]) if i < len(digits_a) else 0 for i in range(width)]
    columns = [c + (int(digits_b[i]) if i < len(digits_b) else 0) for i, c in enumerate(columns)]
    written = "".join(str(c % 10) for c in columns[:-1])[::-1]
    return int(str(columns[-1]) + written)


def _subtract_without_borrow(a: int, b: int) -> int:
    """For a >= b: each column writes |digit_a - digit_b|, the classic smaller-from-larger bug."""
    digits_a, digits_b = str(a)[::-1], str(b)[::-1].ljust(len(str(a)), "0")
    return int("".join(str(abs(int(x) - int(y))) for x, y in zip(digits_a, digits_b))[::-1])
