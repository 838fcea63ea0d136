"""Read examples for `ladder init`: a .csv/.tsv or .jsonl file as flat, typed rows.

A bad line is an error naming the file and line and saying how to fix it. JSONL lines
already in the task format ({"input": {...}, "expected": ...}) are flattened to the
input fields plus an "expected" column, marked so inference keeps that shape.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DatasetError

MIN_ROWS = 5
TASK_FORMAT = "__task_format__"  # marks a row read from a task-format line
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")

def read_rows(path: str | Path) -> list[dict]:
    """The examples of a .csv/.tsv or .jsonl file as flat rows; a bad line is an error
    naming the file and line. CSV cells are typed (numbers, true/false; empty = null)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path} does not exist: give a CSV or JSONL file of examples.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise DatasetError(path, line, "is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in a spreadsheet)") from None
    if not text.strip():
        raise ConfigError(f"{path} is empty: it needs a header line and at least {MIN_ROWS} example rows.")
    suffix = path.suffix.lower()
    if suffix == ".json" and text.lstrip().startswith("["):  # one JSON array of objects
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise DatasetError(path, e.lineno, f"not valid JSON ({e.msg} at column {e.colno})") from None
        rows = _read_jsonl(path, "\n".join(json.dumps(x, ensure_ascii=False) for x in items))
    elif suffix in (".jsonl", ".ndjson", ".json"):
        rows = _read_jsonl(path, text)
    elif suffix in (".csv", ".tsv", ".txt"):
        rows = _read_csv(path, text, "\t" if suffix == ".tsv" else None)
    else:
        raise ConfigError(f"{path}: unknown file type {suffix!r}; use a .csv, .tsv, .jsonl or .json file.")
    if len(rows) < MIN_ROWS:
        raise ConfigError(f"{path} has {len(rows)} example(s); `ladder init` needs at least {MIN_ROWS} "
                          "to split into train, dev and test (a few dozen give meaningful numbers).")
    return rows


def _read_jsonl(path: Path, text: str) -> list[dict]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(path, n, f"not valid JSON ({e.msg} at column {e.colno}); "
                               'each line must be one JSON object, e.g. {"text": "...", "label": "..."}') from None
        if not isinstance(row, dict) or not row:
            raise DatasetError(path, n, 'each line must be a non-empty JSON object, e.g. {"text": "...", "label": "..."}')
        if set(row) <= {"input", "expected"} and isinstance(row.get("input"), dict):
            # Already the task format: flatten, marking the output so inference keeps it.
            if "expected" not in row:
                raise DatasetError(path, n, 'has "input" but no "expected": add the labelled output')
            clash = set(row["input"]) & {"expected"}
            if clash:
                raise DatasetError(path, n, 'an input field may not be called "expected" in the task format')
            row = {**row["input"], "expected": row["expected"], TASK_FORMAT: True}
        rows.append(row)
    if rows and any(TASK_FORMAT in r for r in rows) != all(TASK_FORMAT in r for r in rows):
        raise ConfigError(f'{path}: mixes task-format lines ({{"input": ..., "expected": ...}}) with flat '
                          "ones; use one shape for every line.")
    return rows


def _read_csv(path: Path, text: str, delimiter: str | None) -> list[dict]:
    if delimiter is None:  # the header names hold no delimiter: count them there
        first = text.lstrip("\r\n").splitlines()[0]
        delimiter = max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        body = [(reader.line_num, cells) for cells in reader]
    except csv.Error as e:
        raise DatasetError(path, reader.line_num, f"cannot parse CSV ({e}); quote cells that hold the delimiter") from None
    if not all(header) or len(set(header)) != len(header):
        raise DatasetError(path, 1, f"the header needs distinct, non-empty column names (got {header})")
    rows = []
    for n, cells in body:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise DatasetError(path, n, f"{len(cells)} cells for {len(header)} columns {header}; "
                               f'quote cells that contain {delimiter!r} ("a, b")')
        rows.append(dict(zip(header, cells)))
    # Type a column only when every cell reads as the same type: "12" and "abc" in
    # one column are both strings, not a number and a string.
    for h in header:
        typed = [_cell(r[h]) for r in rows]
        kinds = {type(v) for v in typed if v is not None}
        same = len(kinds) <= 1 or kinds == {int, float}
        for r, v in zip(rows, typed):
            r[h] = v if same or v is None else r[h]
    return rows


def _cell(s: str) -> Any:
    """A CSV cell as JSON: empty -> None, true/false -> bool, a number written plainly
    (no leading zeros, so zip codes and ids stay strings) -> int/float, else the string."""
    t = s.strip()
    if not t:
        return None
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    if _NUMBER.fullmatch(t):
        return float(t) if any(c in t for c in ".eE") else int(t)
    return s


