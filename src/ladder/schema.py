"""Structured output: normalize a schema, validate model output against it.

A schema may be given as a JSON Schema dict, a pydantic model class, or the path
of a .json file. Local backends turn it into a grammar (valid by construction);
remote backends send it as ``response_format`` and we validate what comes back.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

from .errors import ConfigError

SchemaLike = "dict | type | str | Path"


def to_json_schema(schema: Any) -> dict | None:
    """Return a JSON Schema dict for any accepted schema form (None stays None)."""
    if schema is None or isinstance(schema, dict):
        if schema is not None:
            check_schema(schema)
        return schema
    if isinstance(schema, (str, Path)):
        path = Path(schema)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Schema file {path} does not exist: check the path.") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(
                f"Schema file {path} is not valid JSON ({e}): it must hold one JSON Schema object."
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"Schema file {path} must hold a JSON object, not {type(data).__name__}.")
        check_schema(data)
        return data
    if hasattr(schema, "model_json_schema"):  # a pydantic model class
        return schema.model_json_schema()
    raise ConfigError(
        f"Cannot use {schema!r} as a schema: give a JSON Schema dict, a pydantic model "
        "class, or the path of a .json file."
    )


def check_schema(schema: dict) -> None:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise ConfigError(f"Invalid JSON Schema: {e.message} (at {'/'.join(map(str, e.path)) or 'root'})") from None


def schema_key(schema: dict) -> str:
    # Key order is kept: it is the order the model writes the fields in.
    return json.dumps(schema, ensure_ascii=False)


@functools.lru_cache(maxsize=64)
def _validator(key: str):
    return jsonschema.Draft202012Validator(
        json.loads(key), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def validate(schema: dict, text: str) -> tuple[Any, str | None]:
    """Parse ``text`` as JSON and validate it. Returns (value, None) or (None, error)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        return None, f"not valid JSON: {e.msg} at position {e.pos}"
    errors = sorted(_validator(schema_key(schema)).iter_errors(value), key=lambda e: list(e.path))
    if errors:
        parts = [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]]
        return None, "; ".join(parts)
    return value, None
