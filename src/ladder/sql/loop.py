"""NL-to-SQL with execution feedback: ``ladder.rungs.refine`` with "run the query" as the check.

    question ─▶ schema + sample values ─▶ model writes {"sql": ...} ─▶ Sandbox.run
                     ▲                                                   │
                     └──── error / no rows / only NULL, fed back ◀───────┘  (up to `retries`)

``ask`` returns the rows, not a sentence: how to say them, in which language, is the
caller's (the expenses app has its own phrasing table). A model trained for one schema
(a student) gets its own ``prompt`` instead of the schema prompt.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..models.base import Message, Model, Response
from ..rungs import Call, refine
from ..schema import validate
from .sandbox import Execution, Sandbox, sandbox_for

# The model `ladder sql ask|eval` prompt when no ledger-sql student exists, chosen by
# measurement: the best execution accuracy on the 16 bundled demo questions (4 retrieved
# pairs, up to 2 retries; bench/bench_sql.py per model, bench/RESULTS.md "NL-to-SQL: which
# model"): qwen2.5-coder-1.5b 9/16 (56.2 %) at ~22 s per question on a loaded machine, 0.5b 6/16
# (37.5 %), smollm2 3/16 (18.8 %). `--model smollm2` stays the fast choice.
DEFAULT_SQL_MODEL = "qwen2.5-coder-1.5b"
SQL_SCHEMA = {"type": "object", "properties": {"sql": {"type": "string", "maxLength": 600}},
              "required": ["sql"], "additionalProperties": False}
FEEDBACK = "{problems}\nWrite a corrected query. Answer with JSON only."


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
    A task's validators.py can use this, so the generic self-check rung becomes
    execution feedback (examples/ledger-sql does)."""
    return problems(sandbox_for(db).run(sql))


@dataclass
class Attempt:
    sql: str | None  # None when the answer was not {"sql": ...}
    execution: Execution | None
    problems: list[str]


@dataclass
class SQLAnswer:
    question: str
    sql: str | None  # the final query (the last one that was valid JSON)
    columns: list[str]
    rows: list[tuple]  # [] when nothing matched (only NULL counts as nothing)
    problems: list[str]  # what is left unresolved ([] = the query ran and returned rows)
    attempts: list[Attempt] = field(default_factory=list)
    calls: list[Response] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # exact final messages sent

    @property
    def ok(self) -> bool:
        return bool(self.attempts) and not self.problems

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)


SYSTEM = """You write one SQLite SELECT query that answers the user's question about this database.
{schema}
Today is {today}. Use literal dates ('YYYY-MM-DD') computed from today; compare text values exactly as in the samples.
Answer with JSON: {{"sql": "SELECT ..."}}"""


def build_messages(schema_text: str, question: str, today: str, examples: list[tuple[str, str]] = ()) -> list[Message]:
    """System prompt with the schema; then example turns; then the question. With
    examples, each user turn is 'question: ...\\ntoday: ...' (the ledger-sql task's
    format), since an example's dates depend on its own today."""
    msgs = [Message(role="system", content=SYSTEM.format(schema=schema_text, today=today))]
    for q, s in examples:
        msgs.append(Message(role="user", content=q))
        msgs.append(Message(role="assistant", content=json.dumps({"sql": s}, ensure_ascii=False)))
    msgs.append(Message(role="user", content=f"question: {question}\ntoday: {today}" if examples else question))
    return msgs


def ask(question: str, db: str | Path | Sandbox, model: Model, *, today: str | None = None,
        retries: int = 2, examples: list[tuple[str, str]] = (), run_id: str | None = None,
        max_tokens: int = 160, prompt: list[Message] | None = None) -> SQLAnswer:
    """Question -> SQL -> rows, feeding errors and empty results back up to ``retries``
    times. ``examples``: (user turn, sql) pairs shown before the question. ``prompt``:
    the exact messages to send instead of the schema prompt (a student's own)."""
    box = db if isinstance(db, Sandbox) else sandbox_for(db)
    today = today or dt.date.today().isoformat()
    messages = prompt or build_messages(box.describe(), question, today, list(examples))
    runs: dict[str, Execution] = {}  # sql -> result: refine checks the final answer again

    def run(sql: str) -> Execution:
        if sql not in runs:
            runs[sql] = box.run(sql)
        return runs[sql]

    pred = refine(model, messages, Call(SQL_SCHEMA, max_tokens=max_tokens), lambda out: problems(run(out["sql"])),
                  retries=retries, run_id=run_id, feedback=FEEDBACK)
    attempts = [_attempt(r.text, run) for r in pred.calls]
    final = run(pred.output["sql"]) if pred.output is not None else None
    columns, rows = (final.columns, final.rows) if final is not None and final.ok else ([], [])
    if all(v is None for r in rows for v in r):
        rows = []  # only NULL: nothing matched
    left = problems(final) if final is not None else attempts[-1].problems
    return SQLAnswer(question, final.sql if final else None, columns, rows, left, attempts, pred.calls,
                     pred.messages)


def _attempt(text: str, run) -> Attempt:
    value, error = validate(SQL_SCHEMA, text)
    if value is None:
        return Attempt(None, None, [f'Your answer was not the JSON object {{"sql": ...}}: {error}'])
    execution = run(value["sql"])
    return Attempt(execution.sql, execution, problems(execution))


def format_value(v: Any) -> str:
    """A cell as a person reads it: 2262.0 -> '2,262', 12.5 -> '12.5', None -> 'NULL'."""
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, int):
        return f"{v:,}"
    return "NULL" if v is None else str(v)


def format_rows(rows: list[tuple], limit: int = 20) -> str:
    """Rows as indented ' | '-separated lines, at most ``limit`` of them."""
    shown = "\n".join("  " + " | ".join(format_value(v) for v in r) for r in rows[:limit])
    return shown + ("\n  ..." if len(rows) > limit else "")
