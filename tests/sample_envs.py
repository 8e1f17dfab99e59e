"""Small environments that misbehave on purpose, for testing the verifier sandbox."""

import time

from env import AnswerError, Draft, Environment


class Echo(Environment):
    """The answer is a word; special answers make the checker hang, allocate or crash."""

    name = "echo"
    description = "Repeat the word."
    levels = {1: ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "yam"]}

    def generate(self, rng, level):
        word = rng.choice(level) + str(rng.randint(0, 999))
        return Draft(question=f"Repeat {word}.", answer=word)

    def score(self, answer, problem):
        if answer == "hang":
            time.sleep(60)
        if answer == "allocate":
            _ = bytearray(4 * 1024**3)
        if answer == "crash":
            raise ZeroDivisionError("a bug in the checker")
        if answer == "unreadable":
            raise AnswerError("cannot read that")
        return answer == problem.answer
