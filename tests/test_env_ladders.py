"""The long ladders: addition (2- to 16-digit) and multiplication (3x1 to 6x6), one small step a level.

    $ .venv/bin/python -m pytest tests/test_env_ladders.py -q
"""

import math

import pytest

from env import Draft, get_environment
from env.addition import LEVELS as ADDITION_LEVELS
from env.addition import Addition
from env.addition import Config as AdditionConfig
from env.arithmetic import LEVELS as ARITHMETIC_LEVELS
from env.arithmetic import Arithmetic
from env.multiplication import LEVELS as MULTIPLICATION_LEVELS
from env.multiplication import Config as MultiplicationConfig
from env.multiplication import Multiplication

ADDITION = Addition()
MULTIPLICATION = Multiplication()
ARITHMETIC = Arithmetic()


class ScriptedRandom:
    """Stands in for random.Random in `generate`: hands out the given numbers (and operators) in order."""

    def __init__(self, numbers, operators=()):
        self.numbers, self.operators = iter(numbers), iter(operators)

    def randint(self, low, high):
        value = next(self.numbers)
        assert low <= value <= high, (value, low, high)
        return value

    def choice(self, options):
        return next(self.operators)


def _sum(a, b, environment=ADDITION):
    config = AdditionConfig(num_digits=len(str(a)))
    return environment.from_draft(environment.generate(ScriptedRandom([a, b]), config))


def _product(a, b, environment=MULTIPLICATION):
    config = MultiplicationConfig(num_digits=len(str(a)), multiplier_digits=len(str(b)))
    return environment.from_draft(environment.generate(ScriptedRandom([a, b]), config))


def _measured_error_rate(environment, difficulty, count):
    problems = environment.problems(count, seed=11, difficulty=difficulty)
    return sum(environment.teacher_answer(p) != p.answer for p in problems) / count


# -- levels ----------------------------------------------------------------------------


def test_both_ladders_are_registered_built_ins():
    assert isinstance(get_environment("addition"), Addition)
    assert isinstance(get_environment("multiplication"), Multiplication)


@pytest.mark.parametrize("difficulty", sorted(ADDITION_LEVELS))
def test_addition_level_n_adds_two_numbers_of_n_plus_one_digits(difficulty):
    assert ADDITION.difficulties == list(range(1, 16))
    for problem in ADDITION.problems(200, seed=0, difficulty=difficulty):
        a, b = problem.inputs["operands"]
        assert len(str(a)) == len(str(b)) == difficulty + 1  # str() drops leading zeros: the first digit is 1-9
        assert problem.answer == str(a + b) and problem.question == f"What is {a} + {b}?"


@pytest.mark.parametrize("difficulty", sorted(MULTIPLICATION_LEVELS))
def test_multiplication_level_follows_its_digit_counts(difficulty):
    config = MULTIPLICATION_LEVELS[difficulty]
    for problem in MULTIPLICATION.problems(200, seed=0, difficulty=difficulty):
        a, b = problem.inputs["operands"]
        assert (len(str(a)), len(str(b))) == (config.num_digits, config.multiplier_digits)
        assert problem.answer == str(a * b) and problem.question == f"What is {a} * {b}?"


def test_multiplication_levels_are_small_steps_in_digit_products():
    shapes = [(MULTIPLICATION_LEVELS[d].num_digits, MULTIPLICATION_LEVELS[d].multiplier_digits)
              for d in MULTIPLICATION.difficulties]  # fmt: skip
    assert shapes[0] == (3, 1) and shapes[-1] == (6, 6) and len(shapes) == 13
    products = [n * m for n, m in shapes]
    assert all(0 <= later - earlier <= 6 for earlier, later in zip(products, products[1:])), products


@pytest.mark.parametrize("environment", [ADDITION, MULTIPLICATION], ids=["addition", "multiplication"])
def test_level_1_holds_out_enough_distinct_problems(environment):
    held_out = environment.problems(200, seed=0, difficulty=1, split="eval")
    assert len({problem.key for problem in held_out}) == 200


# -- addition starts where arithmetic's levels 1-2 are -------------------------------


