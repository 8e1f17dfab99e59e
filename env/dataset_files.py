"""Reading the rows of a user's data set: a local file, a `save_to_disk` folder, or a hub dataset.

    >>> records = read_records("data/problems.jsonl", columns=["question", "answer"])
    >>> records[0]
    ('line 1', {'question': 'What is 12 + 7?', 'answer': 19})

Each record comes with where it was (`line 12`, `row 12`), for messages about
bad rows. JSON Lines, JSON and CSV are read with the standard library, so a
CSV cell stays the text it is (`007` stays `007`, an empty cell is missing),
a JSON column may mix numbers and text, and no copy lands in the datasets
cache; parquet with pyarrow (the library behind `datasets`), reading only
the columns asked for; a folder written by `datasets.Dataset.save_to_disk`
and a hub id with `datasets` itself, imported only then. A file that cannot
be read and a column that does not exist are UserErrors, one line each, the
latter naming the columns that do exist.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Iterable

from env.errors import UserError

# (where it is, e.g. "line 12"; column -> value), or instead of the mapping why the record cannot be read
Record = tuple[str, "dict[str, Any] | str"]
FILE_TYPES = (".jsonl", ".json", ".csv", ".tsv", ".parquet")
MAX_COLUMNS_SHOWN = 20


def read_records(source: str, columns: Iterable[str], split: str = "train", subset: str | None = None,
                 label: str = "dataset") -> list[Record]:
    """Every record of `source`, which must have `columns`; `split` and `subset` only apply to hub datasets
    and saved DatasetDicts. `label` prefixes every message."""
    columns = list(dict.fromkeys(columns))
    path = Path(source).expanduser()
    if path.is_dir():
        return _read_saved(path, columns, split, f"{label}: {source}")
    suffix = path.suffix.lower()
    if path.is_file():
        if suffix not in FILE_TYPES:
            raise UserError(f"{label}: {source}: cannot read {suffix or 'a file without an extension'}; "
                            f"use {', '.join(FILE_TYPES)}, a folder written by save_to_disk, or a hub dataset id")
        reader = {".jsonl": _read_jsonl, ".json": _read_json, ".csv": _read_csv, ".tsv": _read_csv,
                  ".parquet": _read_parquet}[suffix]  # fmt: skip
        try:
            return reader(path, columns, f"{label}: {source}")
        except (OSError, UnicodeDecodeError) as error:
            raise UserError(f"{label}: cannot read {source} ({type(error).__name__}: {error})") from None
    if suffix in FILE_TYPES or source.startswith((".", "/", "~")) or source.count("/") > 1:
        raise UserError(f"{label}: no such file or folder: {source}")
    return _read_hub(source, columns, split, subset, f"{label}: {source}")


def stamp(source: str) -> tuple[int, int] | None:
    """(modification time, size) of a local file or folder, so an edited file is read again; None for a hub id."""
    path = Path(source).expanduser()
    if path.is_file():
        status = path.stat()
        return status.st_mtime_ns, status.st_size
    if path.is_dir():
        statuses = [Path(folder, name).stat() for folder, _, names in os.walk(path) for name in names]
        return max((s.st_mtime_ns for s in statuses), default=0), sum(s.st_size for s in statuses)
    return None


def check_columns(present: Iterable[str], wanted: list[str], where: str) -> None:
    """UserError naming the first missing column and the columns there are."""
    present = list(present)
    missing = [column for column in wanted if column not in present]
    if missing:
        shown = ", ".join(present[:MAX_COLUMNS_SHOWN]) + (", ..." if len(present) > MAX_COLUMNS_SHOWN else "")
        raise UserError(f"{where}: no column {missing[0]!r}; the columns are: {shown or 'none'}")


# -- local files -------------------------------------------------------------------
def _read_jsonl(path: Path, columns: list[str], where: str) -> list[Record]:
    records, seen = [], {}
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                row = _json_object(line)
                records.append((f"line {number}", row))
                if isinstance(row, dict):
                    seen.update(dict.fromkeys(row))
    check_columns(seen, columns, where)
    return records


def _read_json(path: Path, columns: list[str], where: str) -> list[Record]:
    """A list of objects; a file of one object per line is read as JSON Lines, whatever its extension."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":  # several values: JSON Lines saved as .json
            return _read_jsonl(path, columns, where)
        raise UserError(f"{where}: not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(data, list):
        keys = f" with keys {', '.join(list(data)[:5])}" if isinstance(data, dict) else ""
        raise UserError(f"{where}: expected a list of objects, found a {type(data).__name__}{keys}")
    records = [(f"item {number}", item if isinstance(item, dict) else _not_an_object(item))
               for number, item in enumerate(data, start=1)]
    check_columns(dict.fromkeys(key for _, item in records if isinstance(item, dict) for key in item), columns, where)
    return records


def _read_csv(path: Path, columns: list[str], where: str) -> list[Record]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        check_columns(reader.fieldnames or [], columns, where)
        return [(f"line {reader.line_num}", {key: (value or None) for key, value in row.items()}) for row in reader]


def _read_parquet(path: Path, columns: list[str], where: str) -> list[Record]:
    import pyarrow
    import pyarrow.parquet

    try:
        schema = pyarrow.parquet.read_schema(path)
        check_columns(schema.names, columns, where)
        table = pyarrow.parquet.read_table(path, columns=columns)
    except pyarrow.ArrowException as error:
        raise UserError(f"{where}: not a readable parquet file ({error})") from None
    return [(f"row {number}", row) for number, row in enumerate(table.to_pylist(), start=1)]


# -- datasets ------------------------------------------------------------------------
def _read_saved(path: Path, columns: list[str], split: str, where: str) -> list[Record]:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as error:
        raise UserError(f"{where}: not a folder written by datasets' save_to_disk ({error})") from None
    return _dataset_records(_split(loaded, split, where), columns, where)


def _read_hub(source: str, columns: list[str], split: str, subset: str | None, where: str) -> list[Record]:
    import datasets

    try:
        loaded = datasets.load_dataset(source, subset, split=split)
    except Exception as error:  # offline, unknown id, unknown split or subset: datasets raises many types
        message = " ".join(str(error).split())[:300]
        raise UserError(f"{where}: cannot load it as a hub dataset ({type(error).__name__}: {message})") from None
    return _dataset_records(loaded, columns, where)


def _split(loaded: Any, split: str, where: str) -> Any:
    """One split of a DatasetDict (a Dataset is returned as it is)."""
    if not hasattr(loaded, "keys"):
        return loaded
    if split not in loaded:
        raise UserError(f"{where}: no split {split!r}; the splits are: {', '.join(loaded.keys())} (option split)")
    return loaded[split]


def _dataset_records(dataset: Any, columns: list[str], where: str) -> list[Record]:
    check_columns(dataset.column_names, columns, where)
    rows = dataset.select_columns(columns).to_list()
    return [(f"row {number}", row) for number, row in enumerate(rows, start=1)]


def _json_object(line: str) -> dict[str, Any] | str:
    """One JSON Lines record, or why the line is not one."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not valid JSON ({error.msg})"
    return value if isinstance(value, dict) else _not_an_object(value)


def _not_an_object(value: Any) -> str:
    return f"not a JSON object: {json.dumps(value)[:40]}"
