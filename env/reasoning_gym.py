"""reasoning-gym's procedural tasks as selfplay environments, checked by reasoning-gym's own scorers.

Every reasoning-gym task becomes one environment named `gym_<task>`, reached by
the reference `env.reasoning_gym:<task>` (this module builds the class on first
access), in a config, on the command line or in a verifier worker:

    $ selfplay envs check env.reasoning_gym:basic_arithmetic
    >>> countdown = get_environment("env.reasoning_gym:countdown")   # countdown.name == "gym_countdown"

Problems: `generate` draws a sub-seed from the given rng and builds a one-item
reasoning-gym dataset with it, so a problem is fixed by (seed, index) like any
other environment's. The entry's metadata, which reasoning-gym's scorer needs,
travels in `Problem.inputs` as JSON.

Difficulty: level k is the task's reasoning-gym curriculum at global level
k - 1, in reasoning-gym's default (inclusive) mode: level k mixes the ranges of
levels 1..k, e.g. basic_arithmetic level 3 has 2-4 terms of 1-3 digits. Levels
whose configuration reasoning-gym itself rejects, or that take minutes to
generate (MAX_LEVELS), are left out; a task without a curriculum has one
level, its default configuration.

Scoring: the extracted answer goes to the task's `score_answer`, and only full
marks count: reasoning-gym pays 0.01-0.05 for any parseable text and partial
credit for containing the answer, which a policy farms. An exception inside
reasoning-gym's scorer means it could not read the text (prime_factorization
raises ValueError on `7 0`): that scores 0 with the exception as the reason,
rather than stopping a campaign.

Security. Several scorers run model text as code, so before calling them the
answer is checked here and refused (AnswerError, score 0) unless it is plain:
  - countdown, puzzle24, polynomial_multiplication, simple_integration and
    intermediate_integration give it to sympy's `parse_expr`, which calls
    `eval`: it must parse with `env.safe_math.parse_math`, with only the
    task's variables (and `C` for integrals) as symbols;
  - binary_matrix, n_queens, spiral_matrix and string_insertion give it to
    Python's `eval` when it is not the exact answer: it may contain only
    letters, digits, `_` and whitespace, with which no call, attribute access
    or literal can be written.
A drawn problem whose own reference answer fails the check (intermediate_integration
sometimes gives an unevaluated `Integral(...)`) is skipped. Campaigns still
verify inside rewards/sandbox.py's time- and memory-bounded workers.

A few tasks are refused, with the reason, in UNSUPPORTED: no single reference
answer, problems that change with PYTHONHASHSEED, or a scorer that needs
Python objects a JSON row cannot carry. Check any other task before training
on it (`selfplay envs check env.reasoning_gym:<task>`): in 0.1.25 some scorers
accept an answer followed by junk (knights_knaves, time_intervals, ...), some
first levels have too few distinct problems to hold any out (coin_flip,
tower_of_hanoi), and some top levels need answers longer than a completion may
be (game_of_life, rotate_matrix).

Teacher: always the reference answer. Needs the optional extra:
`pip install 'selfplay[gym]'`.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import random
import re
from typing import Any, Callable

try:
    from reasoning_gym.coaching.base_curriculum import DefaultCurriculumContext, RangeAttributeMode
    from reasoning_gym.factory import CURRICULA, DATASETS, create_curriculum
except ImportError as error:
    raise ImportError(
        f"env.reasoning_gym needs reasoning-gym, which cannot be imported ({error}); "
        "install it with: pip install 'selfplay[gym]'"
    ) from error

from env.environment import Environment
from env.errors import AnswerError
from env.problem import Draft, Problem
from env.safe_math import parse_math

PREFIX = "gym_"  # environment names are gym_<task>, apart from our own countdown and arithmetic
MAX_DRAWS = 100  # sub-seeds tried per problem before a level is declared unusable

# Scorers that give model text to sympy's parse_expr (eval inside): task -> its symbols, from the metadata.
SYMPY_PARSED: dict[str, Callable[[dict], set[str]]] = {
    "countdown": lambda metadata: set(),
    "puzzle24": lambda metadata: set(),
    "polynomial_multiplication": lambda metadata: set(metadata["variables"]),
    "simple_integration": lambda metadata: {metadata["variable"], "C"},
    "intermediate_integration": lambda metadata: {metadata["variable"], "C"},
}
# Scorers that give model text to Python's eval. Names, numbers and whitespace alone cannot call anything.
PYTHON_EVALED = {"binary_matrix", "n_queens", "spiral_matrix", "string_insertion"}
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_\s]*")

# Tasks that cannot work here, checked against reasoning-gym 0.1.25.
UNSUPPORTED = {
    "boxnet": "it has no single reference answer to check and demonstrate",
    "graph_color": "it has no single reference answer to check and demonstrate",
    "propositional_logic": "it has no single reference answer to check and demonstrate",
    "rubiks_cube": "it has no single reference answer to check and demonstrate",
    "rush_hour": "it has no single reference answer to check and demonstrate",
    "composite": "it mixes other tasks; use those tasks as separate environments with weights",
    "codeio": "it runs bundled programs with exec to make each problem; they print, open files and differ per run",
    "isomorphic_strings": "its problems change with PYTHONHASHSEED (set order), so runs cannot be reproduced",
    "polynomial_multiplication": "its problems change with PYTHONHASHSEED (set order), so runs cannot be reproduced",
    "ransom_note": "its problems change with PYTHONHASHSEED (set order), so runs cannot be reproduced",
    "gsm_symbolic": "its metadata holds Fractions, which the JSON row a problem travels in cannot carry",
    "arc_agi": "its scorer compares tuples that do not survive the JSON row a problem travels in",
    "rearc": "its scorer compares tuples that do not survive the JSON row a problem travels in",
}

# Higher levels take over 15 s for 3 problems or never finish (0.1.25); generation has no time bound.
MAX_LEVELS = {"jugs": 3, "number_sequence": 3, "zebra_puzzles": 5}


class ReasoningGymEnvironment(Environment):
    """One reasoning-gym task; `task_environment(task)` makes the subclass for each task."""

    task: str = ""  # reasoning-gym's dataset name, e.g. "basic_arithmetic"
    teacher_errors = "none: the teacher always gives reasoning-gym's reference answer"

    def __init__(self, answer_format: str | None = None):
        if not self.task:
            raise TypeError("reasoning_gym: use one task's environment, e.g. env.reasoning_gym:basic_arithmetic")
        super().__init__(answer_format)
        self._dataset_class, _ = DATASETS[self.task]
        self._scorers: dict[int, Any] = {}  # difficulty -> a dataset, only for its score_answer

    def generate(self, rng: random.Random, level: Any) -> Draft:
        failure = None
        for _ in range(MAX_DRAWS):
            config = dataclasses.replace(level, seed=rng.randrange(2**32), size=1)
            try:
                entry = self._dataset_class(config=config)[0]
            except (ValueError, AssertionError, RuntimeError) as error:  # "Failed to generate valid expression"
                failure = error
                continue
            if entry["answer"] is None:
                raise ValueError(f"{self.name}: reasoning-gym gave no reference answer; this task is not supported")
            # As JSON now, so the scorer sees the same metadata here and after a dataset row round trip.
            metadata = json.loads(json.dumps(entry["metadata"]))
            answer = str(entry["answer"])
            try:
                self._refuse_unsafe(answer, metadata)
            except AnswerError:
                continue  # a problem we could never score as solved
            return Draft(question=entry["question"], answer=answer, inputs={"metadata": metadata})
        reason = f"the last raised {failure!r}" if failure else "no reference answer passed the safety check"
        raise RuntimeError(f"{self.name}: no usable problem in {MAX_DRAWS} draws; {reason}")

    def score(self, answer: str, problem: Problem) -> bool:
        metadata = problem.inputs["metadata"]
        self._refuse_unsafe(answer, metadata)
        entry = {"question": problem.question, "answer": problem.answer, "metadata": metadata}
        try:
            value = self._scorer(problem.difficulty).score_answer(answer, entry)
        except MemoryError:
            raise  # the verifier worker reports it as such
        except Exception as error:  # reasoning-gym's scorer choking on model text, e.g. int("7 0")
            name = type(error).__name__
            raise AnswerError(f"reasoning-gym's {self.task} scorer could not read it ({name})") from None
        # Exactly 1.0, not >= 1.0: spell_backward sums 1/len per matching letter and can reach
        # 1.0000000000000002 for a wrong answer.
        return value == 1.0

    def _scorer(self, difficulty: int) -> Any:
        if difficulty not in self._scorers:
            config = dataclasses.replace(self._level(difficulty), seed=0, size=1)
            self._scorers[difficulty] = self._dataset_class(config=config)
        return self._scorers[difficulty]

    def _refuse_unsafe(self, answer: str, metadata: dict) -> None:
        """AnswerError unless `answer` is plain enough for the task's scorer to read without running it."""
        if self.task in SYMPY_PARSED:
            parse_math(answer, SYMPY_PARSED[self.task](metadata))
        elif self.task in PYTHON_EVALED and not _PLAIN_TEXT.fullmatch(answer):
            raise AnswerError("the answer may contain only letters, digits, '_' and whitespace")


