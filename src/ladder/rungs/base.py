"""What every rung shares: the Prediction it returns and the one way to call a model.

A rung is any callable ``rung(task, input, model, run_id=None) -> Prediction`` with a
``name``. Rungs compose by wrapping (SelfCheck(FewShot(k=3))); they never inherit
from each other. A wrapper continues the conversation its inner rung left in
``Prediction.messages``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models.base import Message, Model, Response, as_messages
from ..schema import validate
from ..tasks import Example, Task


@dataclass
class Prediction:
    output: dict | None  # the structured answer; None when no valid one was produced
    text: str = ""  # raw text of the final model call
    messages: list[Message] = field(default_factory=list)  # exact final messages sent
    calls: list[Response] = field(default_factory=list)  # every model call, in order
    error: str | None = None  # why output is None, or the last unresolved problem

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
    name: str

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction: ...


def system_prompt(task: Task, extra: str = "") -> str:
    fields = ", ".join(task.output_fields)
    text = f"{task.instructions}\n\nAnswer with one JSON object with the keys: {fields}."
    return f"{text}\n{extra}".strip() if extra else text


def example_turns(task: Task, examples: list[Example]) -> list[dict]:
    turns = []
    for ex in examples:
        turns.append({"role": "user", "content": task.format_input(ex.input)})
        turns.append({"role": "assistant", "content": json.dumps(ex.expected, ensure_ascii=False)})
    return turns


def build_messages(task: Task, input: dict, examples: list[Example] = (), extra: str = "") -> list[Message]:
    return as_messages([{"role": "system", "content": system_prompt(task, extra)},
                        *example_turns(task, list(examples)),
                        {"role": "user", "content": task.format_input(input)}])


def extract_json(text: str) -> str:
    """The first {...} block of free text (for unconstrained output)."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    start = text.find("{")
    if start < 0:
        return text
    depth, in_str, esc = 0, False, False
    for i, ch in enumerate(text[start:], start):
        if in_str:
            esc = ch == "\\" and not esc
            if ch == '"' and not esc:
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return text[start:]


def ask(model: Model, messages: list[Message], schema: dict, *, constrained: bool = True,
        run_id: str | None = None, max_tokens: int = 256, **options) -> tuple[Any, Response, str | None]:
    """One model call for a structured answer: (value or None, response, error or None).

    ``constrained`` sends the schema to the model (a grammar for local models,
    response_format for remote ones); without it the answer is pulled out of free
    text and validated, which is what "constrained decoding off" measures.
    """
    stream = model.stream(messages, schema=schema if constrained else None, run_id=run_id,
                          max_tokens=max_tokens, **options)
    for _ in stream:
        pass
    r = stream.response
    value, error = validate(schema, r.text if constrained else extract_json(r.text))
    r.parsed = value
    return value, r, error
