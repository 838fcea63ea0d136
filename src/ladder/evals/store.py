"""The runs database: one row per run, one record per item, in SQLite.

Runs live in ``$LADDER_RUNS_DB`` or ``<data dir>/runs.db``. Schema changes are named,
forward-only migrations (``RUN_MIGRATIONS``), as in the call log.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

from ..log import data_dir, migrate


def runs_path() -> Path:
    return Path(os.environ.get("LADDER_RUNS_DB") or data_dir() / "runs.db")


def _m001_runs(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE runs (
        id TEXT PRIMARY KEY, ts REAL, task TEXT, rung TEXT, model TEXT, data TEXT,
        n INTEGER, seed INTEGER, summary TEXT)""")
    db.execute("""CREATE TABLE records (
        run_id TEXT REFERENCES runs(id), idx INTEGER, source TEXT,
        input TEXT, expected TEXT, output TEXT, text TEXT,
        messages TEXT,          -- exact final messages sent (JSON)
        prompt TEXT,            -- exact prompt text of the final call, when known
        score TEXT,             -- {"fields": {...}, "exact": bool, "valid": bool}
        prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER,
        ttft_ms REAL, latency_ms REAL, retries INTEGER, error TEXT,
        PRIMARY KEY (run_id, idx))""")


def _m002_record_model(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE records ADD COLUMN model TEXT")  # the model that answered (students differ)


def _m003_record_failures(db: sqlite3.Connection) -> None:
    # an item whose rung raised is a result: kept with its error, retried once on --resume
    db.execute("ALTER TABLE records ADD COLUMN failed INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE records ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1")


def _m004_record_fixed(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE records ADD COLUMN fixed TEXT")  # JSON list: problems the task's fixes resolved


RUN_MIGRATIONS = [("m001_runs", _m001_runs), ("m002_record_model", _m002_record_model),
                  ("m003_record_failures", _m003_record_failures), ("m004_record_fixed", _m004_record_fixed)]


class RunStore:
    """The SQLite store of runs: one record per item (input, prompt, output, score, tokens, latency)."""
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else runs_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.lock = threading.Lock()
        migrate(self.db, RUN_MIGRATIONS)

    def start(self, run_id, task, rung, model, data, n, seed) -> None:
        with self.lock, self.db:
            self.db.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,NULL)",
                            (run_id, time.time(), task, rung, model, data, n, seed))

    def add(self, run_id: str, idx: int, rec: dict) -> None:
        j = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, idx, rec["source"], j(rec["input"]), j(rec["expected"]), j(rec["output"]),
                 rec["text"], j(rec["messages"]), rec["prompt"], j(rec["score"]), rec["prompt_tokens"],
                 rec["completion_tokens"], rec["cached_tokens"], rec["ttft_ms"], rec["latency_ms"],
                 rec["retries"], rec["error"], rec.get("model"), int(bool(rec.get("failed"))),
                 rec.get("attempts", 1), j(rec.get("fixed") or [])))

    def finish(self, run_id: str, summary: dict) -> None:
        with self.lock, self.db:
            self.db.execute("UPDATE runs SET summary = ? WHERE id = ?", (json.dumps(summary, ensure_ascii=False), run_id))

    def records(self, run_id: str) -> list[dict]:
        cur = self.db.execute("SELECT * FROM records WHERE run_id = ? ORDER BY idx", (run_id,))
        cols = [c[0] for c in cur.description]
        out = []
        for row in cur.fetchall():
            rec = dict(zip(cols, row))
            for k in ("input", "expected", "output", "messages", "score", "fixed"):
                rec[k] = json.loads(rec[k]) if rec[k] is not None else None
            rec["failed"] = bool(rec["failed"])
            out.append(rec)
        return out

    def latest_run(self, task: str, rung: str, model: str, data: str, n: int, seed: int) -> str | None:
        """The id of the newest run with exactly these settings, if any."""
        row = self.db.execute("SELECT id FROM runs WHERE task=? AND rung=? AND model=? "
                              "AND data=? AND n=? AND seed=? ORDER BY ts DESC LIMIT 1",
                              (task, rung, model, data, n, seed)).fetchone()
        return row[0] if row else None

    def runs(self, task: str | None = None, limit: int = 20) -> list[dict]:
        where, args = ("WHERE task = ?", (task,)) if task else ("", ())
        cur = self.db.execute(f"SELECT id, ts, task, rung, model, data, n, summary FROM runs {where} "
                              "ORDER BY ts DESC LIMIT ?", (*args, limit))
        cols = [c[0] for c in cur.description]
        return [{**dict(zip(cols, r)), "summary": json.loads(r[-1]) if r[-1] else None} for r in cur.fetchall()]