@functools.cache
def task_environment(task: str) -> type[ReasoningGymEnvironment]:
    """The environment class for reasoning-gym's `task`; KeyError naming the closest task if unknown."""
    if task not in DATASETS:
        close = difflib.get_close_matches(task, supported_tasks(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(supported_tasks())})"
        raise KeyError(f"reasoning_gym: unknown task {task!r}{hint}")
    if task in UNSUPPORTED:
        raise KeyError(f"reasoning_gym: task {task!r} is not supported: {UNSUPPORTED[task]}")
    levels = _levels(task)
    if not levels:
        raise KeyError(f"reasoning_gym: task {task!r} is not supported: reasoning-gym rejects its own first level")
    attributes = {
        "name": PREFIX + task,
        "description": f"reasoning-gym's {task} task, checked by its own scorer.",
        "levels": levels,
        "task": task,
        # Named like the module attribute that returns it, so pickle and the registry find it again.
        "__module__": __name__,
        "__qualname__": task,
    }
    return type(task, (ReasoningGymEnvironment,), attributes)


def supported_tasks() -> list[str]:
    """Every reasoning-gym task that can be used here."""
    return sorted(set(DATASETS) - set(UNSUPPORTED))


def _levels(task: str) -> dict[int, Any]:
    """Difficulty k -> the task's configuration at curriculum level k - 1 (levels 1..k mixed)."""
    _, config_class = DATASETS[task]
    if task not in CURRICULA:
        return {1: config_class()}
    curriculum = create_curriculum(task)
    num_levels = max(len(attribute.levels) for attribute in curriculum.attributes.values())
    context = DefaultCurriculumContext(mode=RangeAttributeMode.INCLUSIVE)
    levels = {}
    for difficulty in range(1, min(num_levels, MAX_LEVELS.get(task, num_levels)) + 1):
        curriculum.set_global_level(difficulty - 1)
        try:
            config = curriculum.generate_configuration(context=context)
            if hasattr(config, "validate"):
                config.validate()
        except (AssertionError, ValueError):  # some curricula overshoot what their task accepts at the top
            break
        levels[difficulty] = config
    return levels


def __getattr__(attribute: str) -> type[ReasoningGymEnvironment]:
    """`env.reasoning_gym:<task>` resolves here.

    An unknown task raises KeyError, not AttributeError: the registry turns a
    missing attribute into a generic "not a subclass" message, and this one
    names the closest task.
    """
    if attribute.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
    return task_environment(attribute)
