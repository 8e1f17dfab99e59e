"""The Countdown numbers game: `Using the numbers 3, 7, 25, 50 (each at most once) and + - * /, make 171.`

Harder levels give more numbers, larger targets, and targets built with more
operations. Every problem is solvable by construction: the generator draws the
numbers, combines some of them with random operations (every step a positive
integer, as in the TV game) and takes the value as the target; that
expression is the reference answer.

Checking: any expression that evaluates exactly to the target scores 1, not
only the reference: `(25 - 5) * 4 + 3` and `3 + 4 * (25 - 5)` both make 83
from 3, 4, 5, 25. Each given number may be used at most as often as it is
given, no other number may appear, and not every number is needed. Answers are
read by a small tokenizer and recursive-descent evaluator over exact fractions
(never eval, never sympy's parser), so division is exact and intermediate
fractions are allowed when the final value is the target (`7 / 2 * 4` makes
14). There is no unary minus (`-3` is not a given number), no exponentiation,
no decimals. A trailing `= 171` is accepted when it names the target.

Teacher errors (for pretraining) are a habit, a rule of what the expression
it writes shows, so an imitator can learn it: it forgets that * and / bind
tighter than + and - for short sums, leaving out the parentheses around a
sum or difference of at most 3 numbers (`max_unbracketed_numbers`) that it
multiplies or divides: `25 - 5 * 4 + 3` for `(25 - 5) * 4 + 3`, `100 / 7 - 3`
for `100 / (7 - 3)`. It brackets longer sums, a sum after a minus
(`50 - (7 + 3)`) and a product after a division (`100 / (2 * 5)`), so writing
parentheses is demonstrated, one pair away from the right answer, where
sampling can find it again. Where the expression without them still makes
the target, or divides by zero, the teacher writes the reference.

    >>> Countdown().problem(seed=0, index=0, difficulty=1).question
    'Using the numbers 6, 6, 10 (each at most once) and + - * /, make 54.'
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

from env.environment import Environment
from env.errors import AnswerError
from env.problem import Draft, Problem

NAME = "countdown"

LARGE_NUMBERS = (25, 50, 75, 100)  # the "large" numbers of the TV game
OPERATORS = "+-*/"
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
MAX_DRAWS = 10_000  # draws of numbers per problem before a level is declared unsolvable
MAX_STEP_TRIES = 20  # random (pair, operator) choices per construction step
MAX_ANSWER_CHARS = 200  # longer answers are rejected before tokenizing
MAX_DEPTH = 10  # nesting of parentheses in an answer
MAX_LITERAL_DIGITS = 6  # a longer number cannot be one of the given numbers
MAX_NUMBERS = 8  # numbers given in a question, at most

# An expression tree: a given number, or (operator, left, right).
Node = Union[int, tuple]


@dataclass(frozen=True)
class Config:
    num_numbers: int  # numbers given in the question
    num_operations: int  # operations in the reference expression; it uses num_operations + 1 of the numbers
    max_small: int  # small numbers are drawn from 1..max_small, repeats allowed
    num_large: int  # how many of the numbers are drawn, without repeats, from LARGE_NUMBERS
    min_target: int  # the target is an integer in min_target..max_target
    max_target: int

    def __post_init__(self):
        if not 2 <= self.num_numbers <= MAX_NUMBERS:
            raise ValueError(f"{NAME}: num_numbers must be in 2..{MAX_NUMBERS}, got {self.num_numbers}")
        if not 1 <= self.num_operations < self.num_numbers:
            raise ValueError(
                f"{NAME}: num_operations must be in 1..num_numbers - 1 = {self.num_numbers - 1}, "
                f"got {self.num_operations}"
            )
        if not 1 <= self.max_small <= 100:
            raise ValueError(f"{NAME}: max_small must be in 1..100, got {self.max_small}")
        if not 0 <= self.num_large <= min(len(LARGE_NUMBERS), self.num_numbers):
            raise ValueError(
                f"{NAME}: num_large must be in 0..{min(len(LARGE_NUMBERS), self.num_numbers)}, got {self.num_large}"
            )
        if not 1 <= self.min_target <= self.max_target <= 1_000_000:
            raise ValueError(
                f"{NAME}: need 1 <= min_target <= max_target <= 1000000, "
                f"got min_target={self.min_target}, max_target={self.max_target}"
            )


LEVELS = {
    1: Config(num_numbers=3, num_operations=2, max_small=10, num_large=0, min_target=10, max_target=99),
    2: Config(num_numbers=4, num_operations=3, max_small=10, num_large=1, min_target=50, max_target=300),
    3: Config(num_numbers=6, num_operations=4, max_small=10, num_large=2, min_target=100, max_target=999),
    4: Config(num_numbers=6, num_operations=5, max_small=10, num_large=2, min_target=100, max_target=999),
}


class Countdown(Environment):
    # Level 1 has only about 1,800 distinct problems; a fifth held out leaves ~360 for evaluation.
    eval_fraction = 0.2
    name = NAME
    description = "Make a target from given numbers with + - * /; any exact expression scores."
    levels = LEVELS
    teacher_errors = (
        "leaves out the parentheses around a sum or difference of at most max_unbracketed_numbers (3) numbers "
        "that it multiplies or divides: 25 - 5 * 4 + 3 for (25 - 5) * 4 + 3"
    )

    def __init__(
        self,
        answer_format: str | None = None,
        teacher_error_rate: float | None = None,
        max_unbracketed_numbers: int = 3,
    ):
        if teacher_error_rate is not None:
            raise ValueError(
                f"{NAME}: teacher_error_rate cannot be set, got {teacher_error_rate}: the teacher errs by a rule; "
                "set max_unbracketed_numbers instead, the longest sum it multiplies or divides without parentheses "
                f"(0 = a perfect teacher, {MAX_NUMBERS} = every such sum)"
            )
        if not isinstance(max_unbracketed_numbers, int) or not 0 <= max_unbracketed_numbers <= MAX_NUMBERS:
            raise ValueError(
                f"{NAME}: max_unbracketed_numbers must be an integer in 0..{MAX_NUMBERS}, "
                f"got {max_unbracketed_numbers!r}"
            )
        super().__init__(answer_format)
        self.max_unbracketed_numbers = max_unbracketed_numbers
        self._error_rates: dict[int, float] = {}  # difficulty -> share of problems the habit gets wrong

    def generate(self, rng: random.Random, level: Config) -> Draft:
        for _ in range(MAX_DRAWS):
            numbers = _draw_numbers(rng, level)
            tree = _random_tree(rng, rng.sample(numbers, level.num_operations + 1))
            if tree is None:
                continue
            value = _evaluate(tree)
            # A target that is one of the numbers would need no operation at all.
            if value.denominator == 1 and level.min_target <= value <= level.max_target and value not in numbers:
                numbers.sort()
                target = int(value)
                return Draft(
                    question=f"Using the numbers {', '.join(map(str, numbers))} (each at most once) "
                    f"and + - * /, make {target}.",
                    answer=_render(tree),
                    key=f"{','.join(map(str, numbers))}->{target}",
                    inputs={"numbers": numbers, "target": target},
                )
        raise RuntimeError(f"{NAME}: no target in range after {MAX_DRAWS} draws; widen the level's target range")

    def score(self, answer: str, problem: Problem) -> bool:
        numbers, target = problem.inputs["numbers"], problem.inputs["target"]
        tree = parse_expression(_without_claimed_result(answer, target))
        _check_numbers(_leaves(tree), numbers)
        return _evaluate(tree) == target

    def teacher_answer(self, problem: Problem) -> str:
        tree = parse_expression(problem.answer)
        careless = _render(tree, max_unbracketed=self.max_unbracketed_numbers)
        try:
            changes_the_value = _evaluate(parse_expression(careless)) != problem.inputs["target"]
        except AnswerError:  # it divides by zero: the teacher would notice, and writes its expression right
            changes_the_value = False
        return careless if changes_the_value else problem.answer

    def expected_teacher_error_rate(self, difficulty: int) -> float:
        """The habit's error rate at a level, measured once on 4,000 problems of a seed no campaign uses."""
        if difficulty not in self._error_rates:
            sample = self.problems(4_000, seed=-1, difficulty=difficulty)
            self._error_rates[difficulty] = sum(self.teacher_answer(p) != p.answer for p in sample) / len(sample)
        return self._error_rates[difficulty]


