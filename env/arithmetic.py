"""Integer arithmetic: `What is 47 + 85?`.

Harder levels have more digits, more operands and more operators (+, -, *,
with the usual precedence). The answer is one integer, checked exactly.

Teacher errors (for pretraining) are a habit, a rule of what the problem
shows, so an imitator can learn them: the teacher adds column by column and
forgets the carry whenever a column's total only just passes nine (10, 11 or
12 with the default `careless_margin` of 3: 46 + 85 -> 121, while 47 + 86 ->
133 is right); it subtracts column by column and, when the bottom digit is
larger by at most the margin, forgets to borrow and takes the smaller digit
from the larger (52 - 34 -> 22). Multiplication it gets right. Carrying is
thus demonstrated in every column, just not for the small overflows: the
right move exists in the imitator's repertoire, one digit away, where
sampling can find it again. The leftmost column writes its whole total.

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
    teacher_errors = "forgets a carry when a column's total is 10 to 9 + careless_margin (and a borrow short by at most it)"

    def __init__(self, answer_format: str | None = None, teacher_error_rate: float | None = None, careless_margin: int = 3):
        if teacher_error_rate is not None:
            raise ValueError(
                f"{NAME}: teacher_error_rate cannot be set, got {teacher_error_rate}: the teacher errs by a rule; "
                "set careless_margin instead (0 = a perfect teacher, 9 = forgets every carry and borrow)"
            )
        if not 0 <= careless_margin <= 9:
            raise ValueError(f"{NAME}: careless_margin must be in 0..9, got {careless_margin}")
        super().__init__(answer_format)
        self.careless_margin = careless_margin
        self._error_rates: dict[int, float] = {}  # difficulty -> share of problems the rule gets wrong

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
        operands, operators = problem.inputs["operands"], problem.inputs["operators"]
        return str(_evaluate(operands, operators, lambda a, op, b: _careless(a, op, b, self.careless_margin)))

    def expected_teacher_error_rate(self, difficulty: int) -> float:
        """The rule's error rate at a level, measured once on 4,000 problems of a seed no campaign uses."""
        if difficulty not in self._error_rates:
            sample = self.problems(4_000, seed=-1, difficulty=difficulty)
            self._error_rates[difficulty] = sum(self.teacher_answer(p) != p.answer for p in sample) / len(sample)
        return self._error_rates[difficulty]


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


def _careless(a: int, operator: str, b: int, margin: int) -> int:
    """The teacher's column arithmetic with its habit (on non-negative operands; products are right)."""
    if operator == "*" or a < 0 or b < 0:
        return _exact(a, operator, b)
    if operator == "+":
        return add_in_columns(a, b, margin)
    return _subtract_in_columns(a, b, margin) if a >= b else -_subtract_in_columns(b, a, margin)


def _digits(n: int, width: int) -> list[int]:
    """Least significant digit first, padded with zeros to `width`."""
    return [int(d) for d in str(n)[::-1].ljust(width, "0")]


def add_in_columns(a: int, b: int, margin: int) -> int:
    """Column addition that drops the carry when a column's total is 10 .. 9 + margin (for a, b >= 0).

    Public: env/addition.py teaches the same habit on longer numbers.
    """
    width = max(len(str(a)), len(str(b)))
    written, carry = [], 0
    for column, (x, y) in enumerate(zip(_digits(a, width), _digits(b, width))):
        total = x + y + carry
        if column == width - 1:
            return int(str(total) + "".join(reversed(written)))
        written.append(str(total % 10))
        carry = 1 if total >= 10 + margin else 0
    raise AssertionError("unreachable: the leftmost column returns")


def _subtract_in_columns(a: int, b: int, margin: int) -> int:
    """For a >= b: column subtraction that, when the bottom digit is larger by at most `margin`, forgets to
    borrow and writes the smaller digit taken from the larger (the classic bug); larger gaps borrow right."""
    width = len(str(a))
    written, borrow = [], 0
    for x, y in zip(_digits(a, width), _digits(b, width)):
        difference = x - y - borrow
        if difference >= 0:
            written.append(difference)
            borrow = 0
        elif -difference <= margin:
            written.append(-difference)
            borrow = 0
        else:
            written.append(difference + 10)
            borrow = 1
    return int("".join(str(d) for d in reversed(written)))
