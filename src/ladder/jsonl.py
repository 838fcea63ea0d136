"""Reading small JSONL files of records, with errors that name the file and the line."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import ConfigError, DatasetError


def read_records(path: str | Path, required: set[str], optional: set[str] = frozenset()) -> list[dict]:
    """One JSON object per non-blank line, each with the ``required`` keys and no keys
    beyond ``required | optional``; otherwise a DatasetError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path} does not exist: check the path.")
    shape = "{" + ", ".join([f'"{k}"' for k in sorted(required)] + [f'"{k}"?' for k in sorted(optional)]) + "}"
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(path, n, f"not valid JSON ({e.msg}); each line must be {shape}") from None
        if not isinstance(row, dict) or not required <= set(row):
            missing = sorted(required - set(row)) if isinstance(row, dict) else sorted(required)
            raise DatasetError(path, n, f"missing {missing}; each line must be {shape}")
        unknown = set(row) - required - set(optional)
        if unknown:
            raise DatasetError(path, n, f"unknown key(s) {sorted(unknown)}; each line must be {shape}")
        rows.append(row)
    return rows
