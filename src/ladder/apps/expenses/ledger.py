"""The ledger store: one SQLite file, the only code that writes to it, with undo history.

Each write is one transaction and leaves a row in ``_history`` (what to restore), so
undo survives a restart. ``demo_ledger`` builds the bundled demo ledger
(examples/ledger/seed.sql, 146 expenses) into a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import sqlite3
import time
from pathlib import Path
from typing import IO

from ...agents import Tool
from ...errors import ConfigError
from ...tasks import bundled_tasks_dir
from .schema import CATEGORIES, CREATE, FIELDS, Category, CorrectableField


class Ledger:
    """One SQLite ledger file, and the only code that writes to it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.conn = sqlite3.connect(self.path)
        self.conn.row_factory = sqlite3.Row
        with self.conn:
            self.conn.executescript(CREATE)

    def record(self, date: str, amount: float, currency: str, category: Category,
               merchant: str | None = None, note: str = "") -> dict:
        """Add one expense.

        Args:
            date: YYYY-MM-DD
            amount: the amount paid, > 0
            currency: ISO 4217 code, e.g. TWD
            category: one of the ledger's categories
            merchant: the shop or service, if named
            note: the sentence it came from
        """
        _check_date(date)
        if amount <= 0:
            raise ConfigError(f"amount must be > 0, not {amount}")
        with self.conn:
            cur = self.conn.execute(
                f"INSERT INTO expenses ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})",
                (date, amount, currency.upper(), category, merchant, note))
            self._history("record", cur.lastrowid, None)
        return self.get(cur.lastrowid)

    def correct(self, field: CorrectableField, value: str, expense_id: int | None = None) -> dict:
        """Change one field of an expense (the last one recorded, unless expense_id is given).

        Args:
            field: which field to change
            value: the new value, as text
            expense_id: the expense to change (default: the last one recorded or corrected)
        """
        target = expense_id or self.last_id()
        if target is None:
            raise ConfigError("There is no expense to correct yet: record one first.")
        before = self.get(target)
        new: object = value
        if field == "amount":
            try:
                new = float(str(value).replace(",", ""))
            except ValueError:
                raise ConfigError(f"amount must be a number, not {value!r}") from None
            if not math.isfinite(new) or new <= 0:
                raise ConfigError(f"amount must be > 0, not {value}")
        elif field == "date":
            _check_date(value)
        elif field == "currency":
            new = str(value).strip().upper()
            if not re.fullmatch(r"[A-Z]{3}", new):
                raise ConfigError(f"currency must be a 3-letter ISO 4217 code such as TWD, not {value!r}")
        elif field == "merchant":
            new = str(value).strip() or None  # cleared: no merchant
            if new and len(new) > 60:
                raise ConfigError(f"merchant must be at most 60 characters, not {len(new)}")
        elif field == "category" and value not in CATEGORIES:
            raise ConfigError(f"category must be one of {', '.join(CATEGORIES)}; not {value!r}")
        with self.conn:
            self.conn.execute(f"UPDATE expenses SET {field} = ? WHERE id = ?", (new, target))
            self._history("correct", target, before)
        return self.get(target)

    def undo(self) -> dict:
        """Undo the last record or correction."""
        row = self.conn.execute("SELECT * FROM _history ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            raise ConfigError("Nothing to undo.")
        with self.conn:
            if row["action"] == "record":
                gone = self.get(row["expense_id"])
                self.conn.execute("DELETE FROM expenses WHERE id = ?", (row["expense_id"],))
                result = {"undid": "record", "expense": gone}
            else:
                before = json.loads(row["before"])
                self.conn.execute(f"UPDATE expenses SET {', '.join(f'{f} = ?' for f in FIELDS)} WHERE id = ?",
                                  (*[before[f] for f in FIELDS], row["expense_id"]))
                result = {"undid": "correct", "expense": before}
            self.conn.execute("DELETE FROM _history WHERE id = ?", (row["id"],))
        return result

    def _history(self, action: str, expense_id: int, before: dict | None) -> None:
        self.conn.execute("INSERT INTO _history (action, expense_id, before, ts) VALUES (?,?,?,?)",
                          (action, expense_id, json.dumps(before, ensure_ascii=False) if before else None, time.time()))

    def get(self, expense_id: int) -> dict:
        row = self.conn.execute("SELECT * FROM expenses WHERE id = ?", (expense_id,)).fetchone()
        if row is None:
            raise ConfigError(f"No expense #{expense_id}.")
        return dict(row)

    def last_id(self) -> int | None:
        row = self.conn.execute("SELECT expense_id FROM _history ORDER BY id DESC LIMIT 1").fetchone()
        if row and self.conn.execute("SELECT 1 FROM expenses WHERE id = ?", (row[0],)).fetchone():
            return row[0]
        row = self.conn.execute("SELECT MAX(id) FROM expenses").fetchone()
        return row[0]

    def rows(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM expenses ORDER BY date, id")]

    def export_csv(self, out: str | Path | IO[str], rows: list[dict] | None = None) -> int:
        """Write every expense (or the given ``rows``, e.g. one month's) as CSV, to a path
        or an open text file; returns the row count."""
        rows = self.rows() if rows is None else rows
        handle = open(out, "w", newline="", encoding="utf-8") if isinstance(out, (str, Path)) else out
        try:
            writer = csv.DictWriter(handle, fieldnames=["id", *FIELDS])
            writer.writeheader()
            writer.writerows(rows)
        finally:
            if handle is not out:
                handle.close()
        return len(rows)

    def tools(self) -> list[Tool]:
        """The only writers, as agent tools."""
        return [Tool.from_function(self.record), Tool.from_function(self.correct), Tool.from_function(self.undo)]

    def close(self) -> None:
        self.conn.close()


def _check_date(value: str) -> None:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(f"date must be YYYY-MM-DD, not {value!r}") from None


def seed_path() -> Path:
    """The demo ledger as SQL text (examples/ledger/seed.sql)."""
    return bundled_tasks_dir() / "ledger" / "seed.sql"


def demo_ledger(path: str | Path) -> Path:
    """Build the bundled demo ledger into a new SQLite file at ``path``."""
    path = Path(path)
    if path.exists():
        raise ConfigError(f"{path} already exists: pick a new file name (the demo ledger is never written over a file).")
    conn = sqlite3.connect(path)
    conn.executescript("BEGIN;\n" + seed_path().read_text(encoding="utf-8") + "\nCOMMIT;")  # one fsync, not 146
    conn.close()
    return path
