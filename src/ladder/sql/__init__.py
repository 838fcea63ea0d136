"""NL-to-SQL over a read-only sandbox, and the execution metric.

    sandbox.py   Sandbox: untrusted SELECTs against one database; nothing it runs can write
    loop.py      ask(): question -> SQL -> rows, errors and empty results fed back
                 (ladder.rungs.refine with "run the query" as the check)
    metric.py    the `execution` metric (same rows as the reference query), registered
                 in ladder.evals.metrics when this package is imported
    evaluate.py  `ladder sql eval`: execution accuracy with and without the retry loop

Nothing here knows a particular database: the expenses ledger's columns, its student
and its phrasing live in ladder.apps.expenses.
"""

from .evaluate import EvalItem, evaluate, load_questions, summarize
from .loop import (DEFAULT_SQL_MODEL, SQL_SCHEMA, Attempt, SQLAnswer, ask, build_messages, check_sql, format_rows, format_value,
                   problems)
from .metric import ExecutionMetric, ExecutionSpec, execution_match, same_result
from .sandbox import Execution, Sandbox, sandbox_for, strip_sql

__all__ = ["Sandbox", "Execution", "sandbox_for", "strip_sql", "SQLAnswer", "Attempt", "ask", "build_messages",
           "check_sql", "problems", "format_value", "format_rows", "SQL_SCHEMA", "DEFAULT_SQL_MODEL", "same_result", "execution_match",
           "ExecutionMetric", "ExecutionSpec", "evaluate", "summarize", "load_questions", "EvalItem"]