@pytest.mark.parametrize("difficulty", [1, 2])
def test_addition_levels_1_and_2_ask_what_arithmetic_asks_in_its_words(difficulty):
    arithmetic_config = ARITHMETIC_LEVELS[difficulty]
    assert arithmetic_config.operators == "+" and arithmetic_config.num_operands == 2
    assert arithmetic_config.num_digits == ADDITION_LEVELS[difficulty].num_digits
    for problem in ADDITION.problems(300, seed=0, difficulty=difficulty):
        a, b = problem.inputs["operands"]
        draft = ARITHMETIC.generate(ScriptedRandom([a, b], ["+"]), arithmetic_config)
        assert (problem.question, problem.key, problem.answer) == (draft.question, draft.key, draft.answer)
        assert problem.prompt == ARITHMETIC.from_draft(draft, difficulty).prompt  # same answer-format instruction
        assert ADDITION.teacher_answer(problem) == ARITHMETIC.teacher_answer(ARITHMETIC.from_draft(draft))


@pytest.mark.parametrize("difficulty", [1, 2])
def test_addition_holds_out_the_sums_arithmetic_holds_out(difficulty):
    """A model pretrained on arithmetic's training sums is never evaluated on one of them here."""
    held_out = ADDITION.problems(200, seed=0, difficulty=difficulty, split="eval")
    assert all(ARITHMETIC.split_of(problem.key) == "eval" for problem in held_out)
    trained = {p.key for p in ARITHMETIC.problems(2000, seed=0, difficulty=difficulty, split="train")}
    assert not trained & {problem.key for problem in held_out}


def test_addition_offers_arithmetics_answer_formats():
    assert (Addition.answer_formats, Addition.default_answer_format) == (
        Arithmetic.answer_formats, Arithmetic.default_answer_format)  # fmt: skip
    assert "last_number" in Addition.answer_formats and "last_number" in Multiplication.answer_formats
    problem = _sum(6170000000, 6170000000, Addition(answer_format="last_number"))
    assert Addition(answer_format="last_number").verify(problem, "So the sum is 12,340,000,000.").score == 1.0


# -- the teachers' habits ----------------------------------------------------------


def test_addition_teacher_forgets_small_carries_as_arithmetic_does():
    assert ADDITION.teacher_answer(_sum(46, 85)) == "121"  # 6 + 5 = 11: carry forgotten; 4 + 8 = 12 written whole
    assert ADDITION.teacher_answer(_sum(47, 86)) == "133"  # 7 + 6 = 13: carried, right
    assert ADDITION.teacher_answer(_sum(12, 83)) == "95"  # no carry: nothing to forget
    assert ADDITION.teacher_answer(_sum(4736, 2595)) == "6221"  # 11, 12, 12: three carries forgotten (7331)
    assert ADDITION.teacher_answer(_sum(4786, 2597)) == "7383"  # 13, 18, 13: all carried, right
    assert ADDITION.teacher_answer(_sum(5555555555, 5555555555)) == "10000000000"  # every column is 10
    assert ADDITION.teacher_answer(_sum(9999999999, 9999999999)) == "19999999998"  # 18 and 19: carried, right


def test_multiplication_teacher_forgets_carries_of_one():
    assert MULTIPLICATION.teacher_answer(_product(36, 3)) == "98"  # 18: writes 8, the 1 is lost; 9 (right 108)
    assert MULTIPLICATION.teacher_answer(_product(47, 3)) == "141"  # 21 carries 2, kept; right
    assert MULTIPLICATION.teacher_answer(_product(25, 4)) == "100"  # 20 carries 2; the leftmost 10 written whole
    assert MULTIPLICATION.teacher_answer(_product(36, 13)) == "458"  # rows 98 and 36 added right (right 468)
    # Rows 505 (15 and 10 lose their 1s; right 615) and 482 (12 loses its 1; right 492): 505 + 4820.
    assert MULTIPLICATION.teacher_answer(_product(123, 45)) == "5325"  # right 5535
    assert Multiplication(max_forgotten_carry=2).teacher_answer(_product(47, 3)) == "121"  # now 2 is lost too


@pytest.mark.parametrize("margin", [0, 1, 3, 9])
def test_addition_declared_rate_is_exact_over_every_two_digit_sum(margin):
    teacher = Addition(careless_margin=margin)
    sums = [_sum(a, b, teacher) for a in range(10, 100) for b in range(10, 100)]
    wrong = sum(teacher.teacher_answer(p) != p.answer for p in sums)
    assert teacher.expected_teacher_error_rate(1) == pytest.approx(wrong / len(sums), abs=1e-12)


