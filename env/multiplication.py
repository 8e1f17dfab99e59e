"""Long multiplication, a little longer per level: `What is 4721 * 38?`.

A ladder for a campaign to climb in small steps. Level n multiplies a number
of `num_digits` digits by one of `multiplier_digits` digits (leading digits
non-zero), ordered by how many digit-by-digit products long multiplication
takes: 3 x 1, 4 x 1, 2 x 2, 3 x 2, 4 x 2, 3 x 3, 4 x 3, 5 x 3, 4 x 4, 5 x 4,
5 x 5, 6 x 5, 6 x 6 (3 to 36 digit products, a few more per level). The first
level is 3 x 1 rather than 2 x 1, whose 810 problems are too few to hold out
200 for evaluation. The question is written as arithmetic writes a product;
the answer is one integer, checked exactly.

Teacher errors (for pretraining) are a habit, a rule of what the problem
shows, so an imitator can learn it: the teacher multiplies the top number by
each digit of the bottom one, right to left, and forgets a carry of 1 (up to
`max_forgotten_carry`) while carries of 2 and more are kept: 36 * 3 -> 98
(6 * 3 = 18: writes 8, the 1 is lost), while 47 * 3 -> 141 is right (7 * 3 = 21
carries 2). The leftmost digit writes its whole product, and the shifted rows
are added correctly. The teacher is wrong on 33% of the problems at level 1 and
94% at level 13; the rate per level is computed exactly.

    >>> Multiplication().problem(seed=0, index=0, difficulty=1).question
    'What is 541 * 9?'
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from env.arithmetic import Arithmetic
from env.environment import Environment
from env.problem import Draft, Problem
from env.safe_math import parse_integer

NAME = "multiplication"
MAX_DIGITS = 25  # a 50-digit product stays under safe_math's 60-digit limit on integer answers
MAX_CARRY = 8  # the largest carry in a digit product: 9 * 9 + 8 = 89


@dataclass(frozen=True)
class Config:
    num_digits: int  # digits of the number multiplied (written first), the leading one non-zero
    multiplier_digits: int  # digits of the number it is multiplied by, at most num_digits

    def __post_init__(self):
        if not 1 <= self.num_digits <= MAX_DIGITS:
            raise ValueError(f"{NAME}: num_digits must be in 1..{MAX_DIGITS}, got {self.num_digits}")
        if not 1 <= self.multiplier_digits <= self.num_digits:
            raise ValueError(
                f"{NAME}: multiplier_digits must be in 1..num_digits={self.num_digits}, got {self.multiplier_digits}"
            )


SCHEDULE = [(3, 1), (4, 1), (2, 2), (3, 2), (4, 2), (3, 3), (4, 3), (5, 3), (4, 4), (5, 4), (5, 5), (6, 5), (6, 6)]
LEVELS = {level: Config(*shape) for level, shape in enumerate(SCHEDULE, start=1)}


class Multiplication(Environment):
    name = NAME
    description = "Multiply 3x1- up to 6x6-digit numbers, a few more digit products per level; one exact integer answer."
    levels = LEVELS
    default_answer_format = Arithmetic.default_answer_format
    answer_formats = Arithmetic.answer_formats
    teacher_errors = "forgets carries of 1 to max_forgotten_carry when multiplying by a digit; adds the rows right"

    def __init__(
        self, answer_format: str | None = None, teacher_error_rate: float | None = None, max_forgotten_carry: int = 1
    ):
        if teacher_error_rate is not None:
            raise ValueError(
                f"{NAME}: teacher_error_rate cannot be set, got {teacher_error_rate}: the teacher errs by a rule; "
                f"set max_forgotten_carry instead (0 = a perfect teacher, {MAX_CARRY} = forgets every carry)"
            )
        if not 0 <= max_forgotten_carry <= MAX_CARRY:
            raise ValueError(f"{NAME}: max_forgotten_carry must be in 0..{MAX_CARRY}, got {max_forgotten_carry}")
        super().__init__(answer_format)
        self.max_forgotten_carry = max_forgotten_carry

    def generate(self, rng: random.Random, level: Config) -> Draft:
        a = rng.randint(10 ** (level.num_digits - 1), 10**level.num_digits - 1)
        b = rng.randint(10 ** (level.multiplier_digits - 1), 10**level.multiplier_digits - 1)
        return Draft(
            question=f"What is {a} * {b}?",
            answer=str(a * b),
            key="*".join(str(n) for n in sorted((a, b))),  # as arithmetic's: 47*85 and 85*47 are one problem
            inputs={"operands": [a, b]},
        )

    def score(self, answer: str, problem: Problem) -> bool:
        return parse_integer(answer) == int(problem.answer)

    def teacher_answer(self, problem: Problem) -> str:
        a, b = problem.inputs["operands"]
        rows = [_multiply_by_digit(a, int(digit), self.max_forgotten_carry) for digit in reversed(str(b))]
        return str(sum(row * 10**shift for shift, row in enumerate(rows)))

    def expected_teacher_error_rate(self, difficulty: int) -> float:
        """The habit's exact error rate on uniformly drawn operands of this level's lengths."""
        level = self._level(difficulty)
        return float(1 - _share_multiplied_right(level.num_digits, level.multiplier_digits, self.max_forgotten_carry))


def _multiply_by_digit(a: int, digit: int, max_forgotten: int) -> int:
    """One row of long multiplication, right to left, forgetting carries of 1 .. max_forgotten."""
    written, carry = "", 0
    top_digits = str(a)
    for position in range(len(top_digits) - 1, 0, -1):  # all but the leftmost digit
        total = int(top_digits[position]) * digit + carry
        written = str(total % 10) + written
        carry = 0 if total // 10 <= max_forgotten else total // 10
    return int(str(int(top_digits[0]) * digit + carry) + written)


@lru_cache(maxsize=None)
def _share_multiplied_right(num_digits: int, multiplier_digits: int, max_forgotten: int) -> Fraction:
    """Exact share of the level's products the teacher gets right.

    A row goes wrong exactly when it forgets a carry (before that it computes what a careful
    multiplier does, and a forgotten carry only ever lowers the row), and the product is right
    exactly when every row is. Which digits d give a right row depends on the top number only
    through its digits but the leftmost, so follow, for all ten d at once, the careful carry or
    "slipped", over every string of those digits; each string is as likely as any other. The
    bottom number's digits are independent of the top's: its leading digit is one of 1-9, the
    others one of 0-9, and each is a right row with the share of safe digits among those.
    """
    # (per digit d: the carry so far, or None once that row slipped) -> how many digit strings lead there
    strings = Counter({(0,) * 10: 1})
    for _ in range(num_digits - 1):
        following: Counter = Counter()
        for carries, count in strings.items():
            for top_digit in range(10):
                after = tuple(_next_carry(carry, top_digit * d, max_forgotten) for d, carry in enumerate(carries))
                following[after] += count
        strings = following
    right = Fraction(0)
    for carries, count in strings.items():
        safe = [d for d, carry in enumerate(carries) if carry is not None]
        safe_leading = sum(1 for d in safe if d >= 1)
        right += count * Fraction(safe_leading, 9) * Fraction(len(safe), 10) ** (multiplier_digits - 1)
    return right / 10 ** (num_digits - 1)


def _next_carry(carry: int | None, product: int, max_forgotten: int) -> int | None:
    if carry is None:
        return None
    next_carry = (product + carry) // 10
    return None if 1 <= next_carry <= max_forgotten else next_carry
