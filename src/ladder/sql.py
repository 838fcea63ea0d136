"""NL-to-SQL with execution feedback, over a read-only sandbox.

    question ─▶ schema + sample values ─▶ model writes {"sql": ...} ─▶ Sandbox.run
                     ▲                                                   │
                     └──── error / no rows / only NULL, fed back ◀───────┘  (up to `retries`)

The **Sandbox** is the only way a model's SQL touches a database: a read-only
connection (``mode=ro``; a ``.sql`` seed is loaded into memory instead), an authorizer
that allows only reading (SELECT, READ, FUNCTION, RECURSIVE — so every write, ATTACH,
PRAGMA and transaction is denied, whatever the text says), one statement per call, a
time limit (progress handler), a row cap and a 10 MB cap on any one value. The ledger app writes through its own
tools (``ladder.app.Ledger``), never through this path.

**Execution accuracy** (``same_result``): a prediction is right when its result rows
equal the gold query's, as a multiset (a list when the gold query has ORDER BY);
numbers compare rounded to 2 decimals and column order inside a row is ignored.

Trade-off: the answer sentence is a template in the question's language, not a model
call — a 135M model paraphrases numbers wrongly, and the rows are the answer.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .models.base import Message, Model, Response
from .schema import validate

SQL_SCHEMA = {"type": "object", "properties": {"sql": {"type": "string", "maxLength": 600}},
              "required": ["sql"], "additionalProperties": False}

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
        Tables named '_...' are internal (the app's undo history) and left out."""
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


LEDGER_COLUMNS = ["id", "date", "amount", "currency", "category", "merchant", "note"]
STUDENTS = ("ledger-sql-student-gold", "ledger-sql-student")  # by preference: gold SQL is execution-checked


def is_student(model_name: str | None) -> bool:
    return bool(model_name) and model_name in STUDENTS


def is_ledger(box: "Sandbox") -> bool:
    """The database is a ledger: an ``expenses`` table with the ledger's columns."""
    return box.columns("expenses") == LEDGER_COLUMNS


def ledger_student(box: "Sandbox") -> str | None:
    """The name of a registered ledger-sql student, when the database is a ledger: the
    student learned that one schema and needs no schema in its prompt. None otherwise."""
    from .models import registered

    names = [n for n in STUDENTS if n in registered()]
    return names[0] if names and is_ledger(box) else None


def student_prompt(question: str, today: str) -> list[Message]:
    """The ledger-sql student's own prompt: the task's short instruction + the raw input."""
    from .distill.sft import student_messages
    from .models.base import as_messages
    from .tasks import load_task

    return as_messages(student_messages(load_task("ledger-sql"), {"question": question, "today": today}))


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
        raise ConfigError(f"Database {path} does not exist.")
    return _cached_sandbox(str(path), path.stat().st_mtime)


def problems(execution: Execution) -> list[str]:
    """What to feed back to the model: an error, no rows, or only NULLs."""
    if execution.error:
        return [f"The query failed: {execution.error}"]
    if not execution.rows:
        return ["The query returned no rows. Check the filters: text values must match the sample "
                "values exactly (case, language), and dates are 'YYYY-MM-DD' text."]
    if all(v is None for row in execution.rows for v in row):
        return ["The query returned only NULL (nothing matched the WHERE clause). Check the filter "
                "values against the sample values and the date range."]
    return []


def check_sql(db: str | Path, sql: str) -> list[str]:
    """Run ``sql`` on ``db`` in the sandbox; the problems to feed back ([] = looks fine).
    The ledger-sql task's validators.py uses this, so the generic self-check rung
    becomes execution feedback."""
    return problems(sandbox_for(db).run(sql))


# -- execution accuracy -------------------------------------------------------------

def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        r = round(float(v), 2)
        return int(r) if r == int(r) else r
    return v


def _row_key(row: tuple) -> tuple:
    return tuple(sorted((json.dumps(_norm(v), ensure_ascii=False) for v in row)))


def same_result(gold: Execution, pred: Execution) -> bool:
    """Execution accuracy for one item (see the module docstring)."""
    if not gold.ok or not pred.ok:
        return False
    g, p = [_row_key(r) for r in gold.rows], [_row_key(r) for r in pred.rows]
    if re.search(r"\border\s+by\b", gold.sql, re.I) and len(g) > 1:
        return g == p
    return sorted(g) == sorted(p)


def execution_match(db: str | Path, gold_sql: str, pred_sql: str | None) -> bool:
    if not pred_sql:
        return False
    box = sandbox_for(db)
    return same_result(box.run(gold_sql), box.run(pred_sql))