# -- construction -------------------------------------------------------------


def _draw_numbers(rng: random.Random, level: Config) -> list[int]:
    large = rng.sample(LARGE_NUMBERS, level.num_large)
    small = [rng.randint(1, level.max_small) for _ in range(level.num_numbers - level.num_large)]
    return large + small


def _random_tree(rng: random.Random, numbers: list[int]) -> Node | None:
    """Combine random pairs with random operators until one expression is left; None if stuck."""
    items: list[tuple[Fraction, Node]] = [(Fraction(n), n) for n in numbers]
    while len(items) > 1:
        for _ in range(MAX_STEP_TRIES):
            i, j = rng.sample(range(len(items)), 2)
            operator = rng.choice(OPERATORS)
            value = _construction_step(items[i][0], operator, items[j][0])
            if value is not None:
                break
        else:
            return None
        combined = (value, (operator, items[i][1], items[j][1]))
        items = [item for k, item in enumerate(items) if k not in (i, j)] + [combined]
    return items[0][1]


def _construction_step(a: Fraction, operator: str, b: Fraction) -> Fraction | None:
    """The step's value if the construction allows it: a positive integer, and no useless * 1 or / 1."""
    if (operator in "*/" and b == 1) or (operator == "*" and a == 1):
        return None
    value = _apply(a, operator, b)
    return value if value > 0 and value.denominator == 1 else None


