"""Questions about the ledger: ladder.sql's feedback loop, with what the app knows of its table.

    a ledger-sql student is registered ─▶ it answers with its own short prompt (no schema):
                                         it learned this one table (`ladder distill --task
                                         ledger-sql --source gold`)
    otherwise                          ─▶ the model gets the schema prompt + the k nearest
                                         ledger-sql training pairs (0/16 -> 3/16 demo
                                         questions right for smollm2 with 4, bench/RESULTS.md)
"""

from __future__ import annotations

import functools
from pathlib import Path

from ...models import Message, Model
from ...sql import Sandbox, SQLAnswer, ask
from .schema import COLUMNS

SQL_TASK = "ledger-sql"  # the task whose training pairs and students are about this ledger
STUDENTS = ("ledger-sql-student-gold", "ledger-sql-student")  # ties: gold first (gold SQL is execution-checked)


def is_student(model_name: str | None) -> bool:
    return bool(model_name) and model_name in STUDENTS


def is_ledger(box: Sandbox) -> bool:
    """The database is a ledger: an ``expenses`` table with the ledger's columns."""
    return box.columns("expenses") == COLUMNS


def ledger_student(box: Sandbox) -> str | None:
    """The name of a registered ledger-sql student, when the database is a ledger; None
    otherwise. With both students registered, the one whose savings report measured the
    higher test score wins (a teacher-labelled student can beat the gold one); a student
    without a report ranks below one with a report, and ties go to ``STUDENTS`` order."""
    from ...models import registered

    entries = registered()
    names = [n for n in STUDENTS if n in entries]
    if not names or not is_ledger(box):
        return None
    return max(names, key=lambda n: (measured_quality(entries[n]), -STUDENTS.index(n)))


def measured_quality(entry: dict) -> float:
    """The test score in the savings report beside a registered student's weights
    (``<out>/savings.json``, written by `ladder distill`), else -1."""
    import json

    for folder in list(Path(entry.get("path", "")).parents)[:3]:
        report = folder / "savings.json"
        if report.is_file():
            try:
                return float(json.loads(report.read_text(encoding="utf-8"))["student"]["quality"])
            except (ValueError, KeyError, TypeError):
                return -1.0
    return -1.0


def student_prompt(question: str, today: str) -> list[Message]:
    """The ledger-sql student's own prompt: the task's short instruction + the raw input."""
    from ...distill import student_messages
    from ...tasks import load_task

    return [Message(**m) for m in student_messages(load_task(SQL_TASK), {"question": question, "today": today})]


@functools.lru_cache(maxsize=4)
def _retriever(k: int):
    from ...rungs import RetrievedFewShot

    return RetrievedFewShot(k=k, field="question")  # keeps its TF-IDF index between questions


def ledger_examples(question: str, today: str, k: int = 4) -> list[tuple[str, str]]:
    """The k ledger-sql training pairs nearest the question (the retrieved-few-shot
    rung's retrieval), as (user turn, sql)."""
    from ...tasks import load_task

    task = load_task(SQL_TASK)
    chosen = _retriever(k).examples(task, {"question": question, "today": today})
    return [(task.format_input(ex.input), ex.expected["sql"]) for ex in chosen]


def ask_ledger(question: str, box: Sandbox, model: Model, *, today: str, student: bool = False, shots: int = 4,
               retries: int = 2, run_id: str | None = None) -> SQLAnswer:
    """Answer a question about the ledger: ``model`` is a ledger-sql student (its own
    prompt), or gets the schema prompt with ``shots`` retrieved question/SQL pairs."""
    if student:
        return ask(question, box, model, today=today, retries=retries, run_id=run_id,
                   prompt=student_prompt(question, today))
    examples = ledger_examples(question, today, shots) if shots else ()
    return ask(question, box, model, today=today, retries=retries, examples=examples, run_id=run_id)
