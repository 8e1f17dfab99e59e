"""Answer formats: extraction, the ambiguity rule, well-formedness, and round trips.

    $ .venv/bin/python -m pytest tests/test_answers.py -q
"""

import pytest

from env import AnswerError, Draft, get_environment
from env.answers import ANSWER_FORMATS, MAX_COMPLETION_CHARS, answer_format

FORMATS = sorted(ANSWER_FORMATS)
TEXT_FORMATS = ["answer_line", "boxed", "tag"]  # formats that can carry more than one answer

# Completions that give one answer, 42, with some reasoning first, in each format.
SINGLE = {
    "tag": "47 - 5 is 42, so <answer>42</answer>",
    "boxed": "47 - 5 is 42, so \\boxed{42}",
    "answer_line": "47 - 5 is 42.\nAnswer: 42",
    "last_number": "47 - 5 is 42",
}


@pytest.mark.parametrize("name", FORMATS)
def test_single_answer_is_extracted(name):
    assert answer_format(name).extract(SINGLE[name]) == "42"


@pytest.mark.parametrize(
    "name, completion, answer",
    [
        ("tag", "<answer>  -3 </answer>", "-3"),
        ("tag", "<answer>x**2 - 1\n</answer>", "x**2 - 1"),
        ("boxed", "\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("boxed", "\\boxed{{a}{b}}", "{a}{b}"),
        ("boxed", "\\boxed{\\sqrt{\\frac{1}{4}}} done", "\\sqrt{\\frac{1}{4}}"),
        ("answer_line", "so\n  answer :  bel, riku  \n", "bel, riku"),
        ("answer_line", "ANSWER: 7", "7"),
        ("last_number", "3 apples and 4 pears make 7.", "7"),
        ("last_number", "it is -12", "-12"),
        ("last_number", "about 3.25", "3.25"),
    ],
)
def test_answer_is_extracted_without_surrounding_whitespace(name, completion, answer):
    assert answer_format(name).extract(completion) == answer


@pytest.mark.parametrize("name", TEXT_FORMATS)
def test_the_same_answer_given_twice_is_accepted(name):
    render = answer_format(name).render
    assert answer_format(name).extract(f"{render('42')}\nTo be sure:\n{render('42')}") == "42"


@pytest.mark.parametrize("name", TEXT_FORMATS)
def test_several_different_answers_are_refused(name):
    render = answer_format(name).render
    with pytest.raises(AnswerError, match="several different final answers"):
        answer_format(name).extract(f"{render('41')}\nor maybe\n{render('42')}")


def test_only_the_last_number_counts_in_last_number_format():
    assert answer_format("last_number").extract("41, no wait, 42") == "42"


@pytest.mark.parametrize(
    "name, completion", [("tag", "<answer> </answer>"), ("boxed", "\\boxed{ }"), ("answer_line", "Answer:   ")]
)
def test_empty_answer_is_refused(name, completion):
    with pytest.raises(AnswerError, match="the answer is empty"):
        answer_format(name).extract(completion)


@pytest.mark.parametrize("name", FORMATS)
def test_missing_answer_is_refused_with_the_instruction(name):
    with pytest.raises(AnswerError, match="no answer in the") as caught:
        answer_format(name).extract("I do not know, sorry.")
    assert answer_format(name).instruction in str(caught.value)


@pytest.mark.parametrize(
    "name, completion", [("tag", "<answer>42"), ("boxed", "\\boxed{42"), ("answer_line", "The answer: 42")]
)
def test_unfinished_or_misplaced_answer_is_missing(name, completion):
    with pytest.raises(AnswerError):
        answer_format(name).extract(completion)


@pytest.mark.parametrize("name", FORMATS)
def test_completion_over_the_length_limit_is_not_searched(name):
    answer = answer_format(name).render("42")
    at_limit = "x" * (MAX_COMPLETION_CHARS - len(answer) - 1) + "\n" + answer
    assert answer_format(name).extract(at_limit) == "42"
    with pytest.raises(AnswerError, match="completion too long"):
        answer_format(name).extract("x" + at_limit)


@pytest.mark.parametrize("name", FORMATS)
def test_well_formatted_when_exactly_one_answer_stands_at_the_end(name):
    fmt = answer_format(name)
    assert fmt.is_well_formatted(fmt.render("42"))
    assert fmt.is_well_formatted(SINGLE[name])
    assert fmt.is_well_formatted(fmt.render("42") + "\n \t")


@pytest.mark.parametrize("name", FORMATS)
def test_not_well_formatted_with_text_after_the_answer_or_no_answer(name):
    fmt = answer_format(name)
    assert not fmt.is_well_formatted(fmt.render("42") + "\nHope that helps!")
    assert not fmt.is_well_formatted("I do not know.")
    too_long = "x" * MAX_COMPLETION_CHARS + " " + fmt.render("42")
    assert not fmt.is_well_formatted(too_long)


@pytest.mark.parametrize("name", TEXT_FORMATS)
def test_not_well_formatted_with_several_or_empty_answers(name):
    fmt = answer_format(name)
    assert not fmt.is_well_formatted(f"{fmt.render('42')}\n{fmt.render('42')}")
    assert not fmt.is_well_formatted(f"{fmt.render('41')}\n{fmt.render('42')}")
    assert not fmt.is_well_formatted(fmt.render(""))


def test_unbalanced_boxed_is_not_well_formatted():
    assert not answer_format("boxed").is_well_formatted("\\boxed{\\frac{1}{2}")


ROUND_TRIP_ANSWERS = {
    "numbers": ["42", "-17", "3.5", "0"],
    "text": ["x**2 - 3*x - 10", "(x - 5)*(x + 2)", "\\frac{1}{2}", "bel, nastu, riku", "(25 - 5) * 4 + 3", "-2, 3"],
}


@pytest.mark.parametrize("name", FORMATS)
def test_render_then_extract_gives_the_answer_back(name):
    answers = ROUND_TRIP_ANSWERS["numbers"] + (ROUND_TRIP_ANSWERS["text"] if name != "last_number" else [])
    fmt = answer_format(name)
    for answer in answers:
        assert fmt.extract(fmt.render(answer)) == answer
        assert fmt.is_well_formatted(fmt.render(answer)), answer


def test_unknown_format_name_lists_the_formats():
    with pytest.raises(KeyError) as caught:
        answer_format("xml")
    message = caught.value.args[0]
    assert "'xml'" in message
    assert all(name in message for name in ANSWER_FORMATS)


@pytest.mark.parametrize(
    "env_name, undeclared", [("algebra", "last_number"), ("sort_words", "last_number"), ("arithmetic", "xml")]
)
def test_environment_rejects_an_answer_format_it_does_not_declare(env_name, undeclared):
    with pytest.raises(ValueError) as caught:
        get_environment(env_name, answer_format=undeclared)
    message = str(caught.value)
    assert message.startswith(f"{env_name}: answer_format")
    assert repr(undeclared) in message
    declared = type(get_environment(env_name)).answer_formats
    assert all(name in message for name in declared)


@pytest.mark.parametrize("name", ["tag", "boxed", "answer_line", "last_number"])
def test_environment_uses_its_chosen_format_in_prompt_and_checking(name):
    arithmetic = get_environment("arithmetic", answer_format=name)
    problem = arithmetic.problem(seed=0, index=0)
    assert problem.prompt.endswith(ANSWER_FORMATS[name].instruction)
    assert arithmetic.verify(problem, ANSWER_FORMATS[name].render(problem.answer)).score == 1.0


def test_environment_scores_several_different_answers_zero_with_the_reason():
    arithmetic = get_environment("arithmetic")
    problem = arithmetic.problem(seed=0, index=0)
    verdict = arithmetic.verify(problem, f"<answer>{problem.answer}</answer> or <answer>{int(problem.answer) + 1}</answer>")
    assert verdict.score == 0.0
    assert "several different final answers" in verdict.reason


# -- reading numbers as a careful grader would (issue 13) ----------------------------

LAST_NUMBER_REFUSED = [
    "2^10", "2 ^ 10", "2**10", "2^{10}", "10^(3)", "so 2^\n10",  # an exponent is not the answer
    "1e5", "1E5", "1.5e-3", "3 \u00d7 10^5", "10\u00b2",  # nor is e-notation's or a superscript power's
    "0,042", "12,34", "1,2345", "1,234,56", "coordinates 1,5",  # invalid digit grouping
    "7-5", "10 - 5", "3/4", "5/x", "2 * 5", "5 x 10", "x-5",  # an operand of an expression
    "\\frac{1}{2}", "\\frac12", "\\frac 1 2", "\\sqrt 16", "2 \\cdot 5", "sqrt(16)", "x_5",  # an argument
    ".5", "1_000", "1.2.3", "1\uff12", "it is \u201442", "Answer: - 5",  # a piece, or a detached sign
]  # fmt: skip


@pytest.mark.parametrize("completion", LAST_NUMBER_REFUSED)
def test_last_number_that_does_not_stand_alone_is_refused(completion):
    with pytest.raises(AnswerError, match="the last number"):
        answer_format("last_number").extract(completion)


@pytest.mark.parametrize(
    "completion, answer",
    [
        ("it is \u221242", "-42"), ("\u201342", "-42"), ("x = \uff0d42", "-42"), ("x=\ufe6342", "-42"),
        ("x = \u201242", "-42"), ("(\u22125)", "-5"), ("answer:-5", "-5"), ("x = +5", "5"),
        ("The answer is **42**.", "42"), ("**\u221242**", "-42"), ("*42*", "42"), ("\\boxed{42}", "42"),
        ("$\\boxed{-42}$", "-42"), ("\\text{so} 42", "42"), ("1,234", "1,234"), ("total 1,234,567.", "1,234,567"),
        ("617 + 617 = 1,234", "1,234"), ("The answer: 42!", "42"), ("2^10 = 1024", "1024"), ("1e5 is 100000", "100000"),
    ],
)  # fmt: skip
def test_last_number_reads_signs_groups_and_emphasis(completion, answer):
    assert answer_format("last_number").extract(completion) == answer


def _arithmetic_problem(answer: int, name: str):
    arithmetic = get_environment("arithmetic", answer_format=name)
    return arithmetic, arithmetic.from_draft(Draft(question=f"What is {answer} + 0?", answer=str(answer)))


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize(
    "written, answer",
    [("2^10", 10), ("1e5", 5), ("2**10", 10), ("10\u00b2", 10), ("\u221242", 42), ("\u201342", 42),
     ("\uff0d42", 42), ("0,042", 42), ("-0,042", -42), ("12,34", 1234), ("1,2345", 12345)],
)  # fmt: skip
def test_no_format_credits_an_exponent_an_ignored_minus_or_a_bad_digit_group(name, written, answer):
    arithmetic, problem = _arithmetic_problem(answer, name)
    verdict = arithmetic.verify(problem, arithmetic.answer_format.render(written))
    assert (verdict.score, verdict.error) == (0.0, False), verdict
    assert verdict.reason


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("minus", ["-", "\u2212", "\u2012", "\u2013", "\ufe63", "\uff0d"])
def test_every_minus_form_is_minus_in_every_format(name, minus):
    arithmetic, problem = _arithmetic_problem(-1234, name)
    for written in (f"{minus}1234", f"{minus}1,234"):
        assert arithmetic.verify(problem, arithmetic.answer_format.render(written)).score == 1.0, written
