"""Sort words alphabetically: `Sort these words alphabetically: tamo, bel, riku, nastu.`

The words are pronounceable made-up words built from syllables (`tamo`,
`brisel`), so the generator needs no word list and the problem space is huge.
Harder levels have more and longer words, then words built on a few shared
stems (`tamori`, `tamo`, `tamose`: the order is decided after the stem, and a
word comes before its own extensions), and at the top level mixed
capitalization with the rule stated in the question: ignore case, keep each
word as written. Words in a problem are distinct (ignoring case), so the
sorted order is unique, and the given order is never already sorted.

Checking: the answer is the words separated by spaces and/or commas
(`bel nastu riku tamo` or `bel, nastu, riku, tamo`); it scores 1 only when it
is exactly the sorted list: the same words, each once, spelled and capitalized
as given, in order. A token that is not a word (digits, punctuation, non-ASCII
letters) makes the answer unreadable.

Teacher errors (for pretraining) are a habit, a rule of what the problem
shows, so an imitator can learn it: the teacher compares words as if the
letters a, e, o and u were not there (`skipped_letters`), keeping words that
then read the same in the order given. It puts `kol` before `kan` (it reads
`kl` and `kn`) and `bil` before `bel` (`bil` and `bl`), yet `riku` before
`tamo` and `fil` before `ful` right. Comparing letters is demonstrated in
every other context (consonants, and i), so the right order stays a swap or
two away from the teacher's, where sampling can find it again.

    >>> SortWords().problem(seed=0, index=0, difficulty=1).question
    'Sort these words alphabetically: ful, ga, lil, kertras.'
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from env.environment import Environment
from env.errors import AnswerError
from env.problem import Draft, Problem

NAME = "sort_words"

# Syllable = onset + vowel + coda. The empty onset gives words that start with a vowel;
# repeated empty codas make open syllables (ending in a vowel) the most common.
ONSETS = ("", "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "ch", "pl", "sh", "tr")
VOWELS = ("a", "e", "i", "o", "u")
CODAS = ("", "", "", "n", "r", "s", "l")
MAX_SYLLABLES = 6
MAX_WORDS = 50
MAX_DRAWS = 1_000  # word draws per problem before giving up on distinct words
MAX_ANSWER_CHARS = 2_000  # above the longest possible answer: 50 words of 6 syllables of 4 letters, plus separators
_SEPARATORS = re.compile(r"[\s,]+")
_WORD = re.compile(r"[A-Za-z]+")  # ASCII letters only: full-width or accented letters are not the given words


@dataclass(frozen=True)
class Config:
    num_words: int  # words to sort
    min_syllables: int  # each word has min_syllables..max_syllables syllables (a syllable is 1-4 letters)
    max_syllables: int
    num_stems: int  # 0: independent words; n > 0: every word is one of n shared stems of min_syllables syllables,
    # extended by 0..(max_syllables - min_syllables) more syllables
    mixed_case: bool  # capitalize about half of the words; the question says to ignore case

    def __post_init__(self):
        if not 2 <= self.num_words <= MAX_WORDS:
            raise ValueError(f"{NAME}: num_words must be in 2..{MAX_WORDS}, got {self.num_words}")
        if not 1 <= self.min_syllables <= self.max_syllables <= MAX_SYLLABLES:
            raise ValueError(
                f"{NAME}: need 1 <= min_syllables <= max_syllables <= {MAX_SYLLABLES}, "
                f"got min_syllables={self.min_syllables}, max_syllables={self.max_syllables}"
            )
        if not 0 <= self.num_stems <= self.num_words:
            raise ValueError(f"{NAME}: num_stems must be in 0..num_words={self.num_words}, got {self.num_stems}")
        if self.num_stems and self.max_syllables == self.min_syllables:
            raise ValueError(
                f"{NAME}: words on shared stems need max_syllables > min_syllables to differ, "
                f"got both {self.min_syllables}"
            )


LEVELS = {
    1: Config(num_words=4, min_syllables=1, max_syllables=2, num_stems=0, mixed_case=False),
    2: Config(num_words=6, min_syllables=2, max_syllables=3, num_stems=0, mixed_case=False),
    3: Config(num_words=8, min_syllables=2, max_syllables=4, num_stems=2, mixed_case=False),
    4: Config(num_words=10, min_syllables=2, max_syllables=4, num_stems=3, mixed_case=True),
}


class SortWords(Environment):
    name = NAME
    description = "Sort made-up words alphabetically; more, longer, prefix-sharing, then mixed-case words."
    levels = LEVELS
    teacher_errors = "compares words as if the skipped_letters (a, e, o, u) were not there, keeping ties as given"

    def __init__(
        self, answer_format: str | None = None, teacher_error_rate: float | None = None, skipped_letters: str = "aeou"
    ):
        if teacher_error_rate is not None:
            raise ValueError(
                f"{NAME}: teacher_error_rate cannot be set, got {teacher_error_rate}: the teacher errs by a rule; "
                "set skipped_letters instead, the letters it ignores when comparing words ('' = a perfect teacher)"
            )
        if not isinstance(skipped_letters, str) or not re.fullmatch(r"[a-z]*", skipped_letters):
            raise ValueError(
                f"{NAME}: skipped_letters must be lowercase letters a-z, such as 'aeou', got {skipped_letters!r}"
            )
        super().__init__(answer_format)
        self.skipped_letters = skipped_letters
        self._error_rates: dict[int, float] = {}  # difficulty -> share of problems the habit gets wrong

    def generate(self, rng: random.Random, level: Config) -> Draft:
        words = _distinct_words(rng, level)
        if level.mixed_case:
            words = [word.capitalize() if rng.random() < 0.5 else word for word in words]
        ordered = _sorted(words)
        while words == ordered:  # an already sorted list would be no task
            rng.shuffle(words)
        rule = ", ignoring capitalization (keep each word as written)" if level.mixed_case else ""
        return Draft(
            question=f"Sort these words alphabetically{rule}: {', '.join(words)}.",
            answer=" ".join(ordered),
            key=" ".join(sorted(words)),  # any order of the same words is the same problem
            inputs={"words": words},
        )

    def score(self, answer: str, problem: Problem) -> bool:
        return _read_words(answer) == problem.answer.split()

    def teacher_answer(self, problem: Problem) -> str:
        return " ".join(_sorted_skipping(problem.inputs["words"], self.skipped_letters))

    def expected_teacher_error_rate(self, difficulty: int) -> float:
        """The habit's error rate at a level, measured once on 4,000 problems of a seed no campaign uses."""
        if difficulty not in self._error_rates:
            sample = self.problems(4_000, seed=-1, difficulty=difficulty)
            self._error_rates[difficulty] = sum(self.teacher_answer(p) != p.answer for p in sample) / len(sample)
        return self._error_rates[difficulty]


