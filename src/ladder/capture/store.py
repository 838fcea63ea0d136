"""The capture log: one row per exchange that passed the proxy, in the call log's SQLite file.

The ``calls`` table (ladder.log) holds what a Model saw; this ``exchanges`` table holds
what the proxy needs on top: the tag and metadata a call came with, the request body as
the client sent it (redacted unless --log-original), the answer, who answered it
(``upstream`` or ``student``), and for --shadow the pair id joining the two answers to
one request. Its migrations are named and forward-only like the call log's and are
recorded in the same ``_migrations`` table (names prefixed ``capture_``).

    exchanges
      id            chatcmpl-... of the answer (upstream's own id), or a new uuid
      ts            when the request arrived (unix seconds)
      tag           X-Ladder-Tag header, else metadata["tag"]; NULL when untagged
      metadata      JSON object (OpenAI's ``metadata`` field; ``input.NAME`` keys are template variables)
      served_by     upstream | student
      pair_id       shadow: the same value on the upstream row and the student row
      returned      1 when this answer went back to the client
      model         the model name the client asked for
      backend       who answered: the upstream base URL, or the local model name
      request       JSON body as logged (messages, response_format, sampling ...)
      response      the answer text of choice 0 ("" on error)
      status        HTTP status of the answer; error: its message
      prompt_tokens, completion_tokens, cached_tokens, ttft_ms, latency_ms
      redacted      1 when request/response hold placeholders instead of the originals
      task          the task directory whose student prompt answered (routed students)
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..log import log_path, migrate


def capture_m001_exchanges(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE exchanges (
            id TEXT PRIMARY KEY, ts REAL NOT NULL, tag TEXT, metadata TEXT,
            served_by TEXT NOT NULL, pair_id TEXT, returned INTEGER NOT NULL,
            model TEXT, backend TEXT, request TEXT NOT NULL, response TEXT NOT NULL,
            status INTEGER NOT NULL, error TEXT,
            prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER,
            ttft_ms REAL, latency_ms REAL, redacted INTEGER NOT NULL, task TEXT
        )""")
    db.execute("CREATE INDEX exchanges_tag_ts ON exchanges(tag, ts)")
    db.execute("CREATE INDEX exchanges_pair ON exchanges(pair_id)")


MIGRATIONS = [("capture_m001_exchanges", capture_m001_exchanges)]
_JSON = ("metadata", "request")


@dataclass
class Exchange:
    """One answered (or failed) request, as the proxy logs it."""

    served_by: str  # upstream | student
    model: str
    backend: str
    request: dict
    response: str = ""
    status: int = 200
    error: str | None = None
    tag: str | None = None
    metadata: dict = field(default_factory=dict)
    pair_id: str | None = None
    returned: bool = True
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    ttft_ms: float = 0.0
    latency_ms: float = 0.0
    redacted: bool = False
    task: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ts: float = field(default_factory=time.time)


class CaptureStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync per exchange; a crash loses at most the last ones
        self._lock = threading.Lock()
        with self._lock:
            migrate(self._db, MIGRATIONS)

    def add(self, ex: Exchange) -> None:
        row = asdict(ex)
        for key in _JSON:
            row[key] = json.dumps(row[key], ensure_ascii=False)
        row["returned"], row["redacted"] = int(ex.returned), int(ex.redacted)
        cols = list(row)
        with self._lock, self._db:
            self._db.execute(f"INSERT OR REPLACE INTO exchanges ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                             [row[c] for c in cols])

    def rows(self, tag: str | None = None, *, since: float | None = None, model: str | None = None,
             served_by: str | None = None) -> list[dict]:
        """Exchanges, oldest first, filtered by tag, time (unix seconds), asked-for model, side."""
        where, args = [], []
        for col, value in (("tag", tag), ("model", model), ("served_by", served_by)):
            if value is not None:
                where.append(f"{col} = ?")
                args.append(value)
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        sql = "SELECT * FROM exchanges" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY ts, rowid"
        with self._lock:
            cur = self._db.execute(sql, args)
            cols = [c[0] for c in cur.description]
            out = [dict(zip(cols, r)) for r in cur.fetchall()]
        for row in out:
            for key in _JSON:
                row[key] = json.loads(row[key]) if row[key] else {}
        return out

    def tags(self) -> dict[str, int]:
        """Tag -> exchanges logged (for error messages that list what exists)."""
        with self._lock:
            return dict(self._db.execute("SELECT COALESCE(tag, '(untagged)'), COUNT(*) FROM exchanges GROUP BY tag"))

    def close(self) -> None:
        self._db.close()


_stores: dict[Path, CaptureStore] = {}
_lock = threading.Lock()


def get_store(path: str | Path | None = None) -> CaptureStore:
    """The capture store in the call log's file (``ladder --log-db`` / $LADDER_LOG_DB / <data dir>/logs.db)."""
    path = Path(path) if path else log_path()
    with _lock:
        if path not in _stores:
            _stores[path] = CaptureStore(path)
        return _stores[path]
