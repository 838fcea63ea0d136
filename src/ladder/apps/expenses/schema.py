"""The ledger's shape, defined once: the `expenses` task's output schema
(examples/expenses/schema.json) plus ``note``, the sentence an expense came from.

    FIELDS      date, amount, currency, category, merchant, note  (the columns after id)
    CATEGORIES  the schema's category enum
    CREATE      the ledger tables, column types from the schema's JSON types

Change the task's schema and the ledger, its tools and the correction prompt follow.
"""

from __future__ import annotations

from typing import Literal

from ...tasks import load_task

TASK = load_task("expenses")
_PROPS: dict = TASK.schema["properties"]

CORRECTABLE = list(TASK.output_fields)  # what a correction may change
FIELDS = [*CORRECTABLE, "note"]
COLUMNS = ["id", *FIELDS]
CATEGORIES = list(_PROPS["category"]["enum"])
Category = Literal[tuple(CATEGORIES)]  # type hints of the ledger's tools -> their JSON Schema
CorrectableField = Literal[tuple(CORRECTABLE)]


def _sql_type(prop: dict) -> str:
    types = prop.get("type", "string")
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    return {"number": "REAL", "integer": "INTEGER"}.get(types[0] if types else "string", "TEXT")


CREATE = (
    "CREATE TABLE IF NOT EXISTS expenses (id INTEGER PRIMARY KEY, "
    + ", ".join(f"{f} {_sql_type(_PROPS.get(f, {}))}" for f in FIELDS) + ");\n"
    "CREATE TABLE IF NOT EXISTS _history (id INTEGER PRIMARY KEY, action TEXT, expense_id INTEGER, "
    "before TEXT, ts REAL);\n"  # what undo restores; '_' tables are hidden from the SQL prompt
)
