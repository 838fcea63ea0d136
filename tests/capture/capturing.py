"""Helpers of the capture tests (imported by name, like tests/web/browsing.py): an upstream that records every byte it
receives, and the proxy in front of it, both uvicorn servers in threads.

The fast tests' upstream is a ladder server over ScriptedModel (a real Model that
answers deterministically: it echoes the user message, or extracts a tiny JSON), so
that redaction round trips and dataset rows are checked exactly; the slow loop test
uses the bundled smollm2 in a separate `ladder serve` process.
"""

from __future__ import annotations

import json
import re

from ladder.models.scripted import ScriptedModel


class Recorder:
    """ASGI wrapper: keeps every HTTP request body the wrapped app received, as bytes.
    ``fail_first``: answer that many requests 503 (Retry-After 0) before passing any on."""

    def __init__(self, app, fail_first: int = 0):
        self.app, self.bodies, self.fail_first, self.seen = app, [], fail_first, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.seen += 1
        if self.seen <= self.fail_first:
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", b"0")]})
            await send({"type": "http.response.body", "body": b'{"error": {"message": "busy", "type": "server_error"}}'})
            return
        parts = []

        async def recording():
            message = await receive()
            if message["type"] == "http.request":
                parts.append(message.get("body", b""))
                if not message.get("more_body"):
                    self.bodies.append(b"".join(parts))
            return message

        await self.app(scope, recording, send)

    def text(self) -> str:
        return "\n".join(b.decode("utf-8") for b in self.bodies)


def echo(messages) -> str:
    """The upstream's answer: the user's message, quoted back (placeholders included)."""
    return f"Noted: {messages[-1].content}"


def extract(messages) -> dict | str:
    """An extraction 'big model': 'lunch 180' -> {"item": "lunch", "amount": 180};
    'broken ...' -> a JSON answer that fails the schema."""
    text = messages[-1].content
    if text.startswith("broken"):
        return {"item": "x"}  # no amount: invalid under SCHEMA
    m = re.search(r"(\d+(?:\.\d+)?)", text)
    item = text.split()[0]
    return {"item": item, "amount": float(m.group(1)) if m else 0}


SCHEMA = {"type": "object", "additionalProperties": False, "required": ["item", "amount"],
          "properties": {"item": {"type": "string"}, "amount": {"type": "number"}}}
TEXTS_FOR_TASK = ["lunch 180", "taxi 250", "coffee 65", "books 420", "dinner 560", "parking 40", "snacks 35",
                  "movie 300"]
SYSTEM = "Extract the item and the amount of one expense. Reply with JSON."


def ask(client, text: str, tag: str = "expenses", model: str = "big", **kw):
    """The app under test: one extraction call, with the official openai client."""
    return client.chat.completions.create(
        model=model, messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}],
        response_format={"type": "json_schema", "json_schema": {"name": "expense", "schema": SCHEMA}},
        temperature=0, max_tokens=64, extra_headers={"X-Ladder-Tag": tag}, **kw)


def scripted(fn, name):
    return ScriptedModel(fn, name=name)


def lines(path) -> list[dict]:
    return [json.loads(x) for x in open(path, encoding="utf-8") if x.strip()]
