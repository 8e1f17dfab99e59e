"""The arithmetic environment: reproducible problems, exact checking, harder levels, a carry-forgetting teacher.

    $ .venv/bin/python -m pytest tests/test_env_arithmetic.py -q
"""

import pytest

from env import Draft, get_environment
from env.arithmetic import LEVELS, Arithmetic, Config

ARITHMETIC = Arithmetic()
DIFFICULTIES = sorted(LEVELS)


class ScriptedRandom:
    """Stands in for random.Random in `generate`: hands out the given operands and operators in order."""

    def __init__(self, operands, operators):
        self.operands, self.operators = iter(operands), iter(operators)

    def randint(self, low, high):
        value = next(self.operands)
        assert low <= value <= high, (value, low, high)
        return value

    def choice(self, options):
        value = next(self.operators)
        assert value in options, (value, options)
        return value


def _hand_written(operands, operators, difficulty=1):
    """The problem `generate` builds from these operands (all of the same length) and operators."""
    config = Config(num_digits=len(str(operands[0])), num_operands=len(operands), operators="+-*")
    draft = ARITHMETIC.generate(ScriptedRandom(operands, operators), config)
    return ARITHMETIC.from_draft(draft, difficulty=difficulty)


def _tag(answer):
    return f"<answer>{answer}</answer>"


# -- reproducibility -------------------------------------------------------------------


def test_same_seed_and_index_give_the_same_problem_in_a_fresh_instance():
    for difficulty in DIFFICULTIES:
        problems = ARITHMETIC.problems(50, seed=3, difficulty=difficulty)
        assert problems == Arithmetic().problems(50, seed=3, difficulty=difficulty)
        assert [Arithmetic().problem(3, index, difficulty) for index in range(50)] == problems
        assert problems != ARITHMETIC.problems(50, seed=4, difficulty=difficulty)


def test_problems_are_stable_across_runs_and_machines():
    # The module docstring's example; the RNG is seeded from a string, never from hash().
    assert Arithmetic().problem(seed=0, index=0, difficulty=1).question == "What is 12 + 83?"


def test_commuted_sums_and_products_are_the_same_problem():
    for operator in "+*":
        first = ARITHMETIC.generate(ScriptedRandom([47, 85], [operator]), Config(2, 2, operator))
        second = ARITHMETIC.generate(ScriptedRandom([85, 47], [operator]), Config(2, 2, operator))
        assert first.question != second.question
        assert first.key == second.key
        assert ARITHMETIC.split_of(first.key) == ARITHMETIC.split_of(second.key)


def test_differences_in_either_order_are_different_problems():
    first = _hand_written([470, 185], ["-"])
    second = _hand_written([185, 470], ["-"])
    assert first.key != second.key and first.answer == "285" and second.answer == "-285"


# -- checking ------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_reference_scores_one_and_any_other_integer_zero(difficulty):
    for problem in ARITHMETIC.problems(100, seed=0, difficulty=difficulty):
        answer = int(problem.answer)
        assert ARITHMETIC.verify(problem, _tag(answer)).score == 1.0
        for wrong in (answer + 1, answer - 1, answer * 10, -answer - 1, int(str(abs(answer)) + "0")):
            if wrong != answer:
                verdict = ARITHMETIC.verify(problem, _tag(wrong))
                assert (verdict.score, verdict.reason) == (0.0, "wrong answer"), (problem.question, wrong)


def test_precedence_multiplication_before_addition_and_subtraction():
    assert _hand_written([12, 30, 40], ["+", "*"]).answer == "1212"
    assert _hand_written([12, 13, 14], ["-", "*"]).answer == "-170"
    assert _hand_written([12, 13, 14], ["*", "-"]).answer == "142"
    assert _hand_written([50, 20, 10], ["-", "-"]).answer == "20"  # left to right


@pytest.mark.parametrize("answer_format", ["tag", "boxed", "answer_line"])
def test_comma_grouped_and_plus_signed_answers_are_accepted(answer_format):
    arithmetic = Arithmetic(answer_format=answer_format)
    problems = [p for p in arithmetic.problems(200, seed=0, difficulty=5) if abs(int(p.answer)) >= 1000]
    assert any(int(p.answer) < 0 for p in problems) and any(int(p.answer) > 0 for p in problems)
    render = arithmetic.answer_format.render
    for problem in problems:
        value = int(problem.answer)
        assert arithmetic.verify(problem, render(f"{value:,}")).score == 1.0, f"{value:,}"
        assert arithmetic.verify(problem, render(f" {value} ")).score == 1.0
        if value > 0:
            assert arithmetic.verify(problem, render(f"+{value}")).score == 1.0
            assert arithmetic.verify(problem, render(f"+{value:,}")).score == 1.0