def task_db(task) -> Path:
    """The database an execution-metric task is scored on (``metric.db``)."""
    db = getattr(task.spec.metric, "db", None)
    if not db:
        raise ConfigError(f"Task {task.name!r} has no metric.db: add `metric: {{type: execution, db: FILE}}`.")
    return (task.root / db).resolve()


def score_task_output(task, expected: dict, output: dict | None) -> bool:
    """The scorer for tasks with ``metric: {type: execution, db: ...}``: does the output's
    SQL return the same rows as the expected SQL?"""
    return execution_match(task_db(task), expected["sql"], (output or {}).get("sql"))


# -- the loop -----------------------------------------------------------------------

@dataclass
class Attempt:
    sql: str | None
    execution: Execution | None
    problems: list[str]


@dataclass
class SQLAnswer:
    question: str
    sql: str | None
    columns: list[str]
    rows: list[tuple]
    answer: str  # one sentence in the question's language
    attempts: list[Attempt] = field(default_factory=list)
    calls: list[Response] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # exact final messages sent

    @property
    def ok(self) -> bool:
        return bool(self.attempts) and not self.attempts[-1].problems

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)


SYSTEM = """You write one SQLite SELECT query that answers the user's question about this database.
{schema}
Today is {today}. Use literal dates ('YYYY-MM-DD') computed from today; compare text values exactly as in the samples.
Answer with JSON: {{"sql": "SELECT ..."}}"""


def build_messages(schema_text: str, question: str, today: str, examples: list[tuple[str, str]] = ()) -> list[Message]:
    """System prompt with the schema; then example turns; then the question. With
    examples, each user turn is 'question: ...\ntoday: ...' (the ledger-sql task's
    format), since an example's dates depend on its own today."""
    msgs = [Message(role="system", content=SYSTEM.format(schema=schema_text, today=today))]
    for q, s in examples:
        msgs.append(Message(role="user", content=q))
        msgs.append(Message(role="assistant", content=json.dumps({"sql": s}, ensure_ascii=False)))
    msgs.append(Message(role="user", content=f"question: {question}\ntoday: {today}" if examples else question))
    return msgs


def ledger_examples(question: str, today: str, k: int = 4, task: str = "ledger-sql") -> list[tuple[str, str]]:
    """The k training pairs of the ledger-sql task nearest the question (character
    n-gram TF-IDF, the retrieved-few-shot rung's retrieval), as (user turn, sql)."""
    from .rungs import RetrievedFewShot
    from .tasks import load_task

    t = load_task(task)
    chosen = RetrievedFewShot(k=k, field="question").examples(t, {"question": question, "today": today})
    return [(t.format_input(ex.input), ex.expected["sql"]) for ex in chosen]


def ask(question: str, db: str | Path | Sandbox, model: Model, *, today: str | None = None,
        retries: int = 2, examples: list[tuple[str, str]] = (), run_id: str | None = None,
        max_tokens: int = 160, student: bool = False) -> SQLAnswer:
    """Question -> SQL -> rows, feeding errors and empty results back up to ``retries`` times.
    ``student``: ``model`` is a ledger-sql student; it gets its own short prompt (no schema,
    no examples)."""
    import datetime as dt

    box = db if isinstance(db, Sandbox) else sandbox_for(db)
    today = today or dt.date.today().isoformat()
    messages = student_prompt(question, today) if student else \
        build_messages(box.describe(), question, today, list(examples))
    attempts, calls = [], []
    for i in range(retries + 1):
        stream = model.stream(messages, schema=SQL_SCHEMA, run_id=run_id, max_tokens=max_tokens)
        for _ in stream:
            pass
        r = stream.response
        calls.append(r)
        value, error = validate(SQL_SCHEMA, r.text)
        if value is None:
            found = [f"Your answer was not the JSON object {{\"sql\": ...}}: {error}"]
            attempts.append(Attempt(None, None, found))
        else:
            execution = box.run(value["sql"])
            found = problems(execution)
            attempts.append(Attempt(execution.sql, execution, found))
        if not found or i == retries:
            break
        messages = [*messages, Message(role="assistant", content=r.text),
                    Message(role="user", content="\n".join(found) + "\nWrite a corrected query. Answer with JSON only.")]
    last = attempts[-1]
    ex = last.execution
    columns, rows = (ex.columns, ex.rows) if ex and ex.ok else ([], [])
    if all(v is None for r in rows for v in r):
        rows = []  # only NULL: nothing matched
    text = answer_text(question, rows, last.problems if not (ex and ex.ok) else [])
    return SQLAnswer(question, last.sql, columns, rows, text, attempts, calls, messages)


# -- the answer sentence ------------------------------------------------------------

