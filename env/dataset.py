"""Problems from your own data: each row of a file, a saved folder or a hub dataset is one problem.

    environments:
      - name: dataset
        options: {source: data/problems.jsonl, question: question, answer: answer, checker: number}

    $ selfplay envs sample dataset --set source=data/problems.jsonl --set checker=integer

Options (docs/datasets.md has all of them, with examples): `source` (a .jsonl,
.json, .csv, .tsv or .parquet file, a folder written by `save_to_disk`, or a
hub id with `split` and `subset`), the columns (`question`, `answer`, and
optionally `id`, `difficulty`, `solution`, `extra_columns`), and the
`checker` that compares an answer with the reference (env/dataset_checkers.py).

Rows: a row without a question or an answer, with an answer the checker cannot
read (or whose reference does not verify in the answer format), without a
difficulty when there is a difficulty column, or repeating an earlier row's
key is left out, never scored; `data_report()` counts them with examples and
`summary()` says so in one line. An empty data set, a level without training
or held-out rows, a file that cannot be read or a column that does not exist
is a UserError.

Split: a row's key is its id, or its question when there is no id column;
`Environment.split_of` hashes the key, so a row is always in the same split
and train and eval never share a key. Problems: `problem(seed, index)` is row
number `index` of the level's rows in that split, in an order shuffled by the
seed (and by the pass, once `index` goes past the number of rows).

Levels: the values of the difficulty column, easiest first (numbers ascending,
or labels in the order `difficulty_order` gives, or ordered by a trailing
number like `Level 3`, or easy < medium < hard); `num_levels` buckets a
numeric column. Without a column, one level until `assign_levels` makes them
from measured solve rates (selfplay/dataset_levels.py measures them when the
option `levels_from_solve_rate` asks for it).

Teacher: the reference answer, after the row's reference solution when there
is a `solution` column. The data is read the first time an instance needs its
rows (not by the verifier workers, which only score answers) and kept per
process while the file is unchanged.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Mapping, Sequence

from env.dataset_checkers import make_checker
from env.dataset_files import read_records, stamp
from env.environment import Environment
from env.errors import AnswerError, UserError
from env.problem import SPLITS, Draft, Problem
from env.safe_math import describe

NAME = "dataset"
MAX_LEVELS = 20  # distinct values of a difficulty column; more need num_levels
KNOWN_ORDER = ("very easy", "easy", "medium", "hard", "very hard")  # labels ordered without difficulty_order
MAX_EXAMPLES = 3  # bad rows quoted in the report
_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")
_LOADED: dict[tuple, "_Data"] = {}  # (options, file stamp) -> rows and levels, shared by this process's instances


@dataclass(frozen=True)
class LevelsFromSolveRate:
    num_levels: int = 3  # levels to make, easiest first (fewer when rows tie: equal rates share a level)
    samples: int = 4  # completions per row from the initial policy
    max_rows: int | None = 256  # rows measured per split (train, eval); the rest are left out; None: all

    def __post_init__(self):
        if self.num_levels < 2:
            raise ValueError(f"{NAME}: levels_from_solve_rate.num_levels must be >= 2, got {self.num_levels}")
        if self.samples < 1:
            raise ValueError(f"{NAME}: levels_from_solve_rate.samples must be >= 1, got {self.samples}")
        if self.max_rows is not None and self.max_rows < 1:
            raise ValueError(f"{NAME}: levels_from_solve_rate.max_rows must be >= 1 or null, got {self.max_rows}")


@dataclass(frozen=True)
class Options:
    source: str | None = None  # .jsonl/.json/.csv/.tsv/.parquet file, save_to_disk folder, or hub id
    split: str = "train"  # split of a hub dataset or a saved DatasetDict (not the held-out split)
    subset: str | None = None  # a hub dataset's configuration, e.g. "main" for openai/gsm8k
    question: str = "question"  # column with the question shown to the model
    answer: str = "answer"  # column with the reference answer
    id: str | None = None  # column with a unique id: the key of the held-out split (default: the question)
    difficulty: str | None = None  # column with a level: numbers, or labels (see difficulty_order)
    solution: str | None = None  # column with a worked solution, demonstrated before the answer
    extra_columns: tuple[str, ...] = ()  # columns copied into Problem.inputs, for a plugin checker
    answer_after: str | None = None  # the answer is what follows the last occurrence of this marker ("####")
    checker: str = "number"  # integer, number, expression, exact, normalised, choice, or module:function
    rel_tol: float = 1e-6  # number: relative tolerance
    abs_tol: float = 0.0  # number: absolute tolerance
    symbols: tuple[str, ...] = ()  # expression: variables allowed besides the reference's own
    choices: str | None = None  # choice: the option letters, e.g. "ABCD" (default: any letter)
    difficulty_order: tuple[str, ...] = ()  # difficulty labels, easiest first
    num_levels: int | None = None  # bucket a numeric difficulty column into this many levels
    levels_from_solve_rate: LevelsFromSolveRate | None = None  # levels from the initial policy's solve rates
    answer_format: str | None = None  # tag (default), boxed, answer_line; last_number for numeric checkers
    eval_fraction: float = 0.1  # share of keys held out for evaluation
    name: str = NAME  # the environment's name in a campaign, to use two data sets side by side

    def __post_init__(self):
        if not self.source:
            raise ValueError(f"{NAME}: the option source is required: a .jsonl, .json, .csv, .tsv or .parquet file, "
                             "a folder written by save_to_disk, or a hub dataset id (e.g. --set source=data.jsonl)")
        if not 0.0 < self.eval_fraction < 1.0:
            raise ValueError(f"{NAME}: eval_fraction must be between 0 and 1, got {self.eval_fraction}")
        if self.rel_tol < 0 or self.abs_tol < 0:
            raise ValueError(f"{NAME}: rel_tol and abs_tol must be >= 0, got {self.rel_tol} and {self.abs_tol}")
        if not self.name.isidentifier():
            raise ValueError(f"{NAME}: name must be an identifier such as gsm8k, got {self.name!r}")
        if self.num_levels is not None and (self.num_levels < 1 or not self.difficulty):
            raise ValueError(f"{NAME}: num_levels buckets a numeric difficulty column: set difficulty, and num_levels >= 1")
        if self.difficulty and self.levels_from_solve_rate:
            raise ValueError(f"{NAME}: levels come from the difficulty column or from levels_from_solve_rate, not both")

    @property
    def columns(self) -> list[str]:
        named = [self.question, self.answer, self.id, self.difficulty, self.solution, *self.extra_columns]
        return [column for column in named if column]


@dataclass(frozen=True)
class Row:
    key: str  # the id, or the question: what the held-out split hashes
    question: str
    answer: str  # the reference, as the checker reads it
    inputs: dict[str, Any]  # where the row is ("line 12"), its id, solution and extra columns
    difficulty: Any = None  # the difficulty column's value


@dataclass(frozen=True)
class Level:
    label: str  # what the level holds, e.g. "hard" or "solve rate 0.25-0.50"
    train: tuple[int, ...]  # indices into the rows
    eval: tuple[int, ...]


@dataclass(frozen=True)
class DataReport:
    """What was read and what was left out, with a few examples."""

    name: str
    source: str
    num_rows: int  # records read
    num_train: int
    num_eval: int
    left_out: dict[str, int]  # reason -> rows
    examples: tuple[str, ...]  # e.g. "line 12: not an integer: '3 apples'"

    def summary(self) -> str:
        used = f"{self.num_train + self.num_eval} used ({self.num_train} train, {self.num_eval} held out)"
        if not self.left_out:
            return f"{self.name}: {self.source}: {self.num_rows} rows, {used}"
        reasons = ", ".join(f"{count} {reason}" for reason, count in self.left_out.items())
        return f"{self.name}: {self.source}: {self.num_rows} rows, {used}; left out {reasons} (e.g. {'; '.join(self.examples)})"


@dataclass(frozen=True)
class _Data:
    rows: tuple[Row, ...]
    levels: dict[int, Level]
    report: DataReport
    fingerprint: str  # of the rows' keys and answers


class _BadRow(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


class _LevelsFromData:
    """`DatasetEnvironment.levels`: read from the data when an instance first asks.

    The class shows one level, so `selfplay envs list` needs no data; a verifier worker
    only scores answers and never reads the data at all.
    """

    def __get__(self, instance: Any, owner: type) -> dict[int, Any]:
        if instance is None:
            return {1: "one level until the data says otherwise"}
        levels = dict(instance._data().levels)
        instance.__dict__["levels"] = levels  # the instance's own from now on; assign_levels replaces it
        return levels


class DatasetEnvironment(Environment):
    name = NAME
    description = "Rows of your own data file or hub dataset (--set source=...); levels from a column or solve rates."
    levels = _LevelsFromData()
    answer_formats = ("tag", "boxed", "answer_line", "last_number")  # narrowed to the checker's on each instance
    teacher_errors = "none: the teacher gives the reference answer, after the row's solution if there is one"
    required_options: ClassVar[tuple[str, ...]] = ("source",)  # `selfplay envs check` without names skips it

    def __init__(self, **options: Any):
        self._loaded: _Data | None = None  # read on first use, then fixed for this instance's lifetime
        self.options = _parse_options(options)
        self.name = self.options.name
        self.eval_fraction = self.options.eval_fraction
        self.checker = make_checker(self.options.checker, self.options.rel_tol, self.options.abs_tol,
                                    self.options.symbols, self.options.choices)
        self.answer_formats = self.checker.answer_formats
        if self.options.answer_format not in (None, *self.answer_formats):
            raise ValueError(f"{NAME}: answer_format must be one of {', '.join(self.answer_formats)} with checker "
                             f"{self.options.checker}, got {self.options.answer_format!r}")
        super().__init__(self.options.answer_format)
        self.levels_from_solve_rate = self.options.levels_from_solve_rate  # read by selfplay/dataset_levels.py
        self._orders: dict[tuple, list[int]] = {}  # (seed, difficulty, split, pass, count) -> shuffled positions

    # -- problems ---------------------------------------------------------------
    def problem(self, seed: int, index: int, difficulty: int = 1, split: str = "train") -> Problem:
        """Row `index` of the level's rows in `split`, in an order shuffled by seed; rebuilt identically on every call.

        No generator: the rows are the problems. Past the last row the next pass takes another order.
        """
        if split not in SPLITS:
            raise ValueError(f"{self.name}: split must be one of {SPLITS}, got {split!r}")
        level = self._level(difficulty)
        positions = level.train if split == "train" else level.eval
        rounds, position = divmod(index, len(positions))
        row = self._data().rows[positions[self._order(seed, difficulty, split, rounds, len(positions))[position]]]
        return self.from_draft(Draft(row.question, row.answer, row.key, row.inputs), difficulty, split, seed, index)

    def score(self, answer: str, problem: Problem):
        return self.checker.score(answer, problem)

    def demonstration(self, problem: Problem) -> str:
        """The row's reference solution followed by the answer, or the answer alone without a solution column."""
        solution = problem.inputs.get("solution")
        if not solution:
            return super().demonstration(problem)
        if self.verify(problem, solution).correct:  # it already ends with its answer in this format
            return solution
        return f"{solution.rstrip()}\n{self.answer_format.render(problem.answer)}"

    def row_count(self, difficulty: int, split: str) -> int:
        """Rows of a level in a split (problem indices below it are distinct rows)."""
        level = self._level(difficulty)
        return len(level.train if split == "train" else level.eval)

    def data_report(self) -> DataReport:
        return self._data().report

    def fingerprint(self) -> str:
        """A digest of every usable row's key and answer: it changes when the data does."""
        return self._data().fingerprint

    # -- levels from solve rates ---------------------------------------------------
    def assign_levels(self, solve_rate_by_key: Mapping[str, float], num_levels: int, min_held_out: int = 1) -> dict[int, Level]:
        """Levels 1..n by solve rate, the most often solved first; rows without a rate are left out.

        Levels hold about equal numbers of rows, but rows with the same rate stay together, so
        fewer levels come out when the rates allow no more (a policy that solves nothing gives
        one). A level without training rows or with fewer than `min_held_out` held-out rows (a
        campaign's eval.num_problems) joins the next one.
        """
        rows = self._data().rows
        rates = {i: solve_rate_by_key[row.key] for i, row in enumerate(rows) if row.key in solve_rate_by_key}
        if not rates:
            raise UserError(f"{self.name}: none of the {len(rows)} rows has a measured solve rate")
        level_of = quantile_levels({i: -rate for i, rate in rates.items()}, num_levels)  # high rate = easy
        groups: list[list[int]] = []
        for level in sorted(set(level_of.values())):
            members = [i for i, assigned in level_of.items() if assigned == level]
            if groups and not self._big_enough(rows, groups[-1], min_held_out):
                groups[-1] += members
            else:
                groups.append(members)
        if len(groups) > 1 and not self._big_enough(rows, groups[-1], min_held_out):
            groups[-2] += groups.pop()
        labels = {number: _rate_label([rates[i] for i in members]) for number, members in enumerate(groups, start=1)}
        level_of = {i: number for number, members in enumerate(groups, start=1) for i in members}
        self.levels = self._make_levels(rows, level_of, labels)
        self._orders.clear()
        return self.levels

    # -- internals ---------------------------------------------------------------
    def _data(self) -> _Data:
        """The rows and levels, read once per instance (a campaign's rows never change under it); another
        instance with the same options reuses them unless the file changed since."""
        if self._loaded is None:
            cache_key = (self.options, stamp(self.options.source))
            if cache_key not in _LOADED:
                if len(_LOADED) >= 8:
                    _LOADED.clear()
                _LOADED[cache_key] = self._load()
            self._loaded = _LOADED[cache_key]
        return self._loaded

    def _load(self) -> _Data:
        """Read the records, keep the good rows, count the others, and make the levels."""
        options = self.options
        records = read_records(options.source, options.columns, options.split, options.subset, self.name)
        rows: list[Row] = []
        left_out: Counter[str] = Counter()
        examples: dict[str, str] = {}  # reason -> its first example
        keys: set[str] = set()
        for where, record in records:
            try:
                row = self._row(where, record)
                if row.key in keys:
                    raise _BadRow("duplicate", f"the same {'id' if options.id else 'question'} as an earlier row")
            except _BadRow as bad:
                left_out[bad.reason] += 1
                examples.setdefault(bad.reason, f"{where}: {bad.detail or bad.reason}")
                continue
            keys.add(row.key)
            rows.append(row)
        level_of, labels = self._column_levels(rows, left_out, examples)
        kept = [rows[i] for i in sorted(level_of)]
        level_of = {new: level_of[old] for new, old in enumerate(sorted(level_of))}
        shown = tuple(list(examples.values())[:MAX_EXAMPLES])
        if not kept:
            report = DataReport(self.name, options.source, len(records), 0, 0, dict(left_out), shown)
            raise UserError(f"{report.summary()}; no usable rows")
        levels = self._make_levels(kept, level_of, labels)
        report = DataReport(self.name, options.source, len(records), sum(len(level.train) for level in levels.values()),
                            sum(len(level.eval) for level in levels.values()), dict(left_out), shown)
        digest = hashlib.sha256(json.dumps([[row.key, row.answer] for row in kept]).encode()).hexdigest()[:16]
        return _Data(tuple(kept), levels, report, digest)

    def _row(self, where: str, record: dict[str, Any] | str) -> Row:
        """One good row, or _BadRow with the reason."""
        options = self.options
        if isinstance(record, str):
            raise _BadRow("unreadable", record)
        question = _cell(record.get(options.question))
        if question is None:
            raise _BadRow("missing question")
        raw_answer = record.get(options.answer)
        if _cell(raw_answer) is None:
            raise _BadRow("missing answer")
        solution = _cell(record.get(options.solution)) if options.solution else None
        if options.answer_after is not None:
            before, marker, raw_answer = _cell(raw_answer).rpartition(options.answer_after)
            if not marker:
                raise _BadRow("unparsable answer", f"no {options.answer_after!r} in the answer")
            if options.solution == options.answer:
                solution = before.strip() or None
        try:
            answer = self.checker.reference(raw_answer)
        except AnswerError as error:
            raise _BadRow("unparsable answer", str(error)) from None
        inputs: dict[str, Any] = {"row": where}
        key = question
        if options.id:
            key = _cell(record.get(options.id))
            if key is None:
                raise _BadRow("missing id")
            inputs["id"] = key
        if solution:
            inputs["solution"] = solution
        inputs.update({column: record.get(column) for column in options.extra_columns})
        difficulty = record.get(options.difficulty) if options.difficulty else None
        if options.difficulty and _cell(difficulty) is None:
            raise _BadRow("missing difficulty")
        problem = self.from_draft(Draft(question, answer, key, inputs))
        verdict = self.verify(problem, self.reference_completion(problem))
        if not verdict.correct:
            raise _BadRow("unparsable answer", f"the reference {describe(answer)} does not verify in the "
                                               f"{self.answer_format.name} format ({verdict.reason})")
        return Row(key, question, answer, inputs, difficulty)

    def _column_levels(self, rows: list[Row], left_out: Counter, examples: dict) -> tuple[dict[int, int], dict[int, str]]:
        """Level of each row index from the difficulty column (one level without one), and each level's label."""
        if not self.options.difficulty:
            return {i: 1 for i in range(len(rows))}, {1: "all rows"}
        values = {i: row.difficulty for i, row in enumerate(rows)}
        numbers = {i: _number(value) for i, value in values.items()}
        if not self.options.difficulty_order and None not in numbers.values():
            if self.options.num_levels:
                level_of = quantile_levels(numbers, self.options.num_levels)
                return level_of, {level: _range_label([numbers[i] for i in level_of if level_of[i] == level])
                                  for level in set(level_of.values())}
            distinct = sorted(set(numbers.values()))
            if len(distinct) > MAX_LEVELS:
                raise UserError(f"{self.name}: the difficulty column {self.options.difficulty!r} has {len(distinct)} "
                                f"distinct values, more than {MAX_LEVELS} levels; set num_levels to bucket them")
            rank = {value: number for number, value in enumerate(distinct, start=1)}
            return {i: rank[value] for i, value in numbers.items()}, {rank[v]: _show(v) for v in distinct}
        labels = {i: str(value).strip() for i, value in values.items()}
        order = self._label_order(set(labels.values()))
        level_of = {}
        for i, label in labels.items():
            if label in order:
                level_of[i] = order.index(label) + 1
            else:
                left_out["difficulty not in difficulty_order"] += 1
                examples.setdefault("difficulty not in difficulty_order", f"{rows[i].inputs['row']}: {label!r}")
        used = sorted(set(level_of.values()))
        renumber = {old: new for new, old in enumerate(used, start=1)}  # labels no row uses make no level
        return {i: renumber[level] for i, level in level_of.items()}, {renumber[level]: order[level - 1] for level in used}

    def _label_order(self, labels: set[str]) -> list[str]:
        """Difficulty labels, easiest first: as difficulty_order says, by a trailing number, or easy < medium < hard."""
        if self.options.difficulty_order:
            return list(self.options.difficulty_order)
        numbers = {label: _TRAILING_NUMBER.search(label) for label in labels}
        if all(numbers.values()) and len({int(m.group(1)) for m in numbers.values()}) == len(labels):
            return sorted(labels, key=lambda label: int(numbers[label].group(1)))
        if all(label.casefold() in KNOWN_ORDER for label in labels):
            return sorted(labels, key=lambda label: KNOWN_ORDER.index(label.casefold()))
        shown = ", ".join(sorted(labels)[:6])
        raise UserError(f"{self.name}: cannot order the difficulty labels ({shown}); set difficulty_order to the labels, "
                        f"easiest first, e.g. --set 'difficulty_order=[{shown}]'")

    def _make_levels(self, rows: Sequence[Row], level_of: Mapping[int, int], labels: Mapping[int, str]) -> dict[int, Level]:
        """Levels from row index -> level number; UserError for a level without training or held-out rows."""
        levels = {}
        for number in sorted(set(level_of.values())):
            members = [i for i in sorted(level_of) if level_of[i] == number]
            train = tuple(i for i in members if self.split_of(rows[i].key) == "train")
            held_out = tuple(i for i in members if self.split_of(rows[i].key) == "eval")
            if not train or not held_out:
                missing = "training" if not train else "held-out"
                raise UserError(f"{self.name}: level {number} ({labels[number]}) has {_rows(len(members))} and no {missing} "
                                f"rows (eval_fraction {self.eval_fraction}); add rows, or change eval_fraction or the levels")
            levels[number] = Level(labels[number], train, held_out)
        return levels

    def _big_enough(self, rows: Sequence[Row], members: list[int], min_held_out: int) -> bool:
        """Whether a level of these rows has training rows and at least `min_held_out` held-out rows."""
        held_out = sum(self.split_of(rows[i].key) == "eval" for i in members)
        return 0 < held_out < len(members) and held_out >= min_held_out

    def _order(self, seed: int, difficulty: int, split: str, rounds: int, count: int) -> list[int]:
        key = (seed, difficulty, split, rounds, count)
        if key not in self._orders:
            if len(self._orders) >= 64:
                self._orders.clear()
            order = list(range(count))
            random.Random(f"{self.name}:{difficulty}:{split}:{seed}:{rounds}").shuffle(order)
            self._orders[key] = order
        return self._orders[key]