@pytest.mark.parametrize("max_forgotten", [0, 1, 2, 8])
@pytest.mark.parametrize("difficulty", [1, 3])  # 3 x 1 and 2 x 2: 8,100 products each
def test_multiplication_declared_rate_is_exact_over_every_product(difficulty, max_forgotten):
    teacher = Multiplication(max_forgotten_carry=max_forgotten)
    config = MULTIPLICATION_LEVELS[difficulty]
    products = [_product(a, b, teacher)
                for a in range(10 ** (config.num_digits - 1), 10**config.num_digits)
                for b in range(10 ** (config.multiplier_digits - 1), 10**config.multiplier_digits)]  # fmt: skip
    wrong = sum(teacher.teacher_answer(p) != p.answer for p in products)
    assert teacher.expected_teacher_error_rate(difficulty) == pytest.approx(wrong / len(products), abs=1e-12)


@pytest.mark.parametrize(
    "environment, difficulty",
    [(ADDITION, 1), (ADDITION, 3), (ADDITION, 6), (ADDITION, 9), (ADDITION, 12), (ADDITION, 15),
     (MULTIPLICATION, 2), (MULTIPLICATION, 5), (MULTIPLICATION, 9), (MULTIPLICATION, 13)],
    ids=lambda value: value.name if hasattr(value, "name") else str(value),
)  # fmt: skip
def test_declared_teacher_error_rate_matches_the_measured_one(environment, difficulty):
    count = 3000
    declared = environment.expected_teacher_error_rate(difficulty)
    measured = _measured_error_rate(environment, difficulty, count)
    assert measured == pytest.approx(declared, abs=4 * math.sqrt(declared * (1 - declared) / count) + 1e-9)


def test_addition_teacher_errs_more_with_every_digit():
    rates = [ADDITION.expected_teacher_error_rate(d) for d in ADDITION.difficulties]
    assert rates == sorted(rates) and len(set(rates)) == len(rates)
    assert rates[0] == pytest.approx(0.24) and rates[8] == pytest.approx(0.9232, abs=1e-4) and rates[-1] > 0.98


@pytest.mark.parametrize("environment", [Addition(careless_margin=0), Multiplication(max_forgotten_carry=0)],
                         ids=["addition", "multiplication"])  # fmt: skip
def test_a_teacher_without_the_habit_is_perfect(environment):
    for difficulty in environment.difficulties:
        assert environment.expected_teacher_error_rate(difficulty) == 0.0
        for problem in environment.problems(100, seed=0, difficulty=difficulty):
            assert environment.verify(problem, environment.demonstration(problem)).score == 1.0


# -- checking ------------------------------------------------------------------------

GARBAGE = [
    "9" * 61,  # more digits than safe_math reads
    "9" * 5000,  # beyond Python's 4,300-digit int <-> str limit
    "1e400", "nan", "inf", "\u221e", "12 345", "1_000", "0x1F", "\u0661\u0662\u0663", "\uff11\uff12",
    "12,34", "--5", "3/4", "2**64", "\x00", "<answer>1</answer>", "",
]  # fmt: skip


@pytest.mark.parametrize("answer_format", Addition.answer_formats)
@pytest.mark.parametrize("name", ["addition", "multiplication"])
def test_huge_and_garbage_answers_score_zero_without_errors(name, answer_format):
    environment = get_environment(name, answer_format=answer_format)
    problem = environment.problems(1, seed=0, difficulty=environment.difficulties[-1])[0]
    completions = [environment.answer_format.render(answer) for answer in GARBAGE]
    completions += ["x" * 30_000 + environment.reference_completion(problem), "9" * 30_000]
    for completion in completions:
        verdict = environment.verify(problem, completion)
        assert (verdict.score, verdict.error) == (0.0, False), (completion[:40], verdict.reason)


@pytest.mark.parametrize("name", ["addition", "multiplication"])
def test_long_answers_are_read_exactly_grouped_or_not(name):
    environment = get_environment(name)
    render = environment.answer_format.render
    for problem in environment.problems(50, seed=0, difficulty=environment.difficulties[-1]):
        value = int(problem.answer)
        assert environment.verify(problem, render(f"{value:,}")).score == 1.0
        assert environment.verify(problem, render(f"+{value}")).score == 1.0
        for wrong in (value + 1, value - 10**9, value * 10, -value):
            assert environment.verify(problem, render(str(wrong))).score == 0.0