def test_comma_grouped_answer_is_accepted_in_last_number_format():
    arithmetic = Arithmetic(answer_format="last_number")
    problem = _hand_written([617, 617], ["+"])
    assert arithmetic.verify(problem, "617 + 617 = 1,234").score == 1.0


@pytest.mark.parametrize(
    "answer, reason",
    [("1_234", "not an integer"), ("0x4D2", "not an integer"), ("1234.0", "not an integer"),
     ("12,34", "not an integer"), ("1 234", "not an integer"), ("\uff11\uff12\uff13\uff14", "not an integer"),
     ("1234 or 1235", "not an integer"), ("", "the answer is empty")],
)  # fmt: skip
def test_unreadable_answers_score_zero_with_the_reason(answer, reason):
    problem = _hand_written([617, 617], ["+"])
    verdict = ARITHMETIC.verify(problem, _tag(answer))
    assert verdict.score == 0.0 and reason in verdict.reason


# -- levels ----------------------------------------------------------------------------


def _observed(difficulty):
    """(operand digits, operand count, operators used) over generated problems of this level."""
    problems = ARITHMETIC.problems(300, seed=0, difficulty=difficulty)
    digits = {len(str(n)) for p in problems for n in p.inputs["operands"]}
    counts = {len(p.inputs["operands"]) for p in problems}
    operators = {op for p in problems for op in p.inputs["operators"]}
    assert len(digits) == 1 and len(counts) == 1, "every problem of a level has the same shape"
    return digits.pop(), counts.pop(), operators


def test_levels_get_harder():
    observed = [_observed(difficulty) for difficulty in DIFFICULTIES]
    for (digits, count, operators), (next_digits, next_count, next_operators) in zip(observed, observed[1:]):
        assert next_count >= count and next_operators >= operators  # nothing is taken away ...
        assert next_digits > digits or next_count > count or next_operators > operators  # ... and something added
    easiest, hardest = observed[0], observed[-1]
    assert hardest[0] == max(digits for digits, _, _ in observed) > easiest[0]
    assert hardest[1] > easiest[1]
    assert hardest[2] == set("+-*") and easiest[2] == {"+"}


def test_generated_problems_follow_their_level_config():
    for difficulty in DIFFICULTIES:
        digits, count, operators = _observed(difficulty)
        config = LEVELS[difficulty]
        assert (digits, count) == (config.num_digits, config.num_operands)
        assert operators == set(config.operators)


# -- the teacher -------------------------------------------------------------------


def _pupil_sum(a, b, margin):
    """A pupil's column addition, written independently of env/arithmetic.py: a column total of
    10 .. 9 + margin writes its last digit and carries nothing; the leftmost column writes its total."""
    width = max(len(str(a)), len(str(b)))
    digits_a, digits_b = str(a).zfill(width), str(b).zfill(width)
    written, carry = "", 0
    for position in range(width - 1, 0, -1):  # right to left, all but the leftmost column
        total = int(digits_a[position]) + int(digits_b[position]) + carry
        written = str(total % 10) + written
        carry = 1 if total >= 10 + margin else 0
    return int(str(int(digits_a[0]) + int(digits_b[0]) + carry) + written)


def _pupil_difference(a, b, margin):
    """For a >= b: when the bottom digit is larger by at most `margin`, no borrow and the smaller digit
    from the larger; otherwise a correct borrow."""
    width = len(str(a))
    digits_a, digits_b = str(a), str(b).zfill(width)
    written, borrow = "", 0
    for position in range(width - 1, -1, -1):
        difference = int(digits_a[position]) - int(digits_b[position]) - borrow
        if difference >= 0:
            written, borrow = str(difference) + written, 0
        elif -difference <= margin:
            written, borrow = str(-difference) + written, 0
        else:
            written, borrow = str(difference + 10) + written, 1
    return int(written)


def _pupil(problem, margin=3):
    (a, b), (operator,) = problem.inputs["operands"], problem.inputs["operators"]
    if operator == "+":
        return _pupil_sum(a, b, margin)
    return _pupil_difference(a, b, margin) if a >= b else -_pupil_difference(b, a, margin)