def quantile_levels(values: Mapping[int, float], num_levels: int) -> dict[int, int]:
    """Level 1..n of each item by ascending value: about equal counts, equal values always in one level."""
    counts = Counter(values.values())
    ordered = sorted(counts)
    boundaries, total = [], 0
    for value in ordered[:-1]:  # the count of items below each gap between distinct values
        total += counts[value]
        boundaries.append(total)
    cuts = sorted({min(boundaries, key=lambda b: abs(b - step * len(values) / num_levels))
                   for step in range(1, num_levels)}) if boundaries else []
    level_of_value, below = {}, 0
    for value in ordered:
        level_of_value[value] = 1 + sum(cut <= below for cut in cuts)
        below += counts[value]
    return {item: level_of_value[value] for item, value in values.items()}


# -- options ------------------------------------------------------------------------
def _parse_options(raw: Mapping[str, Any]) -> Options:
    """Options from a config or `--set`: unknown keys named with the closest one, values checked by type."""
    allowed = [f.name for f in fields(Options)]
    values = {}
    for key, value in raw.items():
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{NAME}: unknown option {key!r}{hint} (options: {', '.join(allowed)})")
        values[key] = _option_value(key, value)
    return Options(**values)


def _option_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in ("rel_tol", "abs_tol", "eval_fraction"):
        try:
            return float(value)  # YAML reads 1e-6 (no dot) as text
        except (TypeError, ValueError):
            raise ValueError(f"{NAME}: {key} must be a number, got {value!r}") from None
    if key == "num_levels":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{NAME}: num_levels must be an integer, got {value!r}")
        return value
    if key in ("extra_columns", "symbols", "difficulty_order"):
        if isinstance(value, str):
            return tuple(value.split()) if key == "symbols" else (value,)
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{NAME}: {key} must be a list, got {value!r}")
        return tuple(str(item) for item in value)
    if key == "levels_from_solve_rate":
        if not isinstance(value, Mapping):
            raise ValueError(f"{NAME}: levels_from_solve_rate must be a mapping such as "
                             f"{{num_levels: 3, samples: 4, max_rows: 256}}, got {value!r}")
        allowed = [f.name for f in fields(LevelsFromSolveRate)]
        unknown = [k for k in value if k not in allowed]
        if unknown:
            raise ValueError(f"{NAME}: levels_from_solve_rate: unknown key {unknown[0]!r} (keys: {', '.join(allowed)})")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value.values() if v is not None):
            raise ValueError(f"{NAME}: levels_from_solve_rate takes integers, got {dict(value)}")
        return LevelsFromSolveRate(**value)
    if not isinstance(value, str):
        raise ValueError(f"{NAME}: {key} must be text, got {value!r}")
    return value


# -- cells ------------------------------------------------------------------------------
def _cell(value: Any) -> str | None:
    """A cell as stripped text; None when it is missing (None, NaN or blank)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = value.strip() if isinstance(value, str) else str(value)
    return text or None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _show(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def _range_label(values: list[float]) -> str:
    low, high = min(values), max(values)
    return _show(low) if low == high else f"{_show(low)}-{_show(high)}"


def _rate_label(rates: list[float]) -> str:
    low, high = min(rates), max(rates)
    return f"solve rate {low:.2f}" if low == high else f"solve rate {low:.2f}-{high:.2f}"


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"