# -- bad options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, options, message",
    [("addition", {"teacher_error_rate": 0.3}, "teacher_error_rate cannot be set.*careless_margin"),
     ("addition", {"careless_margin": -1}, "careless_margin must be in 0..9"),
     ("addition", {"careless_margin": 10}, "careless_margin must be in 0..9"),
     ("addition", {"answer_format": "xml"}, "answer_format must be one of"),
     ("multiplication", {"teacher_error_rate": 0.3}, "teacher_error_rate cannot be set.*max_forgotten_carry"),
     ("multiplication", {"max_forgotten_carry": -1}, "max_forgotten_carry must be in 0..8"),
     ("multiplication", {"max_forgotten_carry": 9}, "max_forgotten_carry must be in 0..8")],
)  # fmt: skip
def test_bad_option_values_are_rejected_naming_the_option(name, options, message):
    with pytest.raises(ValueError, match=f"^{name}: {message}"):
        get_environment(name, **options)


@pytest.mark.parametrize(
    "build, field",
    [(lambda: AdditionConfig(num_digits=0), "num_digits"), (lambda: AdditionConfig(num_digits=51), "num_digits"),
     (lambda: MultiplicationConfig(num_digits=0, multiplier_digits=1), "num_digits"),
     (lambda: MultiplicationConfig(num_digits=3, multiplier_digits=4), "multiplier_digits"),
     (lambda: MultiplicationConfig(num_digits=3, multiplier_digits=0), "multiplier_digits")],
)  # fmt: skip
def test_impossible_level_config_is_rejected_naming_the_field(build, field):
    with pytest.raises(ValueError, match=f"^(addition|multiplication): {field}"):
        build()


def test_drafts_are_exact_for_the_longest_operands():
    draft = ADDITION.generate(ScriptedRandom([10**49 + 7, 10**50 - 1]), AdditionConfig(num_digits=50))
    assert isinstance(draft, Draft) and draft.answer == str(10**49 + 7 + 10**50 - 1)


# -- the aligned layout: digits least significant first, zero-padded to a fixed width ------------
ALIGNED = Addition(layout="aligned", width=11, answer_format="last_number")


def test_aligned_layout_writes_columns_at_fixed_distances():
    problem = ALIGNED.from_draft(ALIGNED.generate(ScriptedRandom([47, 85]), ADDITION_LEVELS[1]))
    assert problem.question == "74000000000+58000000000="
    assert problem.answer == "231000000000"  # 132, 12 digits: a width-11 sum can carry into a 12th
    long = ALIGNED.from_draft(ALIGNED.generate(ScriptedRandom([9_876_543_210, 9_999_999_999]), ADDITION_LEVELS[9]))
    assert long.question == "01234567890+99999999990="
    assert int(long.answer[::-1]) == 9_876_543_210 + 9_999_999_999


@pytest.mark.parametrize("completion, correct", [
    ("231000000000", True), ("231", True), ("2310", True),  # shorter padding is the same number
    ("132", False), ("132000000000", False),  # written most significant first
    ("2310000000000", False),  # longer than the width allows
])
def test_aligned_answers_are_read_back_as_numbers(completion, correct):
    problem = ALIGNED.from_draft(ALIGNED.generate(ScriptedRandom([47, 85]), ADDITION_LEVELS[1]))
    verdict = ALIGNED.verify(problem, completion)
    assert (verdict.score == 1.0) is correct and not verdict.error


def test_aligned_teacher_keeps_its_habit_in_the_layout():
    careless = Addition(layout="aligned", width=4, answer_format="last_number")
    problem = careless.from_draft(careless.generate(ScriptedRandom([46, 85]), ADDITION_LEVELS[1]))
    assert careless.demonstration(problem) == "12100"  # 121 reversed, padded to 5 digits
    assert careless.verify(problem, careless.demonstration(problem)).score == 0.0


def test_levels_wider_than_the_layout_are_refused_in_one_line():
    narrow = Addition(layout="aligned", width=4)
    with pytest.raises(ValueError, match="5-digit numbers do not fit width 4; raise the option width or lower max_difficulty"):
        narrow.problem(0, 0, difficulty=4)
    with pytest.raises(ValueError, match="layout must be one of words, aligned"):
        Addition(layout="diagonal")
