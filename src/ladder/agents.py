"""Agents: tools from typed Python functions, a tool-calling loop, and a small graph.

    Tool.from_function(fn)     signature + docstring -> JSON Schema (pydantic checks the
                               arguments the model sends; unknown ones are an error)
    run_agent(prompt, tools, model, max_steps=5) -> AgentRun
        each step: the exact messages sent, the tool calls, their results — all kept
        local models  -> one constrained-JSON answer per step (ladder.tools_json:
                         {"tool_calls": [...]} or {"content": ...}, valid by grammar)
        native models -> the backend's own tool calls (OpenAI `tools`)
    Graph                      named nodes (state -> state updates), edges that may be
                               conditional and may form cycles, a step limit

Trade-off: the graph is a plain loop over a dict of functions, not a framework; a
workflow that outgrows it is better written as ordinary Python.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import ConfigDict, ValidationError, create_model

from .errors import ConfigError
from .models.base import Message, Model, Response, as_messages
from .tools_json import as_openai_call, parse_tool_output, tool_messages, tool_schema

# -- tools ---------------------------------------------------------------------------


@dataclass
class Tool:
    name: str
    description: str
    parameters: dict  # JSON Schema of the arguments object
    fn: Callable
    _args_model: Any = field(default=None, repr=False)

    @classmethod
    def from_function(cls, fn: Callable, name: str | None = None) -> "Tool":
        """A Tool from a function with type hints. The docstring's first paragraph is the
        description; lines ``name: text`` under ``Args:`` describe the parameters."""
        doc = inspect.getdoc(fn) or ""
        description, arg_docs = _parse_doc(doc)
        hints = typing.get_type_hints(fn)
        fields = {}
        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise ConfigError(f"Tool {fn.__name__}: *args/**kwargs cannot become a JSON Schema; "
                                  "list the parameters explicitly.")
            if p.name not in hints:
                raise ConfigError(f"Tool {fn.__name__}: parameter {p.name!r} needs a type hint.")
            from pydantic import Field

            default = ... if p.default is p.empty else p.default
            fields[p.name] = (hints[p.name], Field(default, description=arg_docs.get(p.name)))
        model = create_model(f"{fn.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields)
        schema = model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return cls(name or fn.__name__, description or fn.__name__, schema, fn, model)

    def spec(self) -> dict:
        """The OpenAI ``tools`` entry."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}

    def __call__(self, arguments: dict | str) -> Any:
        """Check the arguments against the signature, then call the function."""
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError as e:
                raise ConfigError(f"arguments for {self.name} are not JSON: {e.msg}") from None
        try:
            checked = self._args_model(**(arguments or {}))
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(map(str, x['loc'])) or '(args)'}: {x['msg']}" for x in e.errors())
            raise ConfigError(f"bad arguments for {self.name}: {problems}") from None
        return self.fn(**{k: getattr(checked, k) for k in self._args_model.model_fields})


def tool(fn: Callable) -> Tool:
    """Decorator form of Tool.from_function."""
    return Tool.from_function(fn)


def _parse_doc(doc: str) -> tuple[str, dict[str, str]]:
    parts = re.split(r"\n\s*Args:\s*\n", doc, maxsplit=1)
    description = parts[0].strip().split("\n\n")[0].replace("\n", " ")
    args = {}
    if len(parts) == 2:
        for line in parts[1].splitlines():
            m = re.match(r"\s*(\w+)(?:\s*\([^)]*\))?:\s*(.+)", line)
            if m:
                args[m.group(1)] = m.group(2).strip()
    return description, args


def tool_call_schema(tools: list[Tool | dict], tool_choice: Any = "auto", parallel: bool = True) -> dict:
    """The JSON Schema a local model's answer is constrained to, for these tools and this
    tool_choice ("auto", "none", "required", or {"type": "function", "function": {"name": X}}).
    One implementation, shared with the server: ladder.tools_json.tool_schema.
    ``parallel=False`` (OpenAI's parallel_tool_calls) allows one call per answer: small
    models otherwise repeat the same call until max_tokens cuts them off."""
    schema = tool_schema([t.spec() if isinstance(t, Tool) else t for t in tools], tool_choice)
    if not parallel:
        schema = json.loads(json.dumps(schema))
        for branch in [schema, *schema.get("anyOf", [])]:
            calls = branch.get("properties", {}).get("tool_calls")
            if calls:
                calls["maxItems"] = 1
    return schema


# -- the loop ------------------------------------------------------------------------


@dataclass
class Step:
    index: int
    messages: list[Message]  # exactly what was sent to the model at this step
    content: str | None  # the model's plain answer, when it gave one
    tool_calls: list[dict]  # [{"id", "name", "arguments"}]
    results: list[Any]  # one per tool call (an error string when the call failed)
    response: Response


