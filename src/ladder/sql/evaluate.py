"""``ladder sql eval``: the feedback loop measured on a question file, with and without retries.

Each attempt is scored by the execution metric's rule (``same_result``, sql/metric.py):
the first attempt is exactly what a run without retries produces (decoding is greedy),
so one pass gives both numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..errors import ConfigError
from ..models.base import Message, Model
from .loop import Attempt, ask
from .metric import same_result
from .sandbox import sandbox_for


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
    """{"question", "gold_sql", "today"?} lines; a bad line is an error naming it."""
    from ..jsonl import read_records

    return read_records(path, {"question", "gold_sql"}, {"today"})


def evaluate(db: str | Path, questions: list[dict], model: Model, *, retries: int = 2,
             today: str | None = None, examples=(), run_id: str | None = None,
             prompt: Callable[[str, str], list[Message]] | None = None) -> list[EvalItem]:
    """Execution accuracy without (first attempt) and with the retry loop.
    ``examples``: fixed (user turn, sql) pairs, or ``f(question, today) -> pairs``;
    ``prompt``: ``f(question, today) -> messages`` for a model with its own prompt."""
    box = sandbox_for(db)
    items = []
    for q in questions:
        gold = box.run(q["gold_sql"])
        if not gold.ok:
            raise ConfigError(f"gold_sql for {q['question']!r} fails: {gold.error}. Fix it in the question file.")
        day = q.get("today") or today or dt.date.today().isoformat()
        shots = examples(q["question"], day) if callable(examples) else examples
        ans = ask(q["question"], box, model, today=day, retries=retries, examples=shots, run_id=run_id,
                  prompt=prompt(q["question"], day) if prompt else None)

        def right(a: Attempt | None) -> bool:
            return a is not None and a.execution is not None and same_result(gold, a.execution)

        # the final answer is the last attempt that was a query (an invalid retry keeps it)
        final = next((a for a in reversed(ans.attempts) if a.execution is not None), None)
        items.append(EvalItem(q["question"], q["gold_sql"], ans.attempts[0].sql, ans.sql, right(ans.attempts[0]),
                              right(final), ans.retries))
    return items


def summarize(items: Sequence[EvalItem]) -> dict:
    n = len(items) or 1
    return {"questions": len(items),
            "accuracy_without_retry": sum(i.correct_first for i in items) / n,
            "accuracy_with_retry": sum(i.correct_final for i in items) / n,
            "retries_per_question": sum(i.retries for i in items) / n}
