"""Where a completion puts its final answer, and how to pull it out again.

Each environment picks one answer format (configurable per environment in a
campaign). A format knows the instruction added to the prompt, how a correct
demonstration writes the answer, and how to extract the answer from a model's
completion. A completion that offers several different final answers gets
none: extraction raises AnswerError, so it scores 0.

    >>> ANSWER_FORMATS["tag"].extract("I think <answer>42</answer>")
    '42'

`last_number` reads the last number the way a careful grader would, and refuses
(AnswerError) a last number that does not stand alone: an exponent (2^10, 1e5,
10\u00b2), an operand of an operator written around it (7-5, 3/4, 2 \u00d7 10), an
argument of a function or LaTeX command (sqrt(16), \\frac{1}{2}, x_5; not
\\boxed{} or \\text{}), a piece of a malformed number (.5, 1_000, 1.2.3, 0,042,
12,34). A sign attached to it is read, written with any of `MINUS_SIGNS`
(`\u221242` is -42). docs/plugins.md gives the rule of every format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from env.errors import AnswerError
from env.safe_math import AMBIGUOUS_DASHES, GROUPED_DIGITS, MINUS_SIGNS

MAX_COMPLETION_CHARS = 20_000  # longer completions are not searched at all

_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_ANSWER_LINE = re.compile(r"^[ \t]*answer[ \t]*:[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_BOXED = "\\boxed{"
_LOOK_BACK_CHARS = 200  # how far before the last number its context is searched
# A run of ASCII digits with any commas and one decimal part: the grouping is checked afterwards,
# so that 0,042 is refused instead of being read as 042.
_NUMBER = re.compile(r"[0-9]+(?:,[0-9]+)*(?:\.[0-9]+)?")
_VALID_NUMBER = re.compile(rf"(?:{GROUPED_DIGITS}|[0-9]+)(?:\.[0-9]+)?")
_OPERATORS = "+*/^\u00d7\u00f7\u00b7\u22c5" + MINUS_SIGNS  # a number right after one of these is an operand
_POWER_AFTER = re.compile(r"\s*(?:\^|\*\*(?=\s*[-+({0-9]))")  # 10^k, 10**k (not **bold**): the number is a base
_FRACTION_AFTER = re.compile(r"\s*[/\u00f7\u2044]\s*[\w(\[{\\]")  # 5/x: the number is a numerator
_EMPHASIS = ("**", "__", "*", "_")  # Markdown around a number: **42** is 42
_TIMES_X_BEFORE = re.compile(r"[0-9)\]]\s*[xX]$")  # 5 x 10: x as a times sign
# LaTeX commands that only show or space a number; any other command before it takes it as an argument.
_WRAPPERS = ("boxed", "text", "textbf", "mathbf", "mathrm", "fbox", "quad", "qquad", "left", "displaystyle")
# \\cmd, then at most one argument ({...} or one character), then open brackets: the number is an argument.
_LATEX_ARGUMENT = re.compile(r"\\([A-Za-z]+)\s*(?:\{[^{}]*\}|[0-9A-Za-z])?\s*[\[{(]*\s*$")


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
    """The last number, if it stands alone (see the module docstring); AnswerError if it does not."""
    last = None
    for last in _NUMBER.finditer(completion):
        pass
    if last is None:
        return []
    digits = last.group(0)
    if not _VALID_NUMBER.fullmatch(digits):
        raise AnswerError(f"the last number {digits[:20]!r} has invalid digit grouping (write 1,234 or 1234)")
    marker = _emphasis(completion, last.start(), last.end())
    # Checked without the emphasis: the number moves left by the opening marker's length.
    signed = _signed_start(completion, last.start())
    text = completion[: signed - len(marker)] + completion[signed : last.end()] + completion[last.end() + len(marker) :]
    start, end = last.start() - len(marker), last.end() - len(marker)
    sign_start = _check_before(text, start, digits)
    _check_after(text, end, digits)
    negative = sign_start < start and text[sign_start] != "+"
    return [(("-" if negative else "") + digits, last.end() + len(marker))]


def _emphasis(text: str, start: int, end: int) -> str:
    """The Markdown emphasis marker around the number (**42**, *-42*), or ""."""
    signed = _signed_start(text, start)
    return next((m for m in _EMPHASIS if text.endswith(m, 0, signed) and text.startswith(m, end)), "")


def _signed_start(text: str, start: int) -> int:
    return start - 1 if _char(text, start - 1) in MINUS_SIGNS + "+" else start


def _check_before(text: str, start: int, digits: str) -> int:
    """Where the number begins, counting an attached sign; AnswerError if what precedes makes it a part."""
    before = _char(text, start - 1)
    if before in "eE" and (_char(text, start - 2).isdigit() or _char(text, start - 2) == "."):
        raise AnswerError(f"the last number {digits[:20]!r} is the exponent of a number in e-notation")
    if before.isnumeric() or before in "._" or (before == "," and _char(text, start - 2).isnumeric()):
        raise AnswerError(f"the last number {digits[:20]!r} is a piece of a malformed number ({before!r} before it)")
    if before.isalpha() or before in AMBIGUOUS_DASHES:
        raise AnswerError(f"the last number {digits[:20]!r} is glued to {before!r}; write it apart")
    sign_start = start
    if before in MINUS_SIGNS + "+":
        sign_start = start - 1
        operand = _char(text, sign_start - 1)
        if operand.isalnum() or operand in ")]}":  # 7-5, x+5, 1e-5: an operator, not a sign
            raise AnswerError(f"the last number {digits[:20]!r} is an operand of {before!r}; give the result alone")
    preceding = text[:sign_start].rstrip()
    if preceding.endswith("**") or _char(preceding, len(preceding) - 1) in _OPERATORS:
        raise AnswerError(f"the last number {digits[:20]!r} is an operand or exponent (after {preceding[-1]!r})")
    if _TIMES_X_BEFORE.search(preceding[-_LOOK_BACK_CHARS:]):
        raise AnswerError(f"the last number {digits[:20]!r} is a factor of a product written with 'x'")
    _check_brackets_before(text[:sign_start], digits)
    return sign_start


def _check_brackets_before(preceding: str, digits: str) -> None:
    """2^{10}, \\frac{1}{2}, \\frac 1 2, sqrt(16): the number may belong to what precedes it."""
    command = _LATEX_ARGUMENT.search(preceding[-_LOOK_BACK_CHARS:])  # a bounded tail: no quadratic search
    if command is not None:
        if command.group(1) in _WRAPPERS:
            return
        raise AnswerError(f"the last number {digits[:20]!r} is an argument of \\{command.group(1)}")
    opened = preceding.rstrip().rstrip("([{").rstrip()
    if len(opened) == len(preceding.rstrip()):
        return  # no bracket right before the number
    last = _char(opened, len(opened) - 1)
    if opened.endswith("**") or last in "^_}":
        raise AnswerError(f"the last number {digits[:20]!r} is an exponent, index or LaTeX argument")
    if last.isalpha() and preceding[len(opened)] not in " \t\n":
        raise AnswerError(f"the last number {digits[:20]!r} is an argument of a function; give the value")


def _check_after(text: str, end: int, digits: str) -> None:
    """A power or a fraction bar after the number, or a digit of another script, makes it a part."""
    if _char(text, end).isnumeric():  # 10\u00b2, or a digit of another script
        raise AnswerError(f"the last number {digits[:20]!r} is followed by {text[end]!r}; write it with ASCII digits")
    if _POWER_AFTER.match(text, end) or _FRACTION_AFTER.match(text, end):
        raise AnswerError(f"the last number {digits[:20]!r} is the base of a power or a numerator")


def _char(text: str, index: int) -> str:
    """text[index], or a space outside the text (a space never joins a number to anything)."""
    return text[index] if 0 <= index < len(text) else " "


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
