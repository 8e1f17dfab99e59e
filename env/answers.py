"""Where a completion puts its final answer, and how to pull it out again.

Each environment picks one answer format (configurable per environment in a
campaign). A format knows the instruction added to the prompt, how a correct
demonstration writes the answer, and how to extract the answer from a model's
completion. A completion that offers several different final answers gets
none: extraction raises AnswerError, so it scores 0.

    >>> ANSWER_FORMATS["tag"].extract("I think <answer>42</answer>")
    '42'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from env.errors import AnswerError

MAX_COMPLETION_CHARS = 20_000  # longer completions are not searched at all

_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_ANSWER_LINE = re.compile(r"^[ \t]*answer[ \t]*:[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_BOXED = "\\boxed{"


@dataclass(frozen=True)
class AnswerFormat:
    """One way of marking the final answer in a completion."""

    name: str
    instruction: str  # appended to the question in the prompt
    render: Callable[[str], str]  # the answer as a demonstration writes it
    _find_all: Callable[[str], list[tuple[str, int]]]  # (answer, end offset) for each answer offered

    def extract(self, completion: str) -> str:
        """The single final answer in `completion`; AnswerError if none, empty or several differ."""
        candidates = self._candidates(completion)
        distinct = {answer for answer, _ in candidates}
        if len(distinct) > 1:
            shown = ", ".join(repr(a[:20]) for a in sorted(distinct)[:3])
            raise AnswerError(f"several different final answers ({shown})")
        answer = candidates[-1][0]
        if not answer:
            raise AnswerError("the answer is empty")
        return answer

    def is_well_formatted(self, completion: str) -> bool:
        """True when exactly one answer is given, in this format, at the very end of the completion."""
        try:
            candidates = self._candidates(completion)
        except AnswerError:
            return False
        answer, end = candidates[-1]
        return len(candidates) == 1 and bool(answer) and not completion[end:].strip()

    def _candidates(self, completion: str) -> list[tuple[str, int]]:
        if not isinstance(completion, str):
            raise AnswerError(f"completion is {type(completion).__name__}, not text")
        if len(completion) > MAX_COMPLETION_CHARS:
            raise AnswerError(f"completion too long ({len(completion)} characters, at most {MAX_COMPLETION_CHARS})")
        candidates = self._find_all(completion)
        if not candidates:
            raise AnswerError(f"no answer in the {self.name!r} format ({self.instruction})")
        return candidates


def _find_tags(completion: str) -> list[tuple[str, int]]:
    return [(match.group(1).strip(), match.end()) for match in _TAG.finditer(completion)]


def _find_answer_lines(completion: str) -> list[tuple[str, int]]:
    return [(match.group(1).strip(), match.end()) for match in _ANSWER_LINE.finditer(completion)]


def _find_last_number(completion: str) -> list[tuple[str, int]]:
    last = None
    for last in _NUMBER.finditer(completion):
        pass
    return [] if last is None else [(last.group(0), last.end())]


def _find_boxed(completion: str) -> list[tuple[str, int]]:
    """Contents of every \\boxed{...}, matching nested braces."""
    found = []
    start = completion.find(_BOXED)
    while start != -1:
        depth, position = 1, start + len(_BOXED)
        while position < len(completion) and depth:
            depth += {"{": 1, "}": -1}.get(completion[position], 0)
            position += 1
        if depth:
            raise AnswerError("unbalanced braces in \\boxed{...}")
        found.append((completion[start + len(_BOXED) : position - 1].strip(), position))
        start = completion.find(_BOXED, position)
    return found


ANSWER_FORMATS: dict[str, AnswerFormat] = {
    "tag": AnswerFormat("tag", "Answer in <answer></answer>.", lambda a: f"<answer>{a}</answer>", _find_tags),
    "boxed": AnswerFormat("boxed", "Put the final answer in \\boxed{}.", lambda a: f"\\boxed{{{a}}}", _find_boxed),
    "answer_line": AnswerFormat(
        "answer_line", "End with a line 'Answer: <answer>'.", lambda a: f"Answer: {a}", _find_answer_lines
    ),
    "last_number": AnswerFormat("last_number", "End with the final number.", lambda a: a, _find_last_number),
}


def answer_format(name: str) -> AnswerFormat:
    """Look up an answer format by name; KeyError naming the known formats otherwise."""
    if name not in ANSWER_FORMATS:
        raise KeyError(f"answer_format: unknown format {name!r}; choose one of {', '.join(ANSWER_FORMATS)}")
    return ANSWER_FORMATS[name]
