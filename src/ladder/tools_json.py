"""Tool calls for models without native tool calling, by constrained JSON.

A local model cannot emit OpenAI ``tool_calls`` by itself. We describe the tools in
a system message and constrain the answer to one JSON object (a grammar, so it is
valid by construction)::

    {"tool_calls": [{"name": <one of the tool names>, "arguments": <its parameters>}]}
    or {"content": "<plain answer>"}

``tool_choice`` picks which branches the schema allows: "none" (content only),
"auto" (either), "required" (a tool call), or {"type": "function", "function":
{"name": X}} (a call to X). The JSON the model wrote is turned back into
OpenAI-shaped tool calls by ``parse_tool_output``. The server and agents share this.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .errors import ConfigError


def tool_names(tools: list[dict]) -> list[str]:
    return [t["function"]["name"] for t in tools]


def tool_schema(tools: list[dict], tool_choice: Any = "auto") -> dict:
    """The JSON Schema of the model's answer for these tools and this tool_choice."""
    by_name = {t["function"]["name"]: t["function"] for t in tools}
    if isinstance(tool_choice, dict):
        wanted = (tool_choice.get("function") or {}).get("name")
        if wanted not in by_name:
            raise ConfigError(f"tool_choice names the function {wanted!r}, which is not in tools "
                              f"({', '.join(by_name) or 'none given'}).")
        allowed, mode = [wanted], "required"
    elif tool_choice in (None, "auto", "required", "none"):
        allowed, mode = list(by_name), tool_choice or "auto"
    else:
        raise ConfigError(f"tool_choice must be 'none', 'auto', 'required' or "
                          f"{{'type': 'function', 'function': {{'name': ...}}}}, not {tool_choice!r}.")
    content = {"type": "object", "properties": {"content": {"type": "string"}},
               "required": ["content"], "additionalProperties": False}
    if mode == "none" or not allowed:
        return content
    calls = [{"type": "object",
              "properties": {"name": {"const": name},
                             "arguments": by_name[name].get("parameters") or {"type": "object"}},
              "required": ["name", "arguments"], "additionalProperties": False} for name in allowed]
    call = calls[0] if len(calls) == 1 else {"anyOf": calls}
    with_calls = {"type": "object",
                  "properties": {"tool_calls": {"type": "array", "items": call, "minItems": 1, "maxItems": 4}},
                  "required": ["tool_calls"], "additionalProperties": False}
    return with_calls if mode == "required" else {"anyOf": [with_calls, content]}


def tool_prompt(tools: list[dict]) -> str:
    """A system note that tells the model which tools exist and how to call them."""
    lines = ["You can call these tools:"]
    for t in tools:
        f = t["function"]
        params = json.dumps(f.get("parameters") or {}, ensure_ascii=False)
        lines.append(f"- {f['name']}: {f.get('description', '')} Parameters (JSON Schema): {params}")
    lines.append('To call tools, answer {"tool_calls": [{"name": ..., "arguments": {...}}]}. '
                 'To answer directly, answer {"content": "..."}.')
    return "\n".join(lines)


def tool_messages(messages: list[dict], tools: list[dict]) -> list[dict]:
    """Messages for a model without native tools: the tool note is appended to the system
    prompt (static first, so the prefix cache still hits), earlier assistant tool calls
    become the JSON the model would have written, and tool results become user turns."""
    note = tool_prompt(tools)
    out: list[dict] = []
    for m in messages:
        role, content = m["role"], m.get("content") or ""
        if role == "assistant" and m.get("tool_calls"):
            calls = [{"name": c["function"]["name"], "arguments": _loads(c["function"].get("arguments"))}
                     for c in m["tool_calls"]]
            out.append({"role": "assistant", "content": json.dumps({"tool_calls": calls}, ensure_ascii=False)})
        elif role == "tool":
            out.append({"role": "user", "content": f"Tool result ({m.get('tool_call_id') or m.get('name') or 'tool'}): {content}"})
        else:
            out.append({"role": role, "content": content})
    if out and out[0]["role"] == "system":
        out[0] = {"role": "system", "content": f"{out[0]['content']}\n\n{note}"}
    else:
        out.insert(0, {"role": "system", "content": note})
    return out


def parse_tool_output(text: str) -> tuple[str | None, list[dict]]:
    """The model's constrained JSON -> (content or None, OpenAI-shaped tool calls)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text, []  # cut off by max_tokens: give back what was written
    if isinstance(value, dict) and isinstance(value.get("tool_calls"), list):
        return None, [as_openai_call(c) for c in value["tool_calls"]]
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"], []
    return text, []


def as_openai_call(call: dict) -> dict:
    """{"name", "arguments"} (or an already OpenAI-shaped call) -> OpenAI's shape."""
    if "function" in call:
        fn = dict(call["function"])
        args = fn.get("arguments", {})
        fn["arguments"] = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        return {"id": call.get("id") or _call_id(), "type": "function", "function": fn}
    args = call.get("arguments", {})
    return {"id": call.get("id") or _call_id(), "type": "function",
            "function": {"name": call.get("name", ""),
                         "arguments": args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)}}


def _call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


def _loads(arguments) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except json.JSONDecodeError:
            return arguments
    return arguments or {}