_SIMPLIFIED = set("这个们么过时说钱买块笔费乐饭机场觉见还没关开学车问从总计记账单")


def language(text: str) -> str:
    """'ja', 'zh-Hans', 'zh-Hant' or 'en', from the script of ``text``."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh-Hans" if _SIMPLIFIED & set(text) else "zh-Hant"
    return "en"


_TEMPLATES = {
    "en": ("The answer is {v}.", "{n} row(s):", "No matching expenses.", "I could not answer that: {p}"),
    "zh-Hant": ("答案是 {v}。", "共 {n} 筆：", "沒有找到符合的資料。", "無法回答：{p}"),
    "zh-Hans": ("答案是 {v}。", "共 {n} 条：", "没有找到符合的数据。", "无法回答：{p}"),
    "ja": ("答えは {v} です。", "{n} 件：", "該当するデータはありません。", "答えられませんでした：{p}"),
}


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, int):
        return f"{v:,}"
    return "NULL" if v is None else str(v)


def answer_text(question: str, rows: list[tuple], problems_left: list[str] = ()) -> str:
    one, many, none, failed = _TEMPLATES[language(question)]
    if problems_left and not rows:
        return failed.format(p=problems_left[0])
    if not rows:
        return none
    if len(rows) == 1 and len(rows[0]) == 1:
        return one.format(v=_fmt(rows[0][0]))
    shown = "\n".join("  " + " | ".join(_fmt(v) for v in r) for r in rows[:20])
    more = "\n  ..." if len(rows) > 20 else ""
    return f"{many.format(n=len(rows))}\n{shown}{more}"


# -- eval -----------------------------------------------------------------------------

@dataclass
class EvalItem:
    question: str
    gold_sql: str
    first_sql: str | None
    final_sql: str | None
    correct_first: bool  # without the retry loop (the first attempt)
    correct_final: bool  # with it
    retries: int


def load_questions(path: str | Path) -> list[dict]:
    from .jsonl import read_records

    return read_records(path, {"question", "gold_sql"}, {"today"})


def evaluate(db: str | Path, questions: list[dict], model: Model, *, retries: int = 2,
             today: str | None = None, examples=(), run_id: str | None = None,
             student: bool = False) -> list[EvalItem]:
    """Execution accuracy without (first attempt) and with the retry loop, in one pass:
    decoding is greedy, so the first attempt is exactly what a no-retry run produces.
    ``examples``: fixed (user turn, sql) pairs, or ``f(question, today) -> pairs``."""
    box = sandbox_for(db)
    items = []
    for q in questions:
        gold = box.run(q["gold_sql"])
        if not gold.ok:
            raise ConfigError(f"gold_sql for {q['question']!r} fails: {gold.error}")
        day = q.get("today") or today
        shots = examples(q["question"], day or "") if callable(examples) else examples
        ans = ask(q["question"], box, model, today=day, retries=retries, examples=shots, run_id=run_id,
                  student=student)
        first = ans.attempts[0]

        def right(a: Attempt) -> bool:
            return a.execution is not None and same_result(gold, a.execution)

        items.append(EvalItem(q["question"], q["gold_sql"], first.sql, ans.sql, right(first),
                              right(ans.attempts[-1]), ans.retries))
    return items


def summarize(items: list[EvalItem]) -> dict:
    n = len(items) or 1
    return {"questions": len(items),
            "accuracy_without_retry": sum(i.correct_first for i in items) / n,
            "accuracy_with_retry": sum(i.correct_final for i in items) / n,
            "retries_per_question": sum(i.retries for i in items) / n}


def demo_ledger(path: str | Path) -> Path:
    """Build the bundled demo ledger (examples/ledger/seed.sql) into a SQLite file."""
    from .tasks import bundled_tasks_dir

    path = Path(path)
    if path.exists():
        raise ConfigError(f"{path} already exists: pick a new file name (the demo ledger is never written over a file).")
    seed = bundled_tasks_dir() / "ledger" / "seed.sql"
    conn = sqlite3.connect(path)
    conn.executescript("BEGIN;\n" + seed.read_text(encoding="utf-8") + "\nCOMMIT;")  # one fsync, not 146
    conn.close()
    return path


def seed_path() -> Path:
    from .tasks import bundled_tasks_dir

    return bundled_tasks_dir() / "ledger" / "seed.sql"


__all__ = ["Sandbox", "Execution", "SQLAnswer", "Attempt", "ask", "check_sql", "problems", "same_result",
           "execution_match", "score_task_output", "evaluate", "summarize", "load_questions", "demo_ledger",
           "seed_path", "language", "answer_text", "ledger_examples", "SQL_SCHEMA"]
