"""A deterministic Model for tests: replays given responses, records what it saw.

``responses`` is a list (played in order, the last one repeats) or a function
``messages -> str | dict``; a dict is sent as JSON text. A dict with a
``"tool_calls"`` key returns those tool calls instead of text.
"""

from __future__ import annotations

import json
from typing import Callable, Iterator

from .base import Done, Model, Request


class ScriptedModel(Model):
    """A deterministic test Model that replays given responses and records every request."""

    constrains_decoding = False
    supports_tools = True

    def __init__(self, responses: list | Callable, name: str = "scripted"):
        self.name = name
        self.responses = responses
        self.requests: list[Request] = []  # every request seen, in order

    def execute(self, request: Request) -> Iterator[str | Done]:
        self.requests.append(request)
        if callable(self.responses):
            reply = self.responses(request.messages)
        else:
            i = min(len(self.requests) - 1, len(self.responses) - 1)
            reply = self.responses[i]
        prompt = "\n".join(f"{m.role}: {m.content}" for m in request.messages)
        if isinstance(reply, dict) and "tool_calls" in reply:
            yield Done(self.count_tokens(prompt), 1, prompt=prompt, finish_reason="tool_calls",
                       tool_calls=reply["tool_calls"])
            return
        text = reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)
        text = text[: request.options.max_tokens * 4]
        for i in range(0, len(text), 4):  # stream in small pieces like a real model
            yield text[i : i + 4]
        yield Done(self.count_tokens(prompt), self.count_tokens(text) if text else 0, prompt=prompt)
