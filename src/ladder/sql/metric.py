"""Execution accuracy: an SQL answer is right when it returns the reference query's rows.

    metric: {type: execution, db: ../ledger/seed.sql}   # in a task file; db relative to it

Rows are compared as a multiset (a list when the reference query has ORDER BY);
numbers compare rounded to 2 decimals and column order inside a row is ignored. This
is the one SQL evaluation: ``ladder eval`` scores a task's records with the
registered ``execution`` metric, and ``ladder sql eval`` (sql/evaluate.py) scores each
attempt of the feedback loop with the same ``same_result``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..errors import ConfigError
from ..evals.metrics import MetricContext, Score, register_metric
from .sandbox import Execution, sandbox_for


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
    """Does ``pred_sql`` return the rows of ``gold_sql`` on ``db``?"""
    if not pred_sql:
        return False
    box = sandbox_for(db)
    return same_result(box.run(gold_sql), box.run(pred_sql))


class ExecutionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["execution"] = "execution"
    db: str  # SQLite file or .sql seed, relative to the task directory


@dataclass
class ExecutionMetric:
    """Scores outputs {"sql": ...} against expected {"sql": ...} by running both."""

    db: Path
    fields: tuple[str, ...] = ("sql",)  # the output's fields; each gets the item's score
    type: str = "execution"

    def run_reference(self, sql: str) -> Execution:
        """The reference query's result; a reference that fails is a dataset error."""
        gold = sandbox_for(self.db).run(sql)
        if not gold.ok:
            raise ConfigError(f"The reference SQL {sql!r} fails on {self.db}: {gold.error}. Fix it in the dataset.")
        return gold

    def __call__(self, input: dict, expected: Any, output: Any) -> Score:
        if output is None:
            return Score(0.0, {f: 0.0 for f in self.fields}, "no valid output")
        gold = self.run_reference(expected["sql"])
        pred = sandbox_for(self.db).run(output.get("sql") or "")
        value = 1.0 if same_result(gold, pred) else 0.0
        if pred.error:
            reason = f"the query failed: {pred.error}"
        elif value:
            reason = f"the same {len(pred.rows)} row(s) as the reference"
        else:
            reason = (f"{len(pred.rows)} row(s) {_show(pred.rows)}, the reference returns "
                      f"{len(gold.rows)} {_show(gold.rows)}")
        return Score(value, {f: value for f in self.fields}, reason)


def _show(rows: list[tuple]) -> str:
    text = json.dumps([list(r) for r in rows[:2]], ensure_ascii=False, default=str)
    return (text[:57] + "…]") if len(text) > 60 else text


def execution_metric(spec: ExecutionSpec, context: MetricContext) -> ExecutionMetric:
    props = context.schema.get("properties") if context.schema.get("type") == "object" else None
    if not isinstance(props, dict) or "sql" not in props:
        raise context.error("type", 'an execution metric scores outputs {"sql": "SELECT ..."}: the '
                            'output schema must be an object with a "sql" string property.')
    db = (context.root / spec.db).resolve()
    if not db.is_file():
        raise context.error("db", f"{db} does not exist: give a SQLite file or a .sql seed, relative to "
                            "the task directory.")
    return ExecutionMetric(db, tuple(props))


register_metric("execution", ExecutionSpec, execution_metric)
