"""ASGI middleware: a request-body cap, and one log line + metrics per request."""

from __future__ import annotations

import json
import logging
import time

log = logging.getLogger("ladder.server")


async def _send_error(send, status: int, message: str, code: str) -> None:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                 "param": None, "code": code}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, before the app parses anything (the
    body is read at most max_bytes + one chunk, then replayed to the app).

    A route that takes bigger bodies (audio uploads) registers its own cap at mount
    time in ``app.state.body_limits``: ``{path: (max_bytes, "--option-that-sets-it")}``;
    the cap is looked up per request by exact path, so it lifts the limit for that
    route only."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    def _limit(self, scope) -> tuple[int, str]:
        state = getattr(scope.get("app"), "state", None)  # starlette sets scope["app"] before middleware
        own = (getattr(state, "body_limits", None) or {}).get(scope.get("path"))
        return own or (self.max_bytes, "--max-body-bytes")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_bytes, option = self._limit(scope)
        too_big = (f"Request body is larger than this server's limit of {max_bytes:,} bytes "
                   f"({option}): send less.")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes):
            return await _send_error(send, 413, too_big, "request_too_large")
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > max_bytes:
                return await _send_error(send, 413, too_big, "request_too_large")
            if not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class RequestLog:
    """``<method> <path> <status> <ms>`` per request to the ``ladder.server`` logger;
    counts and durations to the metrics (labelled by route template, not raw path)."""

    def __init__(self, app, server):
        self.app, self.server = app, server

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), [500]

        async def send_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("route")
            path = getattr(route, "path", None) or "other"
            self.server.metrics.request(path, status[0], seconds)
            client = scope.get("client") or ("-", 0)
            log.info("%s %s %s %s %d %.0fms", client[0], scope["method"], scope["path"], scope.get("http_version", ""),
                     status[0], seconds * 1000)
