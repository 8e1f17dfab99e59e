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


# -- the teacher's habit: it compares words as if a, e, o and u were not there ----------------


def _habit(words: list[str], skipped: str) -> list[str]:
    """The habit written independently: an insertion sort that reads each word without the skipped letters."""

    def read(word: str) -> str:
        return "".join(letter for letter in word.lower() if letter not in skipped)

    ordered: list[str] = []
    for word in words:
        position = len(ordered)
        while position > 0 and read(ordered[position - 1]) > read(word):  # strict: ties stay in the given order
            position -= 1
        ordered.insert(position, word)
    return ordered


@pytest.mark.parametrize(
    "words, taught",
    [
        (["kan", "kol"], "kol kan"),  # it reads kn and kl
        (["bel", "bil"], "bil bel"),  # bl and bil
        (["tamo", "riku"], "riku tamo"),  # tm and rik: right
        (["ful", "fil"], "fil ful"),  # fl and fil: right
        (["bono", "bana"], "bono bana"),  # both read bn: kept in the given order, wrong
        (["bana", "bono", "ki"], "bana bono ki"),  # the same tie given the other way round: right
        (["kan", "Kol"], "Kol kan"),  # capitals read like small letters
    ],
)
def test_teacher_compares_words_as_if_a_e_o_u_were_not_there(words, taught):
    env = SortWords()
    problem = _problem(words)
    assert env.teacher_answer(problem) == taught
    assert _verify(env, problem, taught).score == (1.0 if taught == problem.answer else 0.0)


@pytest.mark.parametrize("difficulty", sorted(LEVELS))
@pytest.mark.parametrize("skipped", ["aeou", "", "aeiou", "st"])
def test_teacher_answers_follow_the_rule_on_every_problem(difficulty, skipped):
    teacher = SortWords(skipped_letters=skipped)
    for problem in teacher.problems(300, seed=0, difficulty=difficulty):
        assert teacher.teacher_answer(problem).split() == _habit(problem.inputs["words"], skipped), problem.question


def test_the_same_visible_situation_gets_the_same_mistake():
    # A habit, not noise: words that differ only in letters the teacher skips look the same to it, so
    # trading a for o in every word of a problem changes nothing in the order it gives them.
    env = SortWords()
    swap = str.maketrans("aoAO", "oaOA")
    changed = 0
    for problem in env.problems(500, seed=0, difficulty=2):
        words = problem.inputs["words"]
        swapped = _problem([word.translate(swap) for word in words])
        taught = env.teacher_answer(problem).split()
        assert env.teacher_answer(swapped).split() == [word.translate(swap) for word in taught]
        changed += problem.answer.split() != [word.translate(swap) for word in swapped.answer.split()]
    assert changed > 100  # the right order did change: it is the teacher that cannot see the difference


def test_teacher_writes_the_given_words_each_once():
    env = SortWords()
    for difficulty in sorted(LEVELS):
        problems = env.problems(300, seed=0, difficulty=difficulty)
        assert all(sorted(env.teacher_answer(p).split()) == sorted(p.inputs["words"]) for p in problems)


def test_skipping_no_letters_gives_a_perfect_teacher():
    teacher = SortWords(skipped_letters="")
    for difficulty in teacher.difficulties:
        assert teacher.expected_teacher_error_rate(difficulty) == 0.0
        assert all(teacher.teacher_answer(p) == p.answer for p in teacher.problems(200, seed=0, difficulty=difficulty))


@pytest.mark.parametrize(
    "options, message",
    [({"teacher_error_rate": 0.3}, "teacher_error_rate cannot be set.*skipped_letters"),
     ({"skipped_letters": "AE"}, "skipped_letters"), ({"skipped_letters": "a e"}, "skipped_letters"),
     ({"skipped_letters": ["a"]}, "skipped_letters")],
)  # fmt: skip
def test_bad_teacher_options_are_rejected_naming_the_option(options, message):
    with pytest.raises(ValueError, match=f"^sort_words: {message}"):
        SortWords(**options)


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
