"""The workbench's JSON: what this machine has measured, read-only.

    GET /v1/workbench/tasks               bundled tasks + any task seen in a run or a climb
    GET /v1/workbench/climbs              each task's last climb (<data dir>/climbs/TASK.json)
    GET /v1/workbench/runs?task=&limit=   runs, newest first (the runs database)
    GET /v1/workbench/runs/{id}?offset=&limit=   one run and its records (input, exact
                                          prompt and messages, output, expected, score)
    GET /v1/workbench/runs/{id}/calls     the call log's calls made for the run
    GET /v1/workbench/students            <data dir>/students/NAME: registration, savings.json

Where: the runs database is ``ladder.evals.store.runs_path()``, the call log
``ladder.log.log_path()``, climbs and students under ``ladder.log.data_dir()``, all
resolved on each request. Both databases are opened read-only (``mode=ro``), not
through RunStore/CallLog: those create and migrate the file, and a page view must
never write, nor create an empty database in a fresh data dir. The queries mirror
RunStore.runs/records and CallLog.latest (the same columns, JSON decoded the same way).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

from .errors import ApiError

MAX_RECORDS = 500  # per page of a run's records


def _ro(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to ``path``, or None when there is no such file."""
    if not path.is_file():
        return None
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _query(path: Path, sql: str, args: tuple = (), json_cols: tuple = ()) -> list[dict]:
    conn = _ro(path)
    if conn is None:
        return []
    with closing(conn):
        try:
            cur = conn.execute(sql, args)
        except sqlite3.OperationalError:  # a file without that table yet
            return []
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    for row in rows:
        for key in json_cols:
            if row.get(key):
                try:
                    row[key] = json.loads(row[key])
                except json.JSONDecodeError:
                    pass  # shown as stored
    return rows


def _paths() -> dict[str, Path]:
    from ..evals.store import runs_path
    from ..log import data_dir, log_path

    home = data_dir()
    return {"runs": runs_path(), "log": log_path(), "climbs": home / "climbs", "students": home / "students"}


def climbs() -> list[dict]:
    out = []
    folder = _paths()["climbs"]
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            out.append({"task": path.stem, "path": str(path), "error": f"unreadable: {e}"})
            continue
        out.append({"task": path.stem, "path": str(path), "ts": stored.get("ts"),
                    "recommendation": stored.get("recommendation") or {}, "rows": stored.get("rows") or []})
    return sorted(out, key=lambda c: -(c.get("ts") or 0))


def runs(task: str | None = None, limit: int = 50) -> list[dict]:
    where, args = ("WHERE task = ?", (task,)) if task else ("", ())
    rows = _query(_paths()["runs"], f"SELECT runs.id, ts, task, rung, model, data, n, summary, "
                  f"(SELECT COUNT(*) FROM records WHERE run_id = runs.id) AS records FROM runs {where} "
                  "ORDER BY ts DESC LIMIT ?", (*args, limit), json_cols=("summary",))
    return rows


def run(run_id: str, offset: int = 0, limit: int = 100) -> dict:
    path = _paths()["runs"]
    found = _query(path, "SELECT * FROM runs WHERE id = ?", (run_id,), json_cols=("summary",))
    if not found:
        raise ApiError(404, f"No run {run_id!r} in {path} (GET /v1/workbench/runs lists them).", code="not_found")
    records = _query(path, "SELECT * FROM records WHERE run_id = ? ORDER BY idx LIMIT ? OFFSET ?",
                     (run_id, limit, offset), json_cols=("input", "expected", "output", "messages", "score"))
    total = _query(path, "SELECT COUNT(*) AS n FROM records WHERE run_id = ?", (run_id,))[0]["n"]
    return {"object": "run", "run": found[0], "records": records, "offset": offset, "total": total}


def calls(run_id: str, limit: int = 200) -> list[dict]:
    return _query(_paths()["log"], "SELECT * FROM calls WHERE run_id = ? ORDER BY ts LIMIT ?", (run_id, limit),
                  json_cols=("messages", "options", "schema", "tools", "tool_calls"))


