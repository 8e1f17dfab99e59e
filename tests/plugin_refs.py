"""Small environments loaded by `package.module:ClassName` reference in tests/test_plugins.py.

`Shout` is a correct environment; the others each break one rule of the
contract, so the tests can check that the registry and `selfplay envs check`
catch it.
"""

import random

from env import Draft, Environment

WORDS = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "yam"]


class Shout(Environment):
    """A correct environment: write the word in capital letters."""

    name = "shout"
    description = "Write the word in capitals."
    levels = {1: 0, 2: 1}  # digits appended to the word

    def generate(self, rng, level):
        word = rng.choice(WORDS) + str(rng.randrange(1000 * 10**level))
        return Draft(question=f"Write {word} in capitals.", answer=word.upper())

    def score(self, answer, problem):
        return answer == problem.answer


class NoLevels(Shout):
    """Forgot to declare its difficulty levels."""

    name = "no_levels"
    levels = {}


class NoName(Environment):
    """Forgot to declare its name."""

    levels = {1: 0}


class AcceptsAnything(Shout):
    """Its checker passes every answer: a reward the policy farms."""

    name = "accepts_anything"

    def score(self, answer, problem):
        return True


class GlobalRandom(Shout):
    """Draws from the global `random` instead of the given rng: the same seed gives different problems."""

    name = "global_random"

    def generate(self, rng, level):
        return super().generate(random.Random(random.random()), level)


class ExplodesOnLevel2(Environment):
    """Fine at level 1; at level 2 its generator raises after a while: a bug met mid-campaign, past the
    problems that launch draws to validate the plugin and build the held-out set (345 draws at level 2
    with the settings of tests/campaign_settings.py)."""

    name = "explodes_on_level2"
    description = "Repeat a number; level 2 breaks after a while."
    levels = {1: 10, 2: 100}
    level_2_draws_before_failing = 350

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._level_2_draws = 0

    def generate(self, rng, level):
        if level == 100:
            self._level_2_draws += 1
            if self._level_2_draws > self.level_2_draws_before_failing:
                raise RuntimeError("boom in generate")
        number = rng.randint(0, 10**6)
        return Draft(question=f"Repeat {number}.", answer=str(number))

    def score(self, answer, problem):
        return answer.strip() == problem.answer
