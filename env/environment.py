"""The environment contract: generate problems at a difficulty, check answers.

An environment is one small class. Set `name`, `description` and `levels`
(difficulty number -> a frozen config of your own), and write two methods:

    class ReverseWords(Environment):
        name = "reverse_words"
        description = "Reverse the order of the words in a sentence."
        levels = {1: 3, 2: 6, 3: 12}            # number of words per level

        def generate(self, rng, level):
            words = [rng.choice(WORDS) for _ in range(level)]
            return Draft(question="Reverse: " + " ".join(words), answer=" ".join(reversed(words)))

        def score(self, answer, problem):
            return answer.split() == problem.answer.split()

Everything else comes from this base class: deterministic random-access
problems (`problem(seed, index)` builds its own RNG from name, difficulty,
split, seed and index, so any problem can be rebuilt alone), a held-out eval
split disjoint from training by the problem's canonical key, prompts with the
answer-format instruction, answer extraction, datasets, and demonstrations by a
(possibly systematically wrong) teacher for pretraining.
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from env.answers import AnswerFormat, answer_format
from env.errors import AnswerError, TooFewProblems
from env.problem import SPLITS, Draft, Problem, Verdict

if TYPE_CHECKING:
    import datasets

MAX_SPLIT_ATTEMPTS = 1_000  # draws per index to land in the requested split
EVAL_DRAWS_PER_PROBLEM = 50  # draws per eval problem to find distinct held-out problems


class Environment:
    """Base class of every environment; see the module docstring for a complete example."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""  # one line, shown by `selfplay envs list`
    levels: ClassVar[Mapping[int, Any]] = {}  # difficulty (1 = easiest) -> level config
    default_answer_format: ClassVar[str] = "tag"
    # Formats whose extracted text `score` can read; "last_number" only suits numeric answers.
    answer_formats: ClassVar[tuple[str, ...]] = ("tag", "boxed", "answer_line")
    eval_fraction: ClassVar[float] = 0.1  # share of the canonical key space held out for evaluation
    teacher_errors: ClassVar[str] = "none: the teacher always gives the reference answer"
    default_teacher_error_rate: ClassVar[float] = 0.0  # share of problems the teacher gets wrong

    def __init__(self, answer_format: str | None = None, teacher_error_rate: float | None = None):
        check_class_attributes(type(self))
        rate = self.default_teacher_error_rate if teacher_error_rate is None else teacher_error_rate
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{self.name}: teacher_error_rate must be in [0, 1], got {rate}")
        self.teacher_error_rate = rate  # read by teacher_answer, e.g. through teacher_errs()
        chosen = answer_format or self.default_answer_format
        if chosen not in self.answer_formats:
            raise ValueError(
                f"{self.name}: answer_format must be one of {', '.join(self.answer_formats)}, got {chosen!r}"
            )
        self.answer_format: AnswerFormat = _lookup_format(self.name, chosen)

    # -- what a subclass writes ---------------------------------------------
    def generate(self, rng: random.Random, level: Any) -> Draft:
        """A new problem drawn with `rng` (the only source of randomness) at this level's config."""
        raise NotImplementedError(f"{type(self).__name__} must implement generate(rng, level)")

    def score(self, answer: str, problem: Problem) -> bool | float | Verdict:
        """Whether the extracted `answer` solves `problem`: a bool, a score in [0, 1], or a Verdict with a reason.

        Raise AnswerError for an answer that cannot be read; never eval it.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement score(answer, problem)")

    def teacher_answer(self, problem: Problem) -> str:
        """The answer the pretraining teacher demonstrates; override to make systematic mistakes."""
        return problem.answer

    # -- problems -------------------------------------------------------------
    @property
    def difficulties(self) -> list[int]:
        return sorted(self.levels)

    def problem(self, seed: int, index: int, difficulty: int = 1, split: str = "train") -> Problem:
        """Problem number `index` of (seed, difficulty, split), rebuilt identically on every call."""
        level = self._level(difficulty)
        if split not in SPLITS:
            raise ValueError(f"{self.name}: split must be one of {SPLITS}, got {split!r}")
        for attempt in range(MAX_SPLIT_ATTEMPTS):
            # A string seed is hashed with SHA-512 by `random`: stable across runs and
            # machines, and seed 1/index 2 never collides with seed 2/index 1.
            rng = random.Random(f"{self.name}:{difficulty}:{split}:{seed}:{index}:{attempt}")
            draft = self.generate(rng, level)
            if not isinstance(draft, Draft):
                raise TypeError(f"{self.name}: generate() must return env.Draft, got {type(draft).__name__}")
            key = draft.key if draft.key is not None else draft.question
            if self.split_of(key) == split:
                return self.from_draft(draft, difficulty, split, seed, index)
        raise RuntimeError(
            f"{self.name}: no {split} problem at difficulty {difficulty} after {MAX_SPLIT_ATTEMPTS} draws; "
            "the level's problem space is too small for a held-out split"
        )

    def problems(self, count: int, seed: int, difficulty: int = 1, split: str = "train") -> list[Problem]:
        """`count` problems. Eval problems are distinct, so pass@1 is not weighted by duplicates."""
        if split == "train":
            return [self.problem(seed, index, difficulty, split) for index in range(count)]
        chosen: dict[str, Problem] = {}
        for index in range(count * EVAL_DRAWS_PER_PROBLEM):
            problem = self.problem(seed, index, difficulty, split)
            chosen.setdefault(problem.key, problem)
            if len(chosen) == count:
                return list(chosen.values())
        raise TooFewProblems(  # a setting to lower, not a bug: a UserError, so a ValueError too
            f"{self.name}: difficulty {difficulty} has only about {len(chosen)} distinct held-out problems, "
            f"{count} were asked for; ask for fewer"
        )

    def dataset(self, count: int, seed: int, difficulty: int = 1, split: str = "train") -> "datasets.Dataset":
        """The problems as a datasets.Dataset, one row per problem (see Problem.to_row)."""
        import datasets  # imported here: plugins that never build datasets need not pay for it

        rows = [problem.to_row() for problem in self.problems(count, seed, difficulty, split)]
        return datasets.Dataset.from_list(rows)

    def split_of(self, key: str) -> str:
        """'eval' for the held-out share of canonical keys, 'train' for the rest; fixed per key."""
        digest = hashlib.sha256(f"{self.name}|{key}".encode()).digest()
        return "eval" if int.from_bytes(digest[:8], "big") / 2**64 < self.eval_fraction else "train"

    # -- answers --------------------------------------------------------------
    def verify(self, problem: Problem, completion: str) -> Verdict:
        """Score a completion: extract the answer in this environment's format, then `score` it.

        Never raises: the completion is untrusted, and one bad completion must not stop a campaign.
        An unreadable answer (AnswerError) scores 0 with the reason; running out of memory scores 0
        like a timeout. Any other exception is a bug in a checker (ours or a plugin's): it scores 0
        too, but the Verdict has `error=True`, the exception as its reason and the traceback, so the
        verifier pool counts it apart from wrong answers and a campaign can stop on a high error rate.
        """
        try:
            answer = self.answer_format.extract(completion)
            result = self.score(answer, problem)
            if isinstance(result, Verdict):
                value, reason = result.score, result.reason
            else:
                value, reason = float(result), ""
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{self.name}: score() must return a value in [0, 1], got {result!r}")
        except AnswerError as error:
            return Verdict(0.0, str(error))
        except MemoryError:  # a resource bound, like a timeout: the answer was too big to check
            return Verdict(0.0, "verification ran out of memory")
        except Exception as error:
            return Verdict.from_exception(error)
        return Verdict(value, "" if value >= 1.0 else reason or "wrong answer")

    def demonstration(self, problem: Problem) -> str:
        """The completion the teacher writes for `problem`, in this environment's answer format."""
        return self.answer_format.render(self.teacher_answer(problem))

    def reference_completion(self, problem: Problem) -> str:
        """A completion giving the reference answer: it must always verify with score 1."""
        return self.answer_format.render(problem.answer)

    def teacher_errs(self, problem: Problem) -> bool:
        """Whether the teacher gets `problem` wrong: fixed per problem, true for `teacher_error_rate` of them."""
        return self.rng_for(problem, "teacher").random() < self.teacher_error_rate

    def expected_teacher_error_rate(self, difficulty: int) -> float | None:
        """Share of problems at `difficulty` the teacher gets wrong, which `selfplay envs check` measures.

        Override it when the teacher errs by a rule rather than by `teacher_errs`;
        None means no declared rate, and the check is skipped.
        """
        return self.teacher_error_rate

    def rng_for(self, problem: Problem, purpose: str) -> random.Random:
        """A random stream fixed per problem and purpose, e.g. whether the teacher forgets a carry."""
        return random.Random(f"{self.name}:{purpose}:{problem.key}")

    def from_draft(self, draft: Draft, difficulty: int = 1, split: str = "train", seed: int = 0, index: int = 0) -> Problem:
        """A Problem from a hand-written Draft (handy in tests); `problem()` uses it for generated ones."""
        key = draft.key if draft.key is not None else draft.question
        prompt = f"{draft.question} {self.answer_format.instruction}"
        return Problem(
            env=self.name,
            difficulty=difficulty,
            split=split,
            seed=seed,
            index=index,
            question=draft.question,
            prompt=prompt,
            answer=str(draft.answer),
            key=key,
            inputs=dict(draft.inputs),
        )

    # -- internals --------------------------------------------------------------
    def _level(self, difficulty: int) -> Any:
        if difficulty not in self.levels:
            raise ValueError(f"{self.name}: difficulty must be one of {self.difficulties}, got {difficulty!r}")
        return self.levels[difficulty]


def _lookup_format(env_name: str, name: str) -> AnswerFormat:
    try:
        return answer_format(name)
    except KeyError as error:
        raise ValueError(f"{env_name}: {error.args[0]}") from None


def check_class_attributes(cls: type) -> None:
    """Catch a plugin's missing declarations at construction, with the attribute to fix."""
    label = cls.__name__
    if not isinstance(cls.name, str) or not cls.name.isidentifier():
        raise TypeError(f"{label}: `name` must be a non-empty identifier string, got {cls.name!r}")
    if not cls.levels or not all(isinstance(level, int) and level >= 1 for level in cls.levels):
        raise TypeError(f"{cls.name}: `levels` must map difficulty numbers 1, 2, ... to level configs")
    if not 0.0 < cls.eval_fraction < 1.0:
        raise TypeError(f"{cls.name}: `eval_fraction` must be between 0 and 1, got {cls.eval_fraction!r}")
