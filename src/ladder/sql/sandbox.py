"""The read-only sandbox: the only way a model's SQL touches a database.

A read-only connection (``mode=ro``; a ``.sql`` seed is loaded into memory instead), an
authorizer that allows only reading (SELECT, READ, FUNCTION, RECURSIVE — so every
write, ATTACH, PRAGMA and transaction is denied, whatever the text says), one statement
per call, a time limit (progress handler), a row cap and a 10 MB cap on any one value.
An app that writes (the expenses ledger) does so through its own typed code, never here.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

# Authorizer action codes a read-only query needs; everything else is denied.
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
            getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}


@dataclass
class Execution:
    """One query run in the sandbox: rows, or the error that stopped it."""

    sql: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    truncated: bool = False  # more rows than the cap
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class Sandbox:
    """Run untrusted SELECTs against one database; nothing it runs can write.

    ``db`` is a SQLite file (opened read-only) or a ``.sql`` script (loaded into a
    private in-memory database first, then locked the same way).
    """

    def __init__(self, db: str | Path, *, timeout_s: float = 2.0, max_rows: int = 200):
        self.db, self.timeout_s, self.max_rows = Path(db), timeout_s, max_rows
        if not self.db.is_file():
            raise ConfigError(f"Database {self.db} does not exist: give a SQLite file or a .sql seed "
                              "(build the demo one with `ladder sql demo-ledger FILE`).")
        if self.db.suffix == ".sql":
            self.conn = sqlite3.connect(":memory:", check_same_thread=False)
            self.conn.executescript(self.db.read_text(encoding="utf-8"))
        else:
            self.conn = sqlite3.connect(f"{self.db.resolve().as_uri()}?mode=ro", uri=True,
                                        check_same_thread=False)
        self.conn.set_authorizer(_authorize)
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 10_000_000)  # no 1 GB zeroblob() in memory
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)  # belt and braces: the authorizer denies ATTACH
        self._lock = threading.Lock()
        self._deadline = 0.0
        self.conn.set_progress_handler(lambda: 1 if time.monotonic() > self._deadline else 0, 2000)

    def run(self, sql: str) -> Execution:
        sql = strip_sql(sql)
        start = time.monotonic()
        with self._lock:
            self._deadline = start + self.timeout_s
            try:
                cur = self.conn.execute(sql)
                rows = cur.fetchmany(self.max_rows + 1)
                columns = [d[0] for d in cur.description or []]
                cur.close()
            except (sqlite3.Error, sqlite3.Warning) as e:
                msg = str(e)
                if "one statement" in msg:
                    msg = f"{msg} Send a single SELECT statement."
                elif "interrupted" in msg:
                    msg = f"the query ran longer than the {self.timeout_s:g} s limit; simplify it"
                elif "not authorized" in msg or "prohibited" in msg:
                    msg = f"{msg}: only read-only SELECT queries are allowed"
                return Execution(sql, error=msg, seconds=time.monotonic() - start)
            finally:
                if self.conn.in_transaction:
                    self.conn.rollback()
        return Execution(sql, columns, [tuple(r) for r in rows[: self.max_rows]],
                         len(rows) > self.max_rows, None, time.monotonic() - start)

    def describe(self, samples: int = 8) -> str:
        """The schema as CREATE statements, plus a few sample values per text column.
        Tables named '_...' are internal (an app's undo history) and left out."""
        with self._lock:
            self._deadline = time.monotonic() + 10 * self.timeout_s
            return self._describe(samples)

    def _describe(self, samples: int) -> str:
        parts = []
        tables = self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type='table' "
                                   "AND name NOT LIKE 'sqlite_%' AND substr(name, 1, 1) != '_' ORDER BY name").fetchall()
        for name, create in tables:
            parts.append(create.strip().rstrip(";") + ";")
            cols = self.conn.execute(f"SELECT * FROM {_ident(name)} LIMIT 0").description
            for (col, *_rest) in cols:
                q = (f"SELECT {_ident(col)}, COUNT(*) AS n FROM {_ident(name)} WHERE typeof({_ident(col)})='text' "
                     f"GROUP BY 1 ORDER BY n DESC, 1 LIMIT {samples + 1}")
                values = [v for v, _n in self.conn.execute(q).fetchall()]
                if not values:
                    continue
                if col == "date" or all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values):
                    lo, hi = self.conn.execute(f"SELECT MIN({_ident(col)}), MAX({_ident(col)}) FROM {_ident(name)}").fetchone()
                    parts.append(f"-- {name}.{col}: dates 'YYYY-MM-DD' from {lo} to {hi}")
                else:
                    more = ", ..." if len(values) > samples else ""
                    parts.append(f"-- {name}.{col} values: {', '.join(map(repr, values[:samples]))}{more}")
        return "\n".join(parts)

    def columns(self, table: str) -> list[str]:
        """Column names of ``table`` ([] when there is no such table)."""
        with self._lock:
            self._deadline = time.monotonic() + 10 * self.timeout_s
            exists = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
            if not exists:
                return []
            return [d[0] for d in self.conn.execute(f"SELECT * FROM {_ident(table)} LIMIT 0").description]

    def close(self) -> None:
        self.conn.close()


def _authorize(action, arg1, arg2, db_name, trigger):
    if action not in _ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def strip_sql(sql: str) -> str:
    """Model SQL -> one statement: code fences and a trailing ';' removed."""
    sql = re.sub(r"^```(?:sql)?\s*|\s*```$", "", sql.strip(), flags=re.I).strip()
    return sql[:-1].rstrip() if sql.endswith(";") else sql


@functools.lru_cache(maxsize=8)
def _cached_sandbox(path: str, mtime: float) -> Sandbox:
    return Sandbox(path)


def sandbox_for(db: str | Path) -> Sandbox:
    """A shared Sandbox per database file (rebuilt when the file changes)."""
    path = Path(db).resolve()
    if not path.is_file():
        raise ConfigError(f"Database {path} does not exist: give a SQLite file or a .sql seed.")
    return _cached_sandbox(str(path), path.stat().st_mtime)
