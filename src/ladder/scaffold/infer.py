"""Guess a task from its rows: input and output fields, the output schema, the metric.

The guesses are the ones a person makes first, written into task.yaml with comments:
- outputs: ``--output``, else a column named like label/answer/output/expected, else
  the last column; inputs: ``--input``, else every other column;
- schema: one output is a plain root schema (string, number, boolean, array...);
  several are an object. A string column with few distinct short values is an enum;
  a column with missing values is nullable;
- metric: ``fields`` with casefold for strings, number for numbers, set for arrays of
  scalars; the ``text`` metric (token F1) for a single free-text output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .read import TASK_FORMAT

OUTPUT_NAMES = ("label", "labels", "answer", "output", "expected", "target", "class", "category", "y")
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


@dataclass
class Draft:
    """What `ladder init` guessed: the task file's content before it is written."""

    name: str
    inputs: list[str]
    outputs: list[str]  # the output column(s); one output means a root (non-object) schema
    schema: dict
    metric: dict
    notes: list[str] = field(default_factory=list)  # one line per guess, printed and kept as comments

    def expected(self, row: dict) -> Any:
        if len(self.outputs) == 1:
            return row.get(self.outputs[0])
        return {k: row.get(k) for k in self.outputs}

    def example(self, row: dict) -> dict:
        """One dataset line: {"input": {...}, "expected": ...}."""
        return {"input": {k: row.get(k) for k in self.inputs}, "expected": self.expected(row)}


def infer_task(rows: list[dict], source: str | Path, inputs: list[str] | None = None,
               outputs: list[str] | None = None, name: str | None = None) -> Draft:
    """Guess input and output fields, the output schema and the metric from the rows."""
    source = Path(source)
    columns = list(dict.fromkeys(k for r in rows for k in r if k != TASK_FORMAT))
    for flag, chosen in (("--input", inputs), ("--output", outputs)):
        unknown = [c for c in chosen or [] if c not in columns]
        if unknown:
            raise ConfigError(f"{source}: {flag} names unknown column(s) {unknown}; the columns are {columns}.")
    notes = []
    if not outputs:
        if rows[0].get(TASK_FORMAT):
            outputs = ["expected"]
        else:
            named = [c for c in columns if c.lower() in OUTPUT_NAMES and c not in (inputs or [])]
            rest = [c for c in columns if c not in (inputs or [])]
            if not rest:
                raise ConfigError(f"{source}: every column is an --input; name the output with --output COLUMN.")
            outputs = named[:1] or rest[-1:]
            how = "is named like an output" if named else "is the last column"
            notes.append(f"output: {outputs[0]!r} ({how}; choose with --output a,b)")
    inputs = inputs or [c for c in columns if c not in outputs]
    if not inputs:
        raise ConfigError(f"{source}: no input column is left; name the inputs with --input a,b.")
    both = set(inputs) & set(outputs)
    if both:
        raise ConfigError(f"{source}: column(s) {sorted(both)} are both input and output; choose one.")
    for k in inputs:
        if all(r.get(k) is None for r in rows):
            raise ConfigError(f"{source}: input column {k!r} is empty in every row; drop it with --input.")
    props = {k: infer_schema([r.get(k) for r in rows], f"{source}: column {k!r}") for k in outputs}
    if len(outputs) == 1:  # one output: its own type at the root (a task-format object stays one)
        schema = props[outputs[0]]
    else:
        schema = {"type": "object", "additionalProperties": False, "required": list(outputs), "properties": props}
    metric = choose_metric(schema)
    schema = {"$schema": SCHEMA_URI, **schema}
    for k, s in props.items():
        notes.append(f"{k}: {_describe(s)}")
    free = [k for k, sub in schema.get("properties", {}).items() if _base(sub) == "string" and "enum" not in sub]
    if free:  # casefold is all-or-nothing; a text measure gives partial credit
        notes.append(f"free text compared casefold: {', '.join(free)}; for partial credit score one "
                     f"with metric: {{type: text, measure: token-f1, field: {free[0]}}}")
    stem = name or re.sub(r"[^A-Za-z0-9_-]+", "-", source.stem).strip("-").lower() or "task"
    return Draft(stem, inputs, list(outputs), schema, metric, notes)


def infer_schema(values: list[Any], where: str) -> dict:
    """A JSON Schema that every value fits (None = missing, makes it nullable)."""
    present = [v for v in values if v is not None]
    if not present:
        raise ConfigError(f"{where} is empty in every row; fill it in or drop it.")
    nullable = len(present) < len(values)
    kinds = {_kind(v) for v in present}
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    if len(kinds) > 1:
        raise ConfigError(f"{where} mixes value types {sorted(kinds)}; make every value the same type.")
    kind = kinds.pop()
    schema: dict[str, Any] = {"type": kind}
    if kind == "string":
        distinct = sorted(set(present))
        # Few distinct short values, most repeated: labels, not free text.
        if len(distinct) <= 20 and len(distinct) <= max(2, len(present) // 2) and \
                max(len(v) for v in distinct) <= 40:
            schema["enum"] = distinct + ([None] if nullable else [])
    elif kind == "array":
        items = [x for v in present for x in v]
        if items:
            schema["items"] = infer_schema(items, f"{where} (array items)")
    elif kind == "object":
        keys = list(dict.fromkeys(k for v in present for k in v))
        required = [k for k in keys if all(k in v for v in present)]  # a key some lack is optional
        schema.update(additionalProperties=False, required=required, properties={
            k: infer_schema([v.get(k) for v in present], f"{where}.{k}") for k in keys})
    if nullable:
        schema["type"] = [kind, "null"]
    return schema


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def _base(schema: dict) -> str:
    t = schema["type"]
    return t[0] if isinstance(t, list) else t


def _comparator(schema: dict) -> str:
    kind = _base(schema)
    if kind == "string":
        return "casefold"  # labels and short strings: case, width and spacing do not matter
    if kind == "number":
        return "number"
    return "set" if kind == "array" and _base(schema.get("items", {"type": "string"})) != "object" else "exact"


def choose_metric(schema: dict) -> dict:
    """The task file's ``metric:`` mapping for an output schema."""
    if _base(schema) == "object" and schema.get("properties"):
        fields = {k: c for k, sub in schema["properties"].items() if (c := _comparator(sub)) != "exact"}
        return {"type": "fields", "fields": fields} if fields else {"type": "fields"}
    if _base(schema) == "string" and "enum" not in schema:
        return {"type": "text", "measure": "token-f1"}
    return {"type": "fields", "compare": _comparator(schema)}


def _describe(schema: dict) -> str:
    kind = _base(schema) + (" or null" if isinstance(schema["type"], list) else "")
    if "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        return f"{kind}, one of {len(values)} values ({', '.join(map(str, values[:6]))}{', ...' if len(values) > 6 else ''})"
    return kind + (" (free text)" if kind.startswith("string") else "")
