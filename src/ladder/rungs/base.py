"""What every rung shares: the Prediction it returns, the Call that says how an answer
is asked for, and the one way to call a model (``ask``).

A rung is any callable ``rung(task, input, model, run_id=None) -> Prediction`` with a
``name``. Rungs compose as values: prompt rungs are built from prompt parts (examples,
reasoning, retrieved context), and call wrappers (self-check, self-consistency) wrap a
rung. A wrapper continues from what its inner rung returned — ``Prediction.messages``
and ``Prediction.call`` — and never reaches into the inner rung itself.

Every JSON output type is supported: the task's output schema may be an object, a
string (enum or free), a number, a boolean or an array; the prompt describes it
(``describe_output``), and chain of thought wraps a non-object answer as
``{"reasoning": ..., "answer": <value>}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models.base import Message, Model, Response, as_messages
from ..schema import validate
from ..tasks import Example, Task

REASONING = "reasoning"


@dataclass(frozen=True)
class Call:
    """How one structured answer is asked for: the schema the model writes, whether
    decoding is constrained to it, the token budget and temperature. With
    ``reasoning``, the schema holds a reasoning field before the answer, and
    ``output()`` takes the answer out."""

    schema: dict
    constrained: bool = True
    max_tokens: int = 256
    temperature: float = 0.0
    reasoning: bool = False  # schema = the task's with "reasoning" first (objects) or {"reasoning","answer"}
    wrapped: bool = False  # reasoning around a non-object answer: the output is value["answer"]

    def output(self, value: Any) -> Any:
        if not self.reasoning or value is None:
            return value
        if self.wrapped:
            return value["answer"]
        return {k: v for k, v in value.items() if k != REASONING}

    @classmethod
    def for_task(cls, task: Task, *, constrained: bool = True, reasoning_chars: int = 0) -> "Call":
        """The task's schema and generation settings; ``reasoning_chars`` > 0 adds a
        bounded reasoning field written before the answer (and its token budget)."""
        gen = task.generation
        if not reasoning_chars:
            return cls(task.schema, constrained, gen.max_tokens, gen.temperature)
        schema, wrapped = with_reasoning(task.schema, reasoning_chars)
        return cls(schema, constrained, gen.max_tokens + reasoning_chars // 2, gen.temperature,
                   reasoning=True, wrapped=wrapped)


def with_reasoning(schema: dict, max_chars: int) -> tuple[dict, bool]:
    """(schema with a bounded "reasoning" field first, whether the answer was wrapped)."""
    reasoning = {"type": "string", "maxLength": max_chars}
    props = schema.get("properties")
    if schema.get("type") == "object" and isinstance(props, dict) and REASONING not in props:
        out = dict(schema)
        out["properties"] = {REASONING: reasoning, **props}
        out["required"] = [REASONING, *schema.get("required", [])]
        return out, False
    inner = {k: v for k, v in schema.items() if k not in ("$defs", "definitions", "$schema")}
    out = {"type": "object", "properties": {REASONING: reasoning, "answer": inner},
           "required": [REASONING, "answer"], "additionalProperties": False}
    for key in ("$defs", "definitions"):  # keep "#/$defs/..." references resolvable
        if key in schema:
            out[key] = schema[key]
    return out, True


@dataclass
class Prediction:
    """A rung's answer to one input: the output, and every message and model call behind it."""

    output: Any  # the structured answer (any JSON type); None when no valid one was produced
    text: str = ""  # raw text of the final model call
    messages: list[Message] = field(default_factory=list)  # exact final messages sent
    calls: list[Response] = field(default_factory=list)  # every model call, in order
    error: str | None = None  # why output is None, or the last unresolved problem
    call: Call | None = None  # how the answer was asked for (wrappers ask again the same way)
    model: Model | None = None  # the model that answered (a student is not the climb's model)
    fixed: list[str] = field(default_factory=list)  # problems the task's fixes resolved (Task.repair)

    @property
    def prompt_tokens(self) -> int:
        return sum(r.prompt_tokens for r in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(r.completion_tokens for r in self.calls)

    @property
    def cached_tokens(self) -> int:
        return sum(r.cached_tokens for r in self.calls)

    @property
    def latency_s(self) -> float:
        return sum(r.latency_s for r in self.calls)

    @property
    def ttft_s(self) -> float:
        return self.calls[0].ttft_s if self.calls else 0.0

    @property
    def retries(self) -> int:
        return max(0, len(self.calls) - 1)


class Rung(Protocol):
    """One strategy for doing a Task with a Model: ``rung(task, input, model) -> Prediction``."""

    name: str

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction: ...


# -- prompts ----------------------------------------------------------------------

def _type_words(schema: dict) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    if "const" in schema:
        return "exactly " + json.dumps(schema["const"], ensure_ascii=False)
    t = schema.get("type")
    if isinstance(t, list):
        return " or ".join(t)
    if t == "array":
        items = schema.get("items")
        return f"an array of {_type_words(items)}" if isinstance(items, dict) and items else "an array"
    return {"string": "a string", "number": "a number", "integer": "an integer", "boolean": "true or false",
            "object": "a JSON object", "null": "null"}.get(t, "a JSON value")


def describe_output(schema: dict) -> str:
    """One sentence saying what to answer with, right for every JSON output type."""
    props = schema.get("properties")
    if schema.get("type") == "object" and isinstance(props, dict) and props:
        return f"Answer with one JSON object with the keys: {', '.join(props)}."
    text = f"Answer with one JSON value: {_type_words(schema)}"
    if schema.get("type") == "string":
        text += " (a JSON string, in double quotes)"
    text += "."
    if schema.get("description"):
        text += f" ({schema['description']})"
    return text


def system_prompt(task: Task, notes: list[str] = (), instructions: str | None = None) -> str:
    """The task's instructions (or ``instructions`` in their place: an optimized prompt),
    the input fields, what to answer with, and the notes."""
    parts = [task.instructions if instructions is None else instructions]
    described = task.input_descriptions()
    if described:
        parts.append("Input fields:\n" + "\n".join(f"- {k}: {d}" for k, d in described.items()))
    parts.append(describe_output(task.schema))
    text = "\n\n".join(parts)
    extra = "\n".join(n for n in notes if n)
    return f"{text}\n{extra}".strip() if extra else text


def example_turns(task: Task, examples: list[Example]) -> list[dict]:
    turns = []
    for ex in examples:
        turns.append({"role": "user", "content": task.format_input(ex.input)})
        turns.append({"role": "assistant", "content": json.dumps(ex.expected, ensure_ascii=False)})
    return turns


def build_messages(task: Task, input: dict, examples: list[Example] = (), notes: list[str] = (),
                   instructions: str | None = None) -> list[Message]:
    """System prompt (instructions, input fields, output, notes), example turns, the input."""
    return as_messages([{"role": "system", "content": system_prompt(task, list(notes), instructions)},
                        *example_turns(task, list(examples)),
                        {"role": "user", "content": task.format_input(input)}])


# -- one call -----------------------------------------------------------------------

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def extract_json(text: str, schema: dict | None = None) -> str:
    """The JSON answer inside free text (for unconstrained output): the whole text when
    it parses, else the first balanced {...} or [...] block; for a string schema, bare
    text counts as the string (a model asked for "positive" often writes positive)."""
    text = _FENCE.sub("", text.strip())
    try:
        json.loads(text)
        return text
    except json.JSONDecodeError:
        pass
    wants = (schema or {}).get("type")
    opener = "[" if wants == "array" else "{"
    start = text.find(opener)
    if start >= 0:
        return _balanced(text, start)
    if wants == "string" or (schema and "enum" in schema and wants in (None, "string")):
        first = text.strip().splitlines()[0].strip().strip('"').strip() if text.strip() else ""
        return json.dumps(first, ensure_ascii=False)
    m = re.search(r"-?\d+(?:\.\d+)?|true|false|null", text)
    return m.group(0) if m and wants in ("number", "integer", "boolean") else text


def _balanced(text: str, start: int) -> str:
    close = {"{": "}", "[": "]"}[text[start]]
    depth, in_str, esc = 0, False, False
    for i, ch in enumerate(text[start:], start):
        if in_str:
            esc = ch == "\\" and not esc
            if ch == '"' and not esc:
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == text[start]:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return text[start:]


@dataclass
class Answer:
    output: Any  # the validated answer (reasoning taken out), None when invalid
    response: Response
    error: str | None  # the validation message when output is None


def ask(model: Model, messages: list[Message], call: Call, run_id: str | None = None, **options) -> Answer:
    """One model call for a structured answer.

    ``call.constrained`` sends the schema to the model (a grammar for local models,
    response_format for remote ones); without it the answer is pulled out of free
    text and validated, which is what "constrained decoding off" measures.
    """
    opts = {"max_tokens": call.max_tokens, "temperature": call.temperature, **options}
    stream = model.stream(messages, schema=call.schema if call.constrained else None, run_id=run_id, **opts)
    for _ in stream:
        pass
    r = stream.response
    value, error = validate(call.schema, r.text if call.constrained else extract_json(r.text, call.schema))
    r.parsed = value
    return Answer(call.output(value), r, error)