def _distinct_words(rng: random.Random, level: Config) -> list[str]:
    """`num_words` lowercase words, distinct; on shared stems when the level has them."""
    stems = [_word(rng, level.min_syllables) for _ in range(level.num_stems)]
    extra_syllables = level.max_syllables - level.min_syllables
    words: list[str] = []
    for _ in range(MAX_DRAWS):
        if stems:
            word = rng.choice(stems) + _word(rng, rng.randint(0, extra_syllables))
        else:
            word = _word(rng, rng.randint(level.min_syllables, level.max_syllables))
        if word not in words:
            words.append(word)
            if len(words) == level.num_words:
                return words
    raise RuntimeError(f"{NAME}: could not draw {level.num_words} distinct words; allow more syllables or stems")


def _word(rng: random.Random, num_syllables: int) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(num_syllables))


def _sorted(words: list[str]) -> list[str]:
    """Alphabetical order ignoring case (words are distinct ignoring case, so the order is unique)."""
    return sorted(words, key=str.lower)


def _read_words(answer: str) -> list[str]:
    """The words of an answer separated by spaces and/or commas; AnswerError if a token is not a word."""
    if len(answer) > MAX_ANSWER_CHARS:
        raise AnswerError(f"answer too long ({len(answer)} characters, at most {MAX_ANSWER_CHARS})")
    words = [token for token in _SEPARATORS.split(answer) if token]
    if not words:
        raise AnswerError("no words in the answer")
    for word in words:
        if not _WORD.fullmatch(word):
            shown = word if len(word) <= 20 else word[:20] + "..."
            raise AnswerError(f"{shown!r} is not a word: write the given words separated by spaces")
    return words


def _sorted_skipping(words: list[str], skipped: str) -> list[str]:
    """The teacher's order: as if the `skipped` letters were not there; words that then tie stay as given."""
    without_skipped = str.maketrans("", "", skipped)
    return sorted(words, key=lambda word: word.lower().translate(without_skipped))  # sorted() is stable
