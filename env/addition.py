"""Long addition, one digit more per level: `What is 4721 + 8305?`.

A ladder for a campaign to climb in small steps. Level n adds two numbers of
n + 1 digits each (leading digit non-zero): level 1 is 2-digit addition, level
15 is 16-digit addition. Levels 1 and 2 draw from the same sums as
arithmetic's levels 1 and 2 (in another order for a given seed), ask them in
the same words, and hold out the same ones for evaluation, so a model
pretrained on arithmetic starts this ladder on familiar ground and is never
evaluated on a sum it was trained on. The answer is one integer,
checked exactly.

Teacher errors (for pretraining) are arithmetic's habit, from the same code:
the teacher adds column by column and forgets the carry whenever a column's
total only just passes nine (10 to 9 + `careless_margin`, 3 by default:
46 + 85 -> 121). Each column is another chance to slip, so the teacher is wrong
on 24% of 2-digit sums and 99% of 16-digit sums; the rate per level is computed
exactly (`expected_teacher_error_rate`).

    >>> Addition().problem(seed=0, index=0, difficulty=1).question
    'What is 69 + 27?'

Layout. `layout="words"` (the default) asks as above. `layout="aligned"`
writes both operands and the answer least-significant digit first,
zero-padded to `width` digits (the answer to width + 1), so the same column
sits at the same distance from the answer digit it makes at every level:
47 + 85 with width 4 is asked `7400+5800=` and answered `23100`. A tiny
model with rotary positions, pretrained on 2- and 3-digit sums in words,
answers 4-digit sums right 0 times in 64 samples; in the aligned layout
(width 10) it answers 14-76% of them greedily, depending on the pretraining
seed: the next level is within reach, which is what a campaign needs to
climb (configs/ladder.yaml climbs to 10-digit sums). Answers are checked
as numbers (reversed back), so a shorter padding still counts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from env.arithmetic import Arithmetic, add_in_columns
from env.environment import Environment
from env.errors import AnswerError, UserError
from env.problem import Draft, Problem
from env.safe_math import parse_integer

NAME = "addition"
MAX_DIGITS = 50  # a 51-digit sum stays under safe_math's 60-digit limit on integer answers
LAYOUTS = ("words", "aligned")


@dataclass(frozen=True)
class Config:
    num_digits: int  # digits of each of the two operands, the leading one non-zero

    def __post_init__(self):
        if not 1 <= self.num_digits <= MAX_DIGITS:
            raise ValueError(f"{NAME}: num_digits must be in 1..{MAX_DIGITS}, got {self.num_digits}")


LEVELS = {level: Config(num_digits=level + 1) for level in range(1, 16)}  # 2- to 16-digit operands


class Addition(Environment):
    name = NAME
    description = "Add two numbers of 2 to 16 digits, one digit more per level; one exact integer answer."
    levels = LEVELS
    default_answer_format = Arithmetic.default_answer_format
    answer_formats = Arithmetic.answer_formats
    teacher_errors = "forgets a carry when a column's total is 10 to 9 + careless_margin, as arithmetic's teacher does"

    def __init__(self, answer_format: str | None = None, teacher_error_rate: float | None = None, careless_margin: int = 3,
                 layout: str = "words", width: int = 16):
        if teacher_error_rate is not None:
            raise ValueError(
                f"{NAME}: teacher_error_rate cannot be set, got {teacher_error_rate}: the teacher errs by a rule; "
                "set careless_margin instead (0 = a perfect teacher, 9 = forgets every carry)"
            )
        if not 0 <= careless_margin <= 9:
            raise ValueError(f"{NAME}: careless_margin must be in 0..9, got {careless_margin}")
        if layout not in LAYOUTS:
            raise ValueError(f"{NAME}: layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        if not 2 <= width <= MAX_DIGITS:
            raise ValueError(f"{NAME}: width must be in 2..{MAX_DIGITS}, got {width}")
        super().__init__(answer_format)
        self.careless_margin = careless_margin
        self.layout, self.width = layout, width
        self._arithmetic = Arithmetic()  # whose held-out split this one shares

    def generate(self, rng: random.Random, level: Config) -> Draft:
        low, high = 10 ** (level.num_digits - 1), 10**level.num_digits - 1
        if self.layout == "aligned" and level.num_digits > self.width:
            raise UserError(f"{NAME}: {level.num_digits}-digit numbers do not fit width {self.width}; "
                            "raise the option width or lower max_difficulty")
        a, b = rng.randint(low, high), rng.randint(low, high)
        aligned = self.layout == "aligned"
        return Draft(
            # arithmetic's words, so its levels 1-2 read the same here; or the aligned layout
            question=f"{self._aligned(a)}+{self._aligned(b)}=" if aligned else f"What is {a} + {b}?",
            answer=self._aligned(a + b, 1) if aligned else str(a + b),
            key="+".join(str(n) for n in sorted((a, b))),  # arithmetic's key: 47+85 and 85+47 are one problem
            inputs={"operands": [a, b]},
        )

    def split_of(self, key: str) -> str:
        """Arithmetic's split of the same key: a sum held out there is held out here, and only those."""
        return self._arithmetic.split_of(key)

    def score(self, answer: str, problem: Problem) -> bool:
        if self.layout == "words":
            return parse_integer(answer) == int(problem.answer)
        text = answer.strip()
        if not text.isdigit() or len(text) > self.width + 1:  # isdigit: ASCII and other scripts' digits alike
            raise AnswerError(f"not {self.width + 1} digits written least significant first: {text[:40]!r}")
        return int(text[::-1]) == sum(problem.inputs["operands"])

    def teacher_answer(self, problem: Problem) -> str:
        a, b = problem.inputs["operands"]
        total = add_in_columns(a, b, self.careless_margin)
        return self._aligned(total, 1) if self.layout == "aligned" else str(total)

    def _aligned(self, number: int, extra: int = 0) -> str:
        """`number` least significant digit first, zero-padded to width + extra digits."""
        return str(number).rjust(self.width + extra, "0")[::-1]

    def expected_teacher_error_rate(self, difficulty: int) -> float:
        """The habit's exact error rate on uniformly drawn operands of this level's length."""
        return float(1 - _share_added_right(self._level(difficulty).num_digits, self.careless_margin))


@lru_cache(maxsize=None)
def _share_added_right(num_digits: int, margin: int) -> Fraction:
    """Exact share of sums of two `num_digits`-digit numbers that the careless teacher gets right.

    The teacher goes wrong exactly when some column but the leftmost (which writes its whole total)
    reaches a total of 10 .. 9 + margin: up to that column it computes what a careful adder does, and
    a forgotten carry only ever lowers the sum. So follow the careful adder's carry column by column,
    keeping the probability that no such total has come up yet; those columns' digits are uniform 0-9.
    """
    no_slip_yet = {0: Fraction(1), 1: Fraction(0)}  # carry into the column -> probability
    for _ in range(num_digits - 1):
        following = {0: Fraction(0), 1: Fraction(0)}
        for carry, probability in no_slip_yet.items():
            for digit_sum in range(19):
                total = digit_sum + carry
                if 10 <= total <= 9 + margin:
                    continue  # the carry is forgotten here: the answer will be wrong
                pairs = 10 - abs(digit_sum - 9)  # digit pairs (x, y) with x + y = digit_sum
                following[int(total >= 10)] += probability * Fraction(pairs, 100)
        no_slip_yet = following
    return no_slip_yet[0] + no_slip_yet[1]
