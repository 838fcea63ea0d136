"""The call log: every model call, exactly as sent, in one SQLite file.

Where: ``$LADDER_LOG_DB`` if set, else ``<data dir>/logs.db`` where the data dir is
``$LADDER_HOME`` or the platform's user data directory. ``LADDER_LOG=0`` turns
logging off (tests of throughput use it). Schema changes are named, forward-only
migrations recorded in ``_migrations`` (the simonw/llm pattern): never edit one
that has shipped, append a new one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

import platformdirs


def data_dir() -> Path:
    path = Path(os.environ.get("LADDER_HOME") or platformdirs.user_data_dir("ladder"))
    path.mkdir(parents=True, exist_ok=True)
    return path


_chosen_path: Path | None = None  # set by the `ladder --log-db` option (use_log_path), not the environment


def use_log_path(path: str | Path | None) -> None:
    """Send this process's call log to ``path`` (None: back to the default)."""
    global _chosen_path
    _chosen_path = Path(path) if path else None


def log_path() -> Path:
    return _chosen_path or Path(os.environ.get("LADDER_LOG_DB") or data_dir() / "logs.db")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []


def migration(fn):
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_calls(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE calls (
            id TEXT PRIMARY KEY,
            ts REAL NOT NULL,
            model TEXT NOT NULL,
            messages TEXT NOT NULL,      -- JSON list of {role, content, ...}
            prompt TEXT,                 -- exact text the model saw (local backends)
            options TEXT NOT NULL,       -- JSON
            schema TEXT,                 -- JSON Schema or NULL
            tools TEXT,                  -- JSON or NULL
            response TEXT NOT NULL,
            tool_calls TEXT,
            prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER,
            ttft_ms REAL, latency_ms REAL,
            finish_reason TEXT,
            run_id TEXT
        )"""
    )
    db.execute("CREATE INDEX calls_ts ON calls(ts)")
    db.execute("CREATE INDEX calls_run ON calls(run_id)")


def migrate(db: sqlite3.Connection, migrations=None) -> list[str]:
    """Apply pending migrations in order; returns the names applied.
    ``migrations`` defaults to the call log's; other stores pass their own list."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in MIGRATIONS if migrations is None else migrations:
        if name in done:
            continue
        with db:
            fn(db)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
        applied.append(name)
    return applied


class CallLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        with self._lock:
            migrate(self._db)

    def add(self, model, request, response, run_id=None) -> None:
        row = (
            response.id, time.time(), model.name,
            json.dumps([m.model_dump(exclude_none=True) for m in request.messages], ensure_ascii=False),
            response.prompt,
            request.options.model_dump_json(),
            json.dumps(request.schema, ensure_ascii=False) if request.schema else None,
            json.dumps(request.tools, ensure_ascii=False) if request.tools else None,
            response.text,
            json.dumps(response.tool_calls, ensure_ascii=False) if response.tool_calls else None,
            response.prompt_tokens, response.completion_tokens, response.cached_tokens,
            response.ttft_s * 1000, response.latency_s * 1000, response.finish_reason, run_id,
        )
        with self._lock, self._db:
            self._db.execute(f"INSERT INTO calls VALUES ({','.join('?' * len(row))})", row)

    def latest(self, n: int = 10, run_id: str | None = None) -> list[dict]:
        where, args = ("WHERE run_id = ?", (run_id,)) if run_id else ("", ())
        with self._lock:
            cur = self._db.execute(f"SELECT * FROM calls {where} ORDER BY ts DESC LIMIT ?", (*args, n))
            cols = [c[0] for c in cur.description]
            rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        for row in rows:
            for key in ("messages", "options", "schema", "tools", "tool_calls"):
                if row[key]:
                    row[key] = json.loads(row[key])
        return rows

    def close(self) -> None:
        self._db.close()


_logs: dict[Path, CallLog] = {}
_logs_lock = threading.Lock()


def get_log(path: str | Path | None = None) -> CallLog:
    path = Path(path) if path else log_path()
    with _logs_lock:
        if path not in _logs:
            _logs[path] = CallLog(path)
        return _logs[path]


def log_call(model, request, response, run_id=None) -> None:
    if os.environ.get("LADDER_LOG", "1") == "0":
        return
    get_log().add(model, request, response, run_id=run_id)
