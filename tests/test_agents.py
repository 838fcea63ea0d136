"""Agents: tools from typed functions, the tool loop (native and constrained JSON), the graph."""

import json
from typing import Literal

import pytest

from ladder.agents import END, Graph, Tool, run_agent, tool, tool_call_schema
from ladder.errors import ConfigError
from ladder.models import ScriptedModel
from ladder.tools_json import tool_schema


def add(a: int, b: int = 1) -> int:
    """Add two integers.

    Longer text that is not part of the description.

    Args:
        a: the first number
        b: the second number
    """
    return a + b


def convert(amount: float, currency: Literal["TWD", "JPY"], note: str | None = None) -> dict:
    """Convert an amount to USD."""
    rate = {"TWD": 0.03, "JPY": 0.0067}[currency]
    return {"usd": round(amount * rate, 2), "note": note}


def test_schema_from_signature_and_docstring():
    t = Tool.from_function(add)
    assert t.spec() == {"type": "function", "function": {
        "name": "add", "description": "Add two integers.",
        "parameters": {"type": "object", "additionalProperties": False, "required": ["a"], "properties": {
            "a": {"type": "integer", "description": "the first number"},
            "b": {"type": "integer", "description": "the second number", "default": 1}}}}}
    c = tool(convert)
    assert c.parameters["properties"]["currency"]["enum"] == ["TWD", "JPY"]
    assert c.parameters["required"] == ["amount", "currency"]


def test_arguments_are_checked():
    t = Tool.from_function(add)
    assert t({"a": 2, "b": 3}) == 5 and t('{"a": 2}') == 3
    with pytest.raises(ConfigError, match="c: Extra inputs are not permitted"):
        t({"a": 1, "c": 2})
    with pytest.raises(ConfigError, match="a: Input should be a valid integer"):
        t({"a": "two"})


def test_functions_without_hints_are_refused():
    def f(x):
        return x

    with pytest.raises(ConfigError, match="needs a type hint"):
        Tool.from_function(f)


def test_tool_call_schema_is_the_servers_and_can_forbid_parallel_calls():
    specs = [Tool.from_function(add).spec()]
    assert tool_call_schema([Tool.from_function(add)], "required") == tool_schema(specs, "required")
    single = tool_call_schema(specs, "auto", parallel=False)
    assert single["anyOf"][0]["properties"]["tool_calls"]["maxItems"] == 1
    assert tool_call_schema(specs, "none")["required"] == ["content"]


def test_native_loop_logs_every_step():
    model = ScriptedModel([
        {"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 17, "b": 25}'}}]},
        "17 + 25 = 42",
    ])
    run = run_agent("What is 17 + 25?", [add], model)
    assert run.stopped == "answer" and run.answer == "17 + 25 = 42"
    assert [s.tool_calls for s in run.steps] == [[{"id": "c1", "name": "add", "arguments": {"a": 17, "b": 25}}], []]
    assert run.steps[0].results == [42]
    assert run.steps[0].messages[-1].content == "What is 17 + 25?"  # exact input of step 0
    assert model.requests[0].tools[0]["function"]["name"] == "add"  # native tools sent
    tool_msg = model.requests[1].messages[-1]
    assert tool_msg.role == "tool" and tool_msg.content == "42" and tool_msg.tool_call_id == "c1"


def test_constrained_loop_for_models_without_native_tools():
    # text replies: what a local model writes under the grammar (a dict would be a native call)
    model = ScriptedModel([json.dumps({"tool_calls": [{"name": "convert", "arguments": {"amount": 1000, "currency": "TWD"}}]}),
                           json.dumps({"content": "About 30 USD."})])
    model.supports_tools = False  # like a local llama.cpp model
    run = run_agent("1000 TWD in USD?", [convert], model, tool_choice="required")
    assert run.answer == "About 30 USD." and run.steps[0].results == [{"usd": 30.0, "note": None}]
    first, second = model.requests
    assert first.tools is None and first.schema == tool_call_schema([tool(convert)], "required", parallel=False)
    assert "You can call these tools" in first.messages[0].content
    assert second.schema == tool_call_schema([tool(convert)], "auto", parallel=False)  # later steps may answer
    assert 'Tool result' in second.messages[-1].content and '"usd": 30.0' in second.messages[-1].content


def test_tool_errors_go_back_to_the_model():
    model = ScriptedModel([json.dumps({"tool_calls": [{"name": "add", "arguments": {"a": "x"}}]}),
                           json.dumps({"tool_calls": [{"name": "nope", "arguments": {}}]}),
                           json.dumps({"content": "gave up"})])
    model.supports_tools = False
    run = run_agent("add", [add], model)
    assert run.steps[0].results[0].startswith("error: bad arguments for add")
    assert "no tool named 'nope'" in run.steps[1].results[0]
    assert "error: bad arguments" in model.requests[1].messages[-1].content
    assert run.answer == "gave up"


def test_step_limit():
    model = ScriptedModel([json.dumps({"tool_calls": [{"name": "add", "arguments": {"a": 1}}]})])
    model.supports_tools = False
    run = run_agent("loop", [add], model, max_steps=3)
    assert run.stopped == "step_limit" and run.answer is None and len(run.steps) == 3 == len(model.requests)


@pytest.mark.slow
def test_real_local_model_calls_a_tool_through_constrained_json(smollm2):
    run = run_agent("What is 17 plus 25? Use the add tool.", [add], smollm2, tool_choice="required",
                    max_steps=1, max_tokens=60)
    step = run.steps[0]
    assert step.response.prompt and "You can call these tools" in step.response.prompt
    # the grammar allows only a call to `add` with integer arguments
    assert len(step.tool_calls) == 1 and step.tool_calls[0]["name"] == "add"
    assert isinstance(step.results[0], int) or step.results[0].startswith("error:")
    assert run.stopped == "step_limit"


def test_graph_branches_and_cycles():
    g = (Graph("count")
         .node("count", lambda s: {"n": s["n"] + 1}, then=lambda s: "count" if s["n"] < 3 else "done")
         .node("done", lambda s: {"msg": f"counted to {s['n']}"}))
    state, trace = g.run({"n": 0})
    assert state["msg"] == "counted to 3" and [v.node for v in trace] == ["count"] * 3 + ["done"]
    assert trace[0].update == {"n": 1}


def test_graph_refuses_endless_cycles_and_unknown_nodes():
    loop = Graph("a").node("a", lambda s: None, then="a")
    with pytest.raises(ConfigError, match="without reaching END"):
        loop.run({}, max_steps=5)
    bad = Graph("a").node("a", lambda s: None, then=lambda s: "b")
    with pytest.raises(ConfigError, match="'b', which is not a node"):
        bad.run({})
    with pytest.raises(ConfigError, match="reserved"):
        Graph("a").node(END, lambda s: None)


def test_bound_methods_become_tools():
    class Counter:
        def __init__(self):
            self.total = 0

        def bump(self, by: int) -> int:
            """Increase the total."""
            self.total += by
            return self.total

    c = Counter()
    t = Tool.from_function(c.bump)
    assert t.name == "bump" and list(t.parameters["properties"]) == ["by"]
    assert t({"by": 2}) == 2 and json.dumps(t.spec())
