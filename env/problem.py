"""A problem with an automatically checkable answer, and the verdict on one completion.

A `Problem` is plain data: it can travel as a row of a `datasets.Dataset`
(through TRL into the reward functions) and be rebuilt from that row.

    >>> problem = get_environment("arithmetic").problem(seed=0, index=3)
    >>> Problem.from_row(problem.to_row()) == problem
    True
"""

from __future__ import annotations

import hashlib
import json
import traceback as tracebacks
from dataclasses import asdict, dataclass, field
from typing import Any

SPLITS = ("train", "eval")


@dataclass(frozen=True)
class Draft:
    """What an environment's `generate` returns; the base class completes it into a Problem.

    Attributes:
        question: the task as shown to the model, without any answer-format instruction.
        answer: the reference answer as text, computed exactly (integers, sympy), never with eval.
        key: canonical form of the problem; two problems with the same key are the same problem.
            Train and eval are split by this key. Defaults to the question.
        inputs: JSON-serializable data that `score` or the teacher needs (operands, target, ...).
    """

    question: str
    answer: str
    key: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    env: str  # the environment's registered name
    difficulty: int  # level number, 1 = easiest
    split: str  # "train" or "eval"
    seed: int
    index: int
    question: str
    prompt: str  # question plus the answer-format instruction
    answer: str  # reference answer
    key: str  # canonical form, see Draft.key
    inputs: dict[str, Any] = field(default_factory=dict, compare=True)

    @property
    def id(self) -> str:
        """Stable id: the same problem gets the same id whatever seed or index produced it."""
        digest = hashlib.sha256(f"{self.env}|{self.key}".encode()).hexdigest()[:12]
        return f"{self.env}-{self.difficulty}-{digest}"

    def to_row(self) -> dict[str, Any]:
        """Columns for a datasets.Dataset; `inputs` as JSON so every environment shares one schema."""
        row = asdict(self)
        row["inputs"] = json.dumps(self.inputs, sort_keys=True)
        row["problem_id"] = self.id
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Problem":
        fields = {name: row[name] for name in cls.__dataclass_fields__}
        if isinstance(fields["inputs"], str):
            fields["inputs"] = json.loads(fields["inputs"])
        return cls(**fields)


MAX_REASON_CHARS = 200  # an error's reason is its type and message, cut to one line of this length
MAX_TRACEBACK_CHARS = 4_000  # the end of a traceback, where the failing line is


@dataclass(frozen=True)
class Verdict:
    """The score of one completion and, when it is not full marks, why.

    `error` tells a verifier that raised (a bug in a checker, ours or a plugin's: scored 0 so
    training goes on, and counted apart by the verifier pool) from a wrong or unreadable answer.
    """

    score: float  # in [0, 1]
    reason: str = ""  # empty when correct; otherwise what was wrong, e.g. "several different final answers"
    error: bool = False  # True when verification raised instead of judging the answer
    traceback: str = field(default="", compare=False, repr=False)  # where it raised, when error

    @property
    def correct(self) -> bool:
        return self.score >= 1.0

    @classmethod
    def from_exception(cls, error: BaseException) -> "Verdict":
        """Score 0, flagged as an error, with the exception's type and message (one line, cut) as the reason."""
        try:
            message = str(error)
        except Exception:  # a message that cannot be built (e.g. it prints a 5,000-digit integer)
            message = "<message could not be printed>"
        reason = f"verifier raised {type(error).__name__}: {' '.join(message.split())}"
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[: MAX_REASON_CHARS - 3] + "..."
        trace = "".join(tracebacks.format_exception(type(error), error, error.__traceback__))
        return cls(0.0, reason, error=True, traceback=trace[-MAX_TRACEBACK_CHARS:])
