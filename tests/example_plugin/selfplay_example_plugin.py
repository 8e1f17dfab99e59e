"""Reverse the order of the words in a sentence: `Reverse the order of the words: red fox runs.` -> `runs fox red`.

Harder levels have more words. The answer is checked word by word, ignoring
case and extra spaces.

Teacher errors (for pretraining): on a fixed share of the problems the teacher
reverses only the first half of the words and copies the rest as they are
(`a b c d e f` -> `c b a d e f`). The mistake is decided per problem.

    >>> ReverseWords().problem(seed=0, index=0).question
    'Reverse the order of the words: honey east apple.'
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from env import Draft, Environment, Problem

NAME = "reverse_words"
WORDS = (
    "apple river stone cloud green quick brown lazy fox dog bird tree house light night water "
    "paper glass metal bread honey salt sugar north south east west small large happy quiet loud"
).split()


@dataclass(frozen=True)
class Config:
    num_words: int  # words in the sentence, all different

    def __post_init__(self):
        if not 2 <= self.num_words <= len(WORDS):
            raise ValueError(f"{NAME}: num_words must be in 2..{len(WORDS)}, got {self.num_words}")


class ReverseWords(Environment):
    name = NAME
    description = "Reverse the order of the words in a sentence; more words at higher levels."
    levels = {1: Config(num_words=3), 2: Config(num_words=6), 3: Config(num_words=12)}
    teacher_errors = "reverses only the first half of the words on a share of the problems"

    default_teacher_error_rate = 0.3

    def generate(self, rng: random.Random, level: Config) -> Draft:
        words = rng.sample(WORDS, level.num_words)  # only `rng`: the same seed must give the same problem
        return Draft(
            question="Reverse the order of the words: " + " ".join(words) + ".",
            answer=" ".join(reversed(words)),
            inputs={"words": words},
        )

    def score(self, answer: str, problem: Problem) -> bool:
        return answer.lower().split() == problem.answer.lower().split()

    def teacher_answer(self, problem: Problem) -> str:
        if not self.teacher_errs(problem):
            return problem.answer
        words = problem.inputs["words"]
        half = (len(words) + 1) // 2  # never the whole sentence, so the result is always wrong
        return " ".join(words[:half][::-1] + words[half:])
