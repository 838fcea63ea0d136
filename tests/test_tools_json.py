"""ladder.tools_json: the tool-call schema per tool_choice, and parsing it back."""

from __future__ import annotations

import json

import jsonschema
import pytest

from ladder.errors import ConfigError
from ladder.tools_json import parse_tool_output, tool_messages, tool_schema

TOOLS = [{"type": "function", "function": {"name": "add", "parameters": {
             "type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}},
         {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}]
CALL = {"tool_calls": [{"name": "add", "arguments": {"a": 1}}]}
ANSWER = {"content": "hi"}


def valid(schema, value) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(value)


def test_tool_choice_decides_what_the_schema_allows():
    auto, required, none = (tool_schema(TOOLS, c) for c in ("auto", "required", "none"))
    assert valid(auto, CALL) and valid(auto, ANSWER)
    assert valid(required, CALL) and not valid(required, ANSWER)
    assert valid(none, ANSWER) and not valid(none, CALL)
    only_now = tool_schema(TOOLS, {"type": "function", "function": {"name": "now"}})
    assert not valid(only_now, CALL) and valid(only_now, {"tool_calls": [{"name": "now", "arguments": {}}]})
    assert not valid(auto, {"tool_calls": [{"name": "add", "arguments": {"a": "x"}}]})  # the tool's own schema
    with pytest.raises(ConfigError, match="not in tools"):
        tool_schema(TOOLS, {"type": "function", "function": {"name": "missing"}})


def test_parse_back_to_openai_shape_and_history():
    content, calls = parse_tool_output(json.dumps(CALL))
    assert content is None and calls[0]["type"] == "function" and calls[0]["id"].startswith("call_")
    assert json.loads(calls[0]["function"]["arguments"]) == {"a": 1}
    assert parse_tool_output(json.dumps(ANSWER)) == ("hi", [])
    assert parse_tool_output('{"tool_calls": [{"na') == ('{"tool_calls": [{"na', [])  # cut off: raw text
    history = tool_messages([{"role": "system", "content": "Be brief."},
                             {"role": "assistant", "content": "", "tool_calls": calls},
                             {"role": "tool", "tool_call_id": calls[0]["id"], "content": "2"}], TOOLS)
    assert history[0]["content"].startswith("Be brief.") and "add" in history[0]["content"]
    assert json.loads(history[1]["content"]) == CALL and history[2]["role"] == "user"
