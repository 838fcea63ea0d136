"""What a captured chat request means as a Task call: its tag, its input, its output format.

A client tags the function a call serves with an ``X-Ladder-Tag: NAME`` header or
OpenAI's ``metadata`` field (``{"tag": NAME}``). A call made from a prompt template can
also send the template's variables as ``metadata`` keys ``input.NAME``
(``{"tag": "expenses", "input.text": "lunch 180", "input.today": "2026-03-02"}``):
those become the Task's input fields. Without them, the input is the last user
message, as the field ``text``; the system message is the Task's instructions.

    tag_of(headers, metadata)       -> "expenses" | None
    call_input(body, metadata)      -> {"text": "..."} or the template variables
    output_format(body)             -> ("json_schema", schema) | ("json_object", None) | ("text", None)
"""

from __future__ import annotations

from typing import Any

VAR_PREFIX = "input."


def tag_of(headers, metadata: dict) -> str | None:
    tag = (headers.get("x-ladder-tag") if headers is not None else None) or metadata.get("tag")
    tag = str(tag).strip() if tag else ""
    return tag or None


def message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def template_vars(metadata: dict) -> dict[str, Any]:
    return {k[len(VAR_PREFIX):]: v for k, v in (metadata or {}).items()
            if isinstance(k, str) and k.startswith(VAR_PREFIX) and len(k) > len(VAR_PREFIX)}


def last_user(body: dict) -> str | None:
    users = [m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
    return message_text(users[-1]) if users else None


def call_input(body: dict, metadata: dict) -> dict | None:
    """The Task input of one call: the template variables, else {"text": last user message}."""
    variables = template_vars(metadata)
    if variables:
        return variables
    text = last_user(body)
    return None if text is None else {"text": text}


def system_prompt(body: dict) -> str | None:
    parts = [message_text(m) for m in body.get("messages") or []
             if isinstance(m, dict) and m.get("role") in ("system", "developer")]
    return "\n\n".join(p for p in parts if p) or None


def output_format(body: dict) -> tuple[str, dict | None]:
    rf = body.get("response_format") or {}
    kind = rf.get("type") if isinstance(rf, dict) else None
    if kind == "json_schema":
        schema = (rf.get("json_schema") or {}).get("schema")
        return "json_schema", schema if isinstance(schema, dict) else {"type": "object"}
    if kind == "json_object":
        return "json_object", None
    return "text", None
