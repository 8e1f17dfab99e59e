"""The sort_words environment: a unique sorted order, strict word lists, untrusted answers are safe."""

import dataclasses
import statistics
import subprocess
import sys
import time

import pytest

from env.errors import AnswerError
from env.problem import Problem
from env.sort_words import LEVELS, SortWords

ADVERSARIAL = [
    "__import__('os').system('echo hi')",
    "9**9**9**9",
    "a" * 100_000,
    "(" * 5000 + "a" + ")" * 5000,
    "nan",
    "inf",
    "1e999",
    "\uff12\uff15 \uff46\uff55\uff4c",  # full-width digits and letters
    "   \n\t ",
]


def _problem(words: list[str]) -> Problem:
    """A hand-made problem, as generate() would have completed it."""
    question = f"Sort these words alphabetically: {', '.join(words)}."
    return Problem(
        env="sort_words",
        difficulty=1,
        split="train",
        seed=0,
        index=0,
        question=question,
        prompt=question,
        answer=" ".join(sorted(words, key=str.lower)),
        key=" ".join(sorted(words)),
        inputs={"words": words},
    )


def _verify(env: SortWords, problem: Problem, answer: str):
    return env.verify(problem, env.answer_format.render(answer))


def test_same_seed_gives_same_problems():
    env = SortWords()
    for difficulty in env.difficulties:
        assert env.problems(10, seed=3, difficulty=difficulty) == env.problems(10, seed=3, difficulty=difficulty)
    assert env.problems(10, seed=3) != env.problems(10, seed=4)


def test_reference_answers_score_one_and_are_sorted():
    env = SortWords()
    for difficulty in env.difficulties:
        for problem in env.problems(50, seed=0, difficulty=difficulty):
            words = problem.inputs["words"]
            assert _verify(env, problem, problem.answer).score == 1.0, problem
            assert problem.answer.split() == sorted(words, key=str.lower) != words
            assert len({word.lower() for word in words}) == len(words) == LEVELS[difficulty].num_words


def test_order_of_the_words_does_not_change_the_key():
    env = SortWords()
    problem = env.problem(seed=0, index=0)
    assert problem.key == _problem(list(reversed(problem.inputs["words"]))).key


def test_spaces_and_commas_both_separate_words():
    env = SortWords()
    problem = _problem(["tamo", "bel", "riku"])
    for answer in ["bel riku tamo", "bel, riku, tamo", "bel,riku,tamo", " bel\nriku  tamo "]:
        assert _verify(env, problem, answer).score == 1.0, answer


@pytest.mark.parametrize(
    "answer",
    [
        "bel tamo riku",  # wrong order
        "bel riku",  # a word missing
        "bel riku tamo tamo",  # a word twice
        "bel riku tamo zu",  # an extra word
        "bel riku tama",  # a misspelled word
        "Bel riku tamo",  # capitalized differently from the question
    ],
)
def test_wrong_lists_score_zero(answer):
    assert _verify(SortWords(), _problem(["tamo", "bel", "riku"]), answer).score == 0.0


def test_mixed_case_sorts_ignoring_case_and_keeps_spelling():
    env = SortWords()
    problem = _problem(["tamo", "Bel", "riku", "Ba"])
    assert problem.answer == "Ba Bel riku tamo"
    assert _verify(env, problem, "Ba Bel riku tamo").score == 1.0
    assert _verify(env, problem, "ba bel riku tamo").score == 0.0
    top = env.problem(seed=0, index=0, difficulty=max(env.difficulties))
    assert "ignoring capitalization" in top.question
    assert any(word[0].isupper() for word in top.inputs["words"])


@pytest.mark.parametrize("answer", ["bel riku tamo.", "bel; riku; tamo", "1. bel 2. riku 3. tamo", "bél riku tamo"])
def test_tokens_that_are_not_words_make_the_answer_unreadable(answer):
    verdict = _verify(SortWords(), _problem(["tamo", "bel", "riku"]), answer)
    assert verdict.score == 0.0 and "is not a word" in verdict.reason


@pytest.mark.parametrize("answer", ADVERSARIAL)
def test_adversarial_answers_score_zero_quickly(answer):
    env = SortWords()
    problem = env.problem(seed=0, index=0)
    started = time.perf_counter()
    verdict = _verify(env, problem, answer)
    assert verdict.score == 0.0 and verdict.reason
    assert time.perf_counter() - started < 0.5


def test_score_bounds_answer_length_itself():
    with pytest.raises(AnswerError, match="too long"):
        SortWords().score("a " * 50_000, _problem(["tamo", "bel", "riku"]))


def test_teacher_is_wrong_on_a_fixed_share_of_problems():
    env = SortWords()
    problems = env.problems(500, seed=0, difficulty=1)
    wrong = [p for p in problems if env.verify(p, env.demonstration(p)).score == 0.0]
    assert 0.3 <= len(wrong) / len(problems) <= 0.45
    # The mistake is systematic: the same problem always gets the same answer.
    assert [env.teacher_answer(p) for p in problems[:50]] == [env.teacher_answer(p) for p in problems[:50]]
    # Every changed answer is wrong, and the first-letter-only sort is one of the mistakes.
    changed = [p for p in problems if env.teacher_answer(p) != p.answer]
    assert len(changed) == len(wrong)
    first_letter_only = [" ".join(sorted(p.inputs["words"], key=lambda w: w[0].lower())) for p in changed]
    assert any(env.teacher_answer(p) == answer for p, answer in zip(changed, first_letter_only))


def test_teacher_error_rate_is_configurable():
    problems = SortWords().problems(100, seed=0, difficulty=2)
    assert all(SortWords(teacher_error_rate=0.0).teacher_answer(p) == p.answer for p in problems)
    with pytest.raises(ValueError, match="teacher_error_rate"):
        SortWords(teacher_error_rate=-0.1)


def _letters_to_compare(problem: Problem) -> int:
    """Letters read to order each sorted neighbour pair: their shared prefix plus the deciding letter."""
    words = [word.lower() for word in problem.answer.split()]
    total = 0
    for a, b in zip(words, words[1:]):
        shared = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        total += shared + 1
    return total


def test_levels_get_harder():
    env = SortWords()
    effort = [
        statistics.mean(_letters_to_compare(p) for p in env.problems(200, seed=0, difficulty=difficulty))
        for difficulty in env.difficulties
    ]
    assert effort == sorted(effort) and len(set(effort)) == len(effort), effort


@pytest.mark.parametrize(
    "field, value",
    [("num_words", 1), ("min_syllables", 0), ("max_syllables", 7), ("num_stems", 11)],
)
def test_bad_config_is_rejected_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(LEVELS[4], **{field: value})
    with pytest.raises(ValueError, match="max_syllables > min_syllables"):
        dataclasses.replace(LEVELS[3], min_syllables=2, max_syllables=2)


def test_env_layer_imports_no_torch():
    code = "import sys, env.sort_words; assert not {'torch', 'transformers', 'trl'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
