"""Any OpenAI-compatible HTTP endpoint: OpenAI, Groq, Ollama, vLLM, llama.cpp server, ours.

Configuration: ``base_url`` (else ``$LADDER_OPENAI_BASE_URL``, ``$OPENAI_BASE_URL``,
else https://api.openai.com/v1) and ``api_key`` (else ``$LADDER_OPENAI_API_KEY`` /
``$OPENAI_API_KEY``; local servers often need none). 429 and 5xx responses and
connection errors are retried with exponential backoff (honouring Retry-After);
a per-process semaphore bounds concurrent requests per endpoint. With
``LADDER_OFFLINE=1`` this backend refuses to start, so nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from typing import Iterator

import httpx

from ..errors import ModelError, OfflineError
from .base import Done, Model, Request

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
_semaphores: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_sem_lock = threading.Lock()


def offline() -> bool:
    return os.environ.get("LADDER_OFFLINE", "").lower() in {"1", "true", "yes"}


class OpenAIModel(Model):
    constrains_decoding = False  # the server may; we validate either way
    supports_tools = True
    local = False

    def __init__(self, model: str, name: str | None = None, *, base_url: str | None = None,
                 api_key: str | None = None, timeout: float = 120.0, max_retries: int = 4,
                 concurrency: int = 8, backoff: float = 0.5, transport: httpx.BaseTransport | None = None):
        if offline():
            raise OfflineError(
                f"Refusing remote model {model!r}: LADDER_OFFLINE=1 is set. Unset it to allow "
                "requests to an OpenAI-compatible endpoint, or use a local model (ladder models)."
            )
        self.model = model
        self.name = name or f"openai:{model}"
        self.base_url = (base_url or os.environ.get("LADDER_OPENAI_BASE_URL")
                         or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
        self.api_key = api_key or os.environ.get("LADDER_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.max_retries, self.backoff = max_retries, backoff
        # Loopback endpoints (ours, Ollama, vLLM on this machine) are local too.
        self.local = httpx.URL(self.base_url).host in {"127.0.0.1", "localhost", "::1"}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, transport=transport,
                                    timeout=httpx.Timeout(timeout, connect=10.0))
        with _sem_lock:
            self._sem = _semaphores.setdefault((self.base_url, concurrency), threading.BoundedSemaphore(concurrency))

    def _body(self, request: Request, stream: bool) -> dict:
        o = request.options
        body = {
            "model": self.model,
            "messages": [m.model_dump(exclude_none=True) for m in request.messages],
            "max_tokens": o.max_tokens, "temperature": o.temperature, "top_p": o.top_p, "stream": stream,
        }
        if o.seed is not None:
            body["seed"] = o.seed
        if o.stop:
            body["stop"] = o.stop
        if request.schema:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "output", "schema": request.schema, "strict": True}}
        if request.tools:
            body["tools"] = request.tools
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    def _send(self, body: dict) -> httpx.Response:
        """POST with retries; returns an open (streaming) response with status 200."""
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            try:
                req = self._client.build_request("POST", "/chat/completions", json=body)
                resp = self._client.send(req, stream=True)
            except httpx.TransportError as e:
                if attempt == self.max_retries:
                    raise ModelError(f"Cannot reach {self.base_url} after {attempt + 1} tries: {e}. "
                                     "Check the base URL and that the server is running.") from e
            else:
                if resp.status_code == 200:
                    return resp
                resp.read()
                if resp.status_code not in RETRY_STATUS or attempt == self.max_retries:
                    raise ModelError(_error_text(resp, self.base_url))
                retry_after = resp.headers.get("retry-after")
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    delay = max(delay, float(retry_after))
                resp.close()
            time.sleep(delay * (1 + random.random() * 0.1))
            delay *= 2
        raise AssertionError("unreachable")

    def execute(self, request: Request) -> Iterator[str | Done]:
        body = self._body(request, stream=True)
        with self._sem:
            resp = self._send(body)
            usage, finish, calls = {}, "stop", {}
            try:
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    if chunk.get("error"):
                        raise ModelError(f"{self.base_url}: {chunk['error']}")
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices", []):
                        delta = choice.get("delta") or {}
                        for tc in delta.get("tool_calls") or []:
                            _merge_tool_call(calls, tc)
                        if delta.get("content"):
                            yield delta["content"]
                        finish = choice.get("finish_reason") or finish
            finally:
                resp.close()
        details = usage.get("prompt_tokens_details") or {}
        yield Done(prompt_tokens=usage.get("prompt_tokens", 0),
                   completion_tokens=usage.get("completion_tokens", 0),
                   cached_tokens=details.get("cached_tokens") or 0,
                   finish_reason=finish, tool_calls=[calls[i] for i in sorted(calls)])

    def embed(self, texts: list[str]) -> list[list[float]]:
        with self._sem:
            resp = self._client.post("/embeddings", json={"model": self.model, "input": texts})
        if resp.status_code != 200:
            raise ModelError(_error_text(resp, self.base_url))
        return [d["embedding"] for d in sorted(resp.json()["data"], key=lambda d: d["index"])]

    def close(self) -> None:
        self._client.close()


def _merge_tool_call(calls: dict, delta: dict) -> None:
    """Stream deltas carry pieces of each tool call; assemble them by index."""
    i = delta.get("index", len(calls))
    call = calls.setdefault(i, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
    call["id"] = delta.get("id") or call["id"]
    fn = delta.get("function") or {}
    call["function"]["name"] += fn.get("name") or ""
    call["function"]["arguments"] += fn.get("arguments") or ""


def _error_text(resp: httpx.Response, base_url: str) -> str:
    try:
        detail = resp.json().get("error", {}).get("message") or resp.text
    except (ValueError, AttributeError):
        detail = resp.text
    hint = {401: " Set OPENAI_API_KEY (or LADDER_OPENAI_API_KEY) to a valid key.",
            404: " Check the model name and the base URL (it usually ends in /v1)."}.get(resp.status_code, "")
    return f"{base_url} answered HTTP {resp.status_code}: {detail[:500]}.{hint}"

