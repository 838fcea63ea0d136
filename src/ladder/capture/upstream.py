"""The upstream: an OpenAI-compatible endpoint the proxy forwards chat completions to.

    openai:MODEL    the endpoint of ladder's openai backend: $LADDER_OPENAI_BASE_URL,
                    $OPENAI_BASE_URL, else https://api.openai.com/v1; key from
                    $LADDER_OPENAI_API_KEY / $OPENAI_API_KEY. MODEL answers requests that
                    name no model.
    URL             a base URL (http://127.0.0.1:9000/v1; a URL with no path gets /v1)

The same policy as ``ladder.models.openai``: 408/409/429/5xx answers and connection
errors are retried with exponential backoff (honouring Retry-After), and a semaphore
bounds the requests in flight until the upstream's response headers arrive (the whole
call for a JSON answer; up to the first token for a stream, whose body is relayed
outside the semaphore). It is async (httpx.AsyncClient) rather than that
backend's thread-per-call client, because a proxy relays bytes: the request body goes
up as the client sent it (minus ``metadata``) and the answer's SSE lines come back as
they arrive, with no Model/Request round trip that would drop fields the backend does
not know. An error the upstream answers without retry (400, 401, 404) is passed to
the client with its status and body.
"""

from __future__ import annotations

import asyncio
import json
import os
import random

import httpx

from ..errors import ConfigError, OfflineError
from ..models.openai import RETRY_STATUS, offline


class UpstreamError(Exception):
    """The upstream answered an error (``status``, OpenAI-shaped ``body``) or could not be reached (502)."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, headers or {}
        super().__init__(body.get("error", {}).get("message", str(body)))


def _error(status: int, message: str, code: str, type: str = "server_error") -> dict:
    return {"error": {"message": message, "type": type, "param": None, "code": code}}


class Upstream:
    def __init__(self, spec: str, *, timeout: float = 300.0, max_retries: int = 4, concurrency: int = 8,
                 backoff: float = 0.5, api_key: str | None = None):
        if spec.startswith("openai:"):
            self.model = spec.split(":", 1)[1] or None
            base = (os.environ.get("LADDER_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
                    or "https://api.openai.com/v1")
        elif spec.startswith(("http://", "https://")):
            self.model, base = None, spec
        else:
            raise ConfigError(f"--upstream {spec!r}: give openai:MODEL (the endpoint in OPENAI_BASE_URL) "
                              "or a base URL such as http://127.0.0.1:9000/v1.")
        url = httpx.URL(base)
        self.base_url = str(url.copy_with(path="/v1")) if url.path in ("", "/") else base.rstrip("/")
        self.local = url.host in {"127.0.0.1", "localhost", "::1"}
        if offline() and not self.local:
            raise OfflineError(f"Refusing upstream {self.base_url}: LADDER_OFFLINE=1 is set. Unset it to let "
                               "requests leave this machine, or point --upstream at a loopback server.")
        self.api_key = api_key or os.environ.get("LADDER_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.timeout, self.max_retries, self.backoff = timeout, max_retries, backoff
        self.concurrency = concurrency
        self._client: httpx.AsyncClient | None = None
        self._sem: asyncio.Semaphore | None = None

    def _setup(self) -> None:  # on first use, inside the server's event loop
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._client = httpx.AsyncClient(base_url=self.base_url, headers=headers,
                                             timeout=httpx.Timeout(self.timeout, connect=10.0),
                                             limits=httpx.Limits(max_connections=self.concurrency * 2))
            self._sem = asyncio.Semaphore(self.concurrency)

    async def send(self, body: dict) -> httpx.Response:
        """POST /chat/completions with retries; an open (streamed) response with status 200,
        which the caller must ``aclose()``. Raises UpstreamError otherwise."""
        self._setup()
        data = json.dumps(body, ensure_ascii=False).encode()
        delay = self.backoff
        async with self._sem:
            for attempt in range(self.max_retries + 1):
                try:
                    req = self._client.build_request("POST", "/chat/completions", content=data,
                                                     headers={"Content-Type": "application/json"})
                    resp = await self._client.send(req, stream=True)
                except httpx.TransportError as e:
                    if attempt == self.max_retries:
                        raise UpstreamError(502, _error(502, f"Cannot reach the upstream {self.base_url} after "
                                                        f"{attempt + 1} tries ({type(e).__name__}: {e}). Check "
                                                        "--upstream and that the server is running.",
                                                        "upstream_unreachable")) from None
                else:
                    if resp.status_code == 200:
                        return resp
                    raw = await resp.aread()
                    await resp.aclose()
                    if resp.status_code not in RETRY_STATUS or attempt == self.max_retries:
                        raise UpstreamError(resp.status_code, _error_body(resp.status_code, raw, self.base_url),
                                            {k: v for k, v in resp.headers.items() if k.lower() == "retry-after"})
                    retry_after = resp.headers.get("retry-after", "")
                    if retry_after.replace(".", "", 1).isdigit():
                        delay = max(delay, float(retry_after))
                await asyncio.sleep(delay * (1 + random.random() * 0.1))
                delay *= 2
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _error_body(status: int, raw: bytes, base_url: str) -> dict:
    """The upstream's OpenAI-shaped error as it sent it, else one made from its text."""
    try:
        body = json.loads(raw)
        if isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("message"):
            return body
    except ValueError:
        pass
    text = raw.decode("utf-8", "replace")[:500]
    return _error(status, f"The upstream {base_url} answered HTTP {status}: {text}", "upstream_error",
                  "invalid_request_error" if status < 500 else "server_error")