def students() -> list[dict]:
    from ..models import registered

    folder = _paths()["students"]
    entries = registered()
    names = {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
    names |= {n for n, e in entries.items() if str(e.get("path", "")).startswith(str(folder))}
    out = []
    for name in sorted(names):
        home = folder / name
        savings = None
        if (home / "savings.json").is_file():
            try:
                savings = json.loads((home / "savings.json").read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as e:
                savings = {"error": f"unreadable savings.json: {e}"}
            else:
                savings["table"] = _savings_table(savings)
        files = sorted(p.name for p in home.iterdir()) if home.is_dir() else []
        out.append({"name": name, "path": str(home), "registered": entries.get(name), "savings": savings,
                    "files": files})
    return out


def _savings_table(savings: dict) -> dict | None:
    """The savings report's own table (ladder.distill.report.savings_table): head + rows."""
    from ..distill.report import savings_table

    teacher, student, extra = savings.get("teacher"), savings.get("student"), savings.get("extra") or []
    if not (teacher and student):
        return None
    try:
        rows = savings_table(teacher, student, extra)
    except (KeyError, TypeError, ValueError):  # a report from another version: shown as raw JSON
        return None
    head = ["metric", f"teacher: {teacher.get('rung')} on {teacher.get('model')}", f"student: {student.get('model')}",
            "student gain", *[f"{e.get('rung')} ({e.get('model')})" for e in extra]]
    return {"head": head, "rows": rows}


def tasks() -> list[dict]:
    from ..tasks import bundled_tasks_dir, load_task

    counts = Counter(r["task"] for r in runs(limit=10_000))
    climbed = {c["task"] for c in climbs()}
    seen = set(counts) | climbed
    out = []
    root = bundled_tasks_dir()
    for path in sorted(p for p in root.iterdir() if (p / "task.yaml").is_file()):
        try:
            task = load_task(path)
        except Exception as e:  # noqa: BLE001 — a broken task file is listed with its error, not a 500
            out.append({"name": path.name, "path": str(path), "error": str(e)})
            continue
        out.append({"name": task.name, "path": str(path), "instructions": task.instructions,
                    "inputs": task.input_fields, "outputs": task.output_fields,
                    "metric": getattr(task.metric, "type", ""), "bundled": True})
        seen.discard(task.name)
    out += [{"name": n, "path": None, "bundled": False} for n in sorted(seen)]
    for t in out:
        t["runs"], t["climbed"] = counts.get(t["name"], 0), t["name"] in climbed
    return out


def mount(app, server, guarded) -> None:
    # plain ``def`` routes: FastAPI runs them in its thread pool (SQLite and file reads)
    @app.get("/v1/workbench/tasks", dependencies=guarded)
    def list_tasks() -> dict:
        return {"object": "list", "data": tasks()}

    @app.get("/v1/workbench/climbs", dependencies=guarded)
    def list_climbs() -> dict:
        return {"object": "list", "data": climbs()}

    @app.get("/v1/workbench/runs", dependencies=guarded)
    def list_runs(task: str | None = None, limit: int = 50) -> dict:
        return {"object": "list", "data": runs(task, max(1, min(limit, 1000))), "db": str(_paths()["runs"])}

    @app.get("/v1/workbench/runs/{run_id}", dependencies=guarded)
    def get_run(run_id: str, offset: int = 0, limit: int = 100) -> dict:
        if offset < 0 or not 1 <= limit <= MAX_RECORDS:
            raise ApiError(400, f"offset must be >= 0 and limit 1 to {MAX_RECORDS}.", "limit")
        return run(run_id, offset, limit)

    @app.get("/v1/workbench/runs/{run_id}/calls", dependencies=guarded)
    def run_calls(run_id: str) -> dict:
        return {"object": "list", "data": calls(run_id), "log": str(_paths()["log"])}

    @app.get("/v1/workbench/students", dependencies=guarded)
    def list_students() -> dict:
        return {"object": "list", "data": students()}