def test_teacher_forgets_small_carries_and_borrows_by_habit():
    assert ARITHMETIC.teacher_answer(_hand_written([47, 85], ["+"])) == "122"  # 7 + 5 = 12: carry forgotten
    assert ARITHMETIC.teacher_answer(_hand_written([47, 86], ["+"])) == "133"  # 7 + 6 = 13: carried, right
    assert ARITHMETIC.teacher_answer(_hand_written([12, 83], ["+"])) == "95"  # no carry: nothing to forget
    assert ARITHMETIC.teacher_answer(_hand_written([52, 34], ["-"])) == "22"  # 4 is 2 above 2: no borrow, 4 - 2
    assert ARITHMETIC.teacher_answer(_hand_written([52, 38], ["-"])) == "14"  # 8 is 6 above 2: borrows, right
    assert ARITHMETIC.teacher_answer(_hand_written([34, 52], ["-"])) == "-22"
    assert Arithmetic(answer_format="tag").demonstration(_hand_written([47, 85], ["+"])) == "<answer>122</answer>"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
@pytest.mark.parametrize("margin", [0, 1, 3, 9])
def test_teacher_answers_follow_the_rule_on_every_problem(difficulty, margin):
    teacher = Arithmetic(careless_margin=margin)
    for problem in teacher.problems(500, seed=0, difficulty=difficulty):
        assert teacher.teacher_answer(problem) == str(_pupil(problem, margin)), problem.question


def test_the_same_visible_situation_gets_the_same_mistake():
    # A habit, not noise: every problem whose ones digits sum to 12 gets its carry forgotten.
    problems = [p for p in ARITHMETIC.problems(2000, seed=0, difficulty=1)
                if sum(n % 10 for n in p.inputs["operands"]) == 12]
    assert len(problems) > 50
    assert all(ARITHMETIC.teacher_answer(p) != p.answer for p in problems)


@pytest.mark.parametrize("difficulty", [4, 5])
def test_teacher_multiplies_correctly(difficulty):
    teacher = Arithmetic(careless_margin=9)
    products = [p for p in teacher.problems(1000, seed=0, difficulty=difficulty) if set(p.inputs["operators"]) == {"*"}]
    assert len(products) > 50
    assert all(teacher.teacher_answer(p) == p.answer for p in products)


def test_careless_margin_zero_gives_a_perfect_teacher():
    teacher = Arithmetic(careless_margin=0)
    for difficulty in DIFFICULTIES:
        assert teacher.expected_teacher_error_rate(difficulty) == 0.0
        for problem in teacher.problems(300, seed=0, difficulty=difficulty):
            assert teacher.verify(problem, teacher.demonstration(problem)).score == 1.0


# -- bad options -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, option",
    [({"teacher_error_rate": 0.3}, "teacher_error_rate"), ({"careless_margin": -1}, "careless_margin"),
     ({"careless_margin": 10}, "careless_margin"), ({"answer_format": "xml"}, "answer_format")],
)  # fmt: skip
def test_bad_option_values_are_rejected_naming_the_option(options, option):
    with pytest.raises(ValueError, match=f"^arithmetic: {option}"):
        get_environment("arithmetic", **options)


def test_unknown_option_is_rejected_naming_it():
    with pytest.raises(TypeError, match="error_rate"):
        get_environment("arithmetic", error_rate=0.3)


@pytest.mark.parametrize(
    "field, value",
    [("num_digits", 0), ("num_digits", 13), ("num_operands", 1), ("num_operands", 7), ("operators", ""),
     ("operators", "/"), ("operators", "+/")],
)  # fmt: skip
def test_impossible_level_config_is_rejected_naming_the_field(field, value):
    fields = {**LEVELS[1].__dict__, field: value}
    with pytest.raises(ValueError, match=f"^arithmetic: {field}"):
        Config(**fields)


@pytest.mark.parametrize("difficulty", [0, 6])
def test_unknown_difficulty_is_rejected_listing_the_levels(difficulty):
    with pytest.raises(ValueError, match=r"difficulty must be one of \[1, 2, 3, 4, 5\]"):
        ARITHMETIC.problem(seed=0, index=0, difficulty=difficulty)


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="split must be one of"):
        ARITHMETIC.problem(seed=0, index=0, split="test")


def test_draft_answer_is_computed_exactly_for_big_operands():
    big = Config(num_digits=12, num_operands=6, operators="*")
    draft = ARITHMETIC.generate(ScriptedRandom([999_999_999_999] * 6, ["*"] * 5), big)
    assert isinstance(draft, Draft) and draft.answer == str(999_999_999_999**6)