def _render(node: Node, max_unbracketed: int = 0) -> str:
    """The expression with only the parentheses it needs, or with the teacher's habit: without those around a
    sum or difference of at most `max_unbracketed` numbers that is multiplied or divided."""
    if isinstance(node, int):
        return str(node)
    operator, left, right = node
    left_text, right_text = _render(left, max_unbracketed), _render(right, max_unbracketed)

    def forgotten(operand: Node) -> bool:
        return operator in "*/" and len(_leaves(operand)) <= max_unbracketed

    if _precedence(left) < PRECEDENCE[operator] and not forgotten(left):
        left_text = f"({left_text})"
    # a - (b + c) and a / (b * c) need them on the right even at equal precedence.
    if _precedence(right) < PRECEDENCE[operator]:
        if not forgotten(right):
            right_text = f"({right_text})"
    elif _precedence(right) == PRECEDENCE[operator] and operator in "-/":
        right_text = f"({right_text})"
    return f"{left_text} {operator} {right_text}"


def _precedence(node: Node) -> int:
    return 3 if isinstance(node, int) else PRECEDENCE[node[0]]


# -- checking -----------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:([0-9]+)|([-+*/()]))")  # [0-9], not \d: full-width digits are not numbers
UNICODE_OPERATORS = {"\u2212": "-", "\u00d7": "*", "\u00f7": "/"}  # minus sign, times, divide


def parse_expression(text: str) -> Node:
    """Parse an answer such as `(25 - 5) * 4 + 3` into a tree; AnswerError for anything else."""
    tokens = _tokenize(text)
    parser = _Parser(tokens)
    tree = parser.expression()
    if parser.peek():
        raise AnswerError(f"unexpected {parser.peek()!r} after a complete expression")
    return tree


def _without_claimed_result(answer: str, target: int) -> str:
    """`expr = 171` -> `expr` when 171 is the target; a different claimed result is an error."""
    if "=" not in answer:
        return answer
    expression, _, claimed = answer.partition("=")
    if claimed.strip() != str(target):
        raise AnswerError(f"the answer ends with '= {claimed.strip()[:20]}', but the target is {target}")
    return expression


def _tokenize(text: str) -> list[str]:
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(f"expression too long ({len(text)} characters, at most {MAX_ANSWER_CHARS})")
    for unicode_operator, ascii_operator in UNICODE_OPERATORS.items():
        text = text.replace(unicode_operator, ascii_operator)
    if "**" in text or "^" in text:
        raise AnswerError("exponentiation is not allowed; use only + - * / and parentheses")
    text = text.rstrip()
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            offending = text[position:].lstrip()[:1]
            raise AnswerError(f"unexpected character {offending!r}; use the given numbers, + - * / and parentheses")
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    if not tokens:
        raise AnswerError("empty expression")
    return tokens


class _Parser:
    """Recursive descent over the grammar (no unary signs, no powers; nesting bounded by MAX_DEPTH):

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := number | "(" expression ")"
    """

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    def peek(self) -> str:
        return self.tokens[self.position] if self.position < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        self.position += 1
        return token

    def expression(self) -> Node:
        tree = self.term()
        while self.peek() in ("+", "-"):
            operator = self.take()
            tree = (operator, tree, self.term())
        return tree

    def term(self) -> Node:
        tree = self.factor()
        while self.peek() in ("*", "/"):
            operator = self.take()
            tree = (operator, tree, self.factor())
        return tree

    def factor(self) -> Node:
        token = self.take()
        if token == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise AnswerError(f"parentheses nested more than {MAX_DEPTH} levels deep")
            tree = self.expression()
            if self.take() != ")":
                raise AnswerError("missing ')'")
            self.depth -= 1
            return tree
        if token in ("+", "-"):
            raise AnswerError(f"a sign before a number ({token!r}) is not allowed: use the given numbers as they are")
        if token.isdigit():
            return _literal(token)
        raise AnswerError(f"unexpected {token or 'end of expression'!r}")


def _literal(text: str) -> int:
    if len(text) > MAX_LITERAL_DIGITS:
        raise AnswerError(f"{text[:20]}... is not one of the given numbers")
    if len(text) > 1 and text.startswith("0"):
        raise AnswerError(f"write numbers without leading zeros, got {text!r}")
    return int(text)


def _check_numbers(used: list[int], given: list[int]) -> None:
    """Each number used at most as often as it is given, and no other number."""
    available = Counter(given)
    for number, count in sorted(Counter(used).items()):
        if number not in available:
            raise AnswerError(f"{number} is not one of the given numbers ({', '.join(map(str, given))})")
        if count > available[number]:
            raise AnswerError(f"{number} is used {count} times but given {available[number]} time(s)")


def _leaves(node: Node) -> list[int]:
    if isinstance(node, int):
        return [node]
    return _leaves(node[1]) + _leaves(node[2])


def _evaluate(node: Node) -> Fraction:
    if isinstance(node, int):
        return Fraction(node)
    operator, left, right = node
    return _apply(_evaluate(left), operator, _evaluate(right))


def _apply(a: Fraction, operator: str, b: Fraction) -> Fraction:
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if b == 0:
        raise AnswerError("division by zero")
    return a / b