@dataclass
class AgentRun:
    answer: str | None
    steps: list[Step]
    stopped: str  # "answer" | "step_limit"
    messages: list[Message]  # the conversation, tool turns included

    @property
    def tool_calls(self) -> list[dict]:
        return [c for s in self.steps for c in s.tool_calls]


def run_agent(prompt, tools: list[Tool | Callable], model: Model, *, system: str | None = None,
              max_steps: int = 5, tool_choice: Any = "auto", parallel_tool_calls: bool = False,
              run_id: str | None = None, max_tokens: int = 256) -> AgentRun:
    """Call the model; run the tools it asks for; feed back the results; repeat until it
    answers in plain text or ``max_steps`` model calls were made. ``tool_choice`` applies
    to the first step; later steps are "auto", so the model can finish."""
    tools = [t if isinstance(t, Tool) else Tool.from_function(t) for t in tools]
    by_name = {t.name: t for t in tools}
    specs = [t.spec() for t in tools]
    messages = as_messages(prompt, system)
    steps: list[Step] = []
    for i in range(max_steps):
        choice = tool_choice if i == 0 else "auto"
        if model.supports_tools:
            sent = list(messages)
            r = model.generate(sent, tools=specs, run_id=run_id, max_tokens=max_tokens)
            calls = [as_openai_call(c) for c in r.tool_calls]
            content = None if calls else r.text
        else:
            sent = as_messages(tool_messages([m.model_dump(exclude_none=True) for m in messages], specs))
            stream = model.stream(sent, schema=tool_call_schema(specs, choice, parallel_tool_calls), run_id=run_id, max_tokens=max_tokens)
            for _ in stream:
                pass
            r = stream.response
            content, calls = parse_tool_output(r.text)
        if not calls:
            steps.append(Step(i, sent, content, [], [], r))
            messages.append(Message(role="assistant", content=content or ""))
            return AgentRun(content, steps, "answer", messages)
        messages.append(Message(role="assistant", content="", tool_calls=calls))
        shown, results = [], []
        for call in calls:
            name, args = call["function"]["name"], call["function"]["arguments"]
            try:
                if name not in by_name:
                    raise ConfigError(f"no tool named {name!r}; the tools are {', '.join(by_name)}")
                result = by_name[name](args)
            except Exception as e:  # the error goes back to the model, which may fix its call
                result = f"error: {e}"
            results.append(result)
            shown.append({"id": call["id"], "name": name, "arguments": _loads(args)})
            messages.append(Message(role="tool", tool_call_id=call["id"], name=name,
                                    content=result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, default=str)))
        steps.append(Step(i, sent, None, shown, results, r))
    return AgentRun(None, steps, "step_limit", messages)


def _loads(arguments):
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except json.JSONDecodeError:
            return arguments
    return arguments


# -- the graph ------------------------------------------------------------------------

END = "END"


@dataclass
class Visit:
    node: str
    update: dict  # what the node returned


class Graph:
    """A small explicit workflow: nodes are functions ``state -> dict of updates``; an edge
    goes to a fixed node or to ``route(state) -> node name`` (a branch; cycles allowed).
    ``run`` stops at END, or raises after ``max_steps`` visits (a cycle that never ends)."""

    def __init__(self, start: str):
        self.start = start
        self.nodes: dict[str, Callable[[dict], dict | None]] = {}
        self.edges: dict[str, str | Callable[[dict], str]] = {}

    def node(self, name: str, fn: Callable[[dict], dict | None], then: str | Callable[[dict], str] = END) -> "Graph":
        if name == END:
            raise ConfigError(f"{END!r} is reserved for the end of the graph; name the node otherwise.")
        self.nodes[name], self.edges[name] = fn, then
        return self

    def run(self, state: dict, max_steps: int = 20) -> tuple[dict, list[Visit]]:
        if self.start not in self.nodes:
            raise ConfigError(f"Graph starts at {self.start!r}, which is not a node ({', '.join(self.nodes)}).")
        current, trace = self.start, []
        while current != END:
            if len(trace) >= max_steps:
                path = " -> ".join(v.node for v in trace[-6:])
                raise ConfigError(f"Graph ran {max_steps} steps without reaching END (last: {path}); "
                                  "check the routing condition or raise max_steps.")
            update = self.nodes[current](state) or {}
            state.update(update)
            trace.append(Visit(current, update))
            edge = self.edges[current]
            nxt = edge(state) if callable(edge) else edge
            if nxt != END and nxt not in self.nodes:
                raise ConfigError(f"Node {current!r} routed to {nxt!r}, which is not a node "
                                  f"({', '.join(self.nodes)}) or END.")
            current = nxt
        return state, trace


__all__ = ["Tool", "tool", "tool_call_schema", "run_agent", "AgentRun", "Step", "Graph", "Visit", "END"]
