"""--upstream: the server in front of a big model — forward, capture, redact, route, shadow.

With ``ServerConfig.upstream`` set, this module takes POST /v1/chat/completions (it is
mounted before the local route, and the first route registered wins):

    request ── metadata/X-Ladder-Tag read and removed ── --redact: placeholders in
      │        the messages (and the metadata's template variables)
      ├── model in --route, no --shadow ──> the local student (chat.chat) ──> answer
      ├── model in --route, --shadow ────> upstream, answer returned; the student
      │                                     answers the same request in the background
      │                                     (one at a time; skipped when --max-queue behind)
      └── otherwise ──────────────────────> upstream (retries, SSE relayed line by line)
    answer ── placeholders restored (streaming: StreamRestorer per choice) ──> client
    each answer ──> capture store (exchanges: tag, metadata, request, answer, tokens,
                    latency, who answered, shadow pair) and, for the upstream, the call log

A routed student that belongs to a served task (``--task DIR`` whose name is the
student's ``<task>-student[-gold]`` prefix) gets the prompt it was trained on: the
task's short student instruction and the call's input (template variables, else the
last user message), under the task's output schema. Without such a task the student
sees the client's messages as they are. Students answer non-streaming; a streaming
client gets their answer as one SSE content chunk (a short JSON answer: the stream's
first token is its last).

What is logged is redacted under --redact (the originals never reach the disk) unless
--log-original. Errors keep OpenAI's shape; an upstream's own error is passed through
with its status.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from dataclasses import dataclass, replace
from types import SimpleNamespace

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError

from ..capture.redact import Redactor, Session
from ..capture.store import Exchange, get_store
from ..capture.template import call_input, message_text, output_format, tag_of
from ..capture.upstream import Upstream, UpstreamError
from ..errors import ConfigError
from .errors import ApiError, _validation_message, as_api_error, error_body
from .schemas import ChatRequest

SERVED_BY = "X-Ladder-Served-By"
_CONTENT = re.compile(rb'"content":\s*"[^"]')  # an SSE event with a first piece of text


def mount(app, server, guarded) -> None:
    """Take /v1/chat/completions when ``server.config.upstream`` is set; else check that no
    proxy-only setting was given."""
    config = server.config
    if not config.upstream:
        given = [flag for flag, on in (("--route", config.routes), ("--shadow", config.shadow),
                                       ("--redact", config.redact), ("--log-original", config.log_original)) if on]
        if given:
            raise ConfigError(f"{', '.join(given)} need(s) an upstream: add --upstream openai:MODEL or "
                              "--upstream http://HOST:PORT/v1.")
        return
    proxy = Proxy(server)
    server.proxy = proxy

    @app.post("/v1/chat/completions", dependencies=guarded)
    async def chat_completions(request: Request):
        return await proxy.chat(request)


@dataclass
class Context:
    """One request as the proxy sees it."""

    model: str  # the name the client asked for
    tag: str | None
    metadata: dict  # as logged (redacted under --redact)
    session: Session | None  # --redact: this request's placeholders
    original: dict  # the body without metadata, before redaction
    ts: float
    start: float
    pair_id: str | None = None


class Proxy:
    def __init__(self, server):
        config = self.config = server.config
        self.server = server
        self.upstream = Upstream(config.upstream, timeout=config.timeout_s)
        self.redactor = Redactor.from_file(config.redact_patterns) if config.redact else None
        missing = [local for local in config.routes.values() if local not in server.models]
        if missing:
            raise ConfigError(f"--route names {', '.join(map(repr, missing))}, which is not served: add "
                              f"--model {missing[0]} (ladder serve adds route targets itself).")
        self.store = get_store()
        self.shadows: set[asyncio.Task] = set()  # background student answers (--shadow)
        self.shadow_locks: dict[str, asyncio.Lock] = {}  # local model -> one shadow answer at a time

    # -- the route -----------------------------------------------------------------
    async def chat(self, request: Request):
        start, ts = time.perf_counter(), time.time()
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON: send a chat completion request "
                           '({"model": ..., "messages": [...]}).') from None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            raise ApiError(400, "A chat completion request needs a non-empty 'messages' list.", "messages")
        metadata = body.pop("metadata", None) or {}
        if not isinstance(metadata, dict):
            raise ApiError(400, "metadata must be an object of string keys and values.", "metadata")
        model = body.get("model") or self.upstream.model
        if not model:
            raise ApiError(400, "Name the model: 'model' is missing (or start the proxy with "
                           "--upstream openai:MODEL to give a default).", "model")
        body["model"] = model
        session = self.redactor.session() if self.redactor else None
        sent = {**body, "messages": session.redact_json(body["messages"])} if session else body
        ctx = Context(model, tag_of(request.headers, metadata),
                      session.redact_json(metadata) if session else metadata, session, body, ts, start)
        local = self.config.routes.get(model)
        if local and not self.config.shadow:
            return await self.student(sent, local, ctx, request)
        if local and len(self.shadows) < self.config.max_queue:  # a student far behind is not asked
            ctx.pair_id = uuid.uuid4().hex
            task = asyncio.create_task(self.shadow(sent, local, replace(ctx)))
            self.shadows.add(task)
            task.add_done_callback(self.shadows.discard)
        return await self.forward(sent, ctx)

    async def shadow(self, sent: dict, local: str, ctx: Context) -> None:
        """The student's answer to a shadowed request, logged beside the upstream's. One at a
        time per student, its clock started when its turn comes: the latency compared is the
        student's own, not the wait behind earlier shadow answers (the client moved on)."""
        lock = self.shadow_locks.setdefault(local, asyncio.Lock())
        async with lock:
            ctx.start = time.perf_counter()
            await self.student(sent, local, ctx, None)

    # -- upstream --------------------------------------------------------------------
    async def forward(self, sent: dict, ctx: Context):
        stream = bool(sent.get("stream"))
        up = dict(sent)
        want_usage = False
        if stream:  # usage is always asked for (the log needs it); dropped if the client did not ask
            options = dict(up.get("stream_options") or {})
            want_usage = bool(options.get("include_usage"))
            up["stream_options"] = {**options, "include_usage": True}
        ex = self._exchange("upstream", ctx, sent, self.upstream.base_url)
        try:
            resp = await self.upstream.send(up)
        except UpstreamError as e:
            ex.status, ex.error = e.status, str(e)
            self._log(ex, ctx)
            return JSONResponse(e.body, e.status, headers=e.headers)
        headers = {SERVED_BY: "upstream"}
        if stream:
            return StreamingResponse(self._relay(resp, ex, ctx, want_usage), media_type="text/event-stream",
                                     headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            raw = await resp.aread()
        finally:
            await resp.aclose()
        try:
            data = json.loads(raw)
            choices = data.get("choices") or []
        except (ValueError, AttributeError):
            ex.status, ex.error = 502, "the upstream answered something that is not a chat completion"
            self._log(ex, ctx)
            raise ApiError(502, f"The upstream {self.upstream.base_url} answered 200 with a body that is not a "
                           "chat completion.", code="upstream_error", type="server_error") from None
        ex.response = message_text(choices[0].get("message") or {}) if choices else ""
        _usage_into(ex, data.get("usage"))
        ex.ttft_ms = ex.latency_ms = (time.perf_counter() - ctx.start) * 1000
        if ctx.session and ctx.session.count:
            for choice in choices:
                if isinstance(choice.get("message"), dict):
                    choice["message"] = ctx.session.restore_json(choice["message"])
            raw = json.dumps(data, ensure_ascii=False).encode()
        self._log(ex, ctx)
        return Response(raw, media_type="application/json", headers=headers)

    async def _relay(self, resp, ex: Exchange, ctx: Context, want_usage: bool):
        """The upstream's SSE, relayed as it arrives: whatever the socket delivered at once
        goes out as one write. A plain event (no placeholder to restore, no usage chunk
        to drop, no error) is passed through as bytes and parsed for the log only after
        the stream ended; the others are parsed and rewritten (``_rewrite``)."""
        restorers, parts, payloads, first = {}, [], [], None
        session = ctx.session if ctx.session and ctx.session.count else None
        buffer, done, logged = b"", False, False
        try:
            async for raw in resp.aiter_bytes():
                buffer += raw
                *lines, buffer = buffer.split(b"\n")
                out = []
                for line in lines:
                    line = line.rstrip(b"\r")
                    if not line.startswith(b"data:"):
                        continue  # blank separators and comments; events are re-framed below
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        done = True
                        break
                    if first is None and _CONTENT.search(data):
                        first = time.perf_counter()
                    if session is None and b'"error"' not in data and (want_usage or b'"usage"' not in data):
                        out.append(b"data: " + data + b"\n\n")
                        payloads.append(data)
                        continue
                    event = self._rewrite(data, ex, session, restorers, want_usage, parts)
                    if event is not None:
                        out.append(event)
                if out:
                    yield b"".join(out)
                if done:
                    break
            for index, r in restorers.items():  # an answer whose stream ended without a finish chunk
                rest = r.flush()
                if rest:
                    yield ("data: " + json.dumps({"object": "chat.completion.chunk", "choices": [
                        {"index": index, "delta": {"content": rest}, "finish_reason": None}]},
                        ensure_ascii=False) + "\n\n").encode()
            logged = self._log_stream(ex, ctx, payloads, parts, first)  # logged before the client sees the end
            yield b"data: [DONE]\n\n"
        except Exception as e:  # the 200 went out: an error event, as OpenAI does
            ex.status, ex.error = 502, f"{type(e).__name__}: {e}"
            yield ("data: " + json.dumps(error_body(f"The upstream stream broke off: {ex.error}", "server_error",
                                                    code="upstream_error")) + "\n\n").encode()
        finally:
            await resp.aclose()
            if not logged:  # broken off, or the client went away
                self._log_stream(ex, ctx, payloads, parts, first)

    def _log_stream(self, ex: Exchange, ctx: Context, payloads: list, parts: list, first) -> bool:
        now = time.perf_counter()
        for data in payloads:  # the passed-through events, read for the log now
            with contextlib.suppress(ValueError):
                chunk = json.loads(data)
                _usage_into(ex, chunk.get("usage"))
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece and choice.get("index", 0) == 0:
                        parts.append(piece)
        payloads.clear()
        ex.latency_ms = (now - ctx.start) * 1000
        ex.ttft_ms = ((first or now) - ctx.start) * 1000
        ex.response = "".join(parts)
        self._log(ex, ctx)
        return True

    def _rewrite(self, data: bytes, ex: Exchange, session, restorers: dict, want_usage: bool,
                 parts: list) -> bytes | None:
        """One SSE event parsed: usage and errors noted, usage dropped when the client did not
        ask for it, placeholders restored in its deltas; None when nothing is left to send."""
        try:
            chunk = json.loads(data)
        except ValueError:
            return b"data: " + data + b"\n\n"
        if not isinstance(chunk, dict):
            return b"data: " + data + b"\n\n"
        if chunk.get("error"):
            ex.status, ex.error = 502, str(chunk["error"])[:500]
        if chunk.get("usage"):
            _usage_into(ex, chunk["usage"])
            if not want_usage:
                if not chunk.get("choices"):
                    return None
                chunk.pop("usage")
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            piece = delta.get("content")
            if piece and choice.get("index", 0) == 0:
                parts.append(piece)
            if session:
                r = restorers.setdefault(choice.get("index", 0), session.stream_restorer())
                text = r.feed(piece or "") + (r.flush() if choice.get("finish_reason") else "")
                if piece is not None or text:
                    delta["content"] = text
                if delta.get("tool_calls"):
                    delta["tool_calls"] = session.restore_json(delta["tool_calls"])
                choice["delta"] = delta
        return ("data: " + json.dumps(chunk, ensure_ascii=False) + "\n\n").encode()

    # -- the student -------------------------------------------------------------------
    def task_for(self, local: str):
        """The served task whose student ``local`` is (``<task>-student`` / ``-student-gold``)."""
        for name, (task, _, _) in self.server.tasks.items():
            if local in (f"{name}-student", f"{name}-student-gold"):
                return task
        return None

    async def student(self, sent: dict, local: str, ctx: Context, request: Request | None):
        """The routed student's answer to ``sent``: returned (request given) or only logged (shadow)."""
        from ..distill.sft import student_messages
        from .chat import chat

        task = self.task_for(local)
        body = {k: v for k, v in sent.items() if k in ChatRequest.model_fields}  # what a local model takes
        stream = bool(body.pop("stream", False))
        want_usage = bool((body.pop("stream_options", None) or {}).get("include_usage"))
        body["model"] = local
        for key in ("max_tokens", "max_completion_tokens"):
            if isinstance(body.get(key), int):
                body[key] = min(body[key], self.config.max_tokens_cap)
        if task is not None:
            inp = call_input(sent, ctx.metadata) or {}
            missing = [f for f in task.input_fields if f not in inp]
            if missing:
                ex = self._exchange("student", ctx, body, local, returned=request is not None)
                return self._student_failed(ex, ctx, ApiError(
                    400, f"The student {local!r} answers task {task.name!r}, which takes the input field(s) "
                    f"{task.input_fields}; this request gives {sorted(inp)}. Send them as metadata keys "
                    "input.NAME.", "metadata"), request)
            body["messages"] = student_messages(task, {f: inp[f] for f in task.input_fields})
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "output", "schema": task.schema}}
            for key in ("tools", "tool_choice", "parallel_tool_calls"):
                body.pop(key, None)
        ex = self._exchange("student", ctx, body, local, returned=request is not None)
        ex.task = str(task.root) if task is not None else None
        try:
            req = ChatRequest.model_validate(body)
        except ValidationError as e:
            message, param = _validation_message(list(e.errors()))
            return self._student_failed(ex, ctx, ApiError(400, message, param), request)
        try:
            result = await chat(self.server, req, request or _Unwatched())
        except Exception as e:
            return self._student_failed(ex, ctx, as_api_error(e), request)
        kind = task.schema.get("type") if task is not None else None
        for choice in result["choices"] if kind in ("object", "string", ["string", "null"]) else ():
            message = choice["message"]
            try:
                value = json.loads(message["content"] or "")
            except ValueError:
                continue
            if kind == "object":  # the task's fixes, as the student rung applies them (Task.repair)
                fixed, done = task.repair(inp, value)
                if done:
                    message["content"] = json.dumps(fixed, ensure_ascii=False)
            elif isinstance(value, str):  # a text task's student writes a JSON string: the client gets the text
                message["content"] = value
        ex.response = result["choices"][0]["message"]["content"] or ""
        _usage_into(ex, result.get("usage"))
        ex.ttft_ms = ex.latency_ms = (time.perf_counter() - ctx.start) * 1000
        if ctx.session and ctx.session.count:
            result["choices"] = ctx.session.restore_json(result["choices"])
        self._log(ex, ctx)
        if request is None:
            return None
        result["model"] = ctx.model  # the client asked for this name; the header says who answered
        headers = {SERVED_BY: f"student:{local}"}
        if stream:
            return StreamingResponse(_as_events(result, want_usage), media_type="text/event-stream",
                                     headers={**headers, "Cache-Control": "no-cache"})
        return JSONResponse(result, headers=headers)

    def _student_failed(self, ex: Exchange, ctx: Context, err: ApiError, request):
        ex.status, ex.error = err.status, err.message
        self._log(ex, ctx)
        if request is not None:
            raise err

    # -- logging ------------------------------------------------------------------------
    def _exchange(self, served_by: str, ctx: Context, body: dict, backend: str, returned: bool = True) -> Exchange:
        keep_original = ctx.session is not None and self.config.log_original
        if keep_original:
            body = ctx.original if served_by == "upstream" else ctx.session.restore_json(body)
        return Exchange(served_by, ctx.model, backend, body, tag=ctx.tag,
                        metadata=ctx.session.restore_json(ctx.metadata) if keep_original else ctx.metadata,
                        pair_id=ctx.pair_id, returned=returned, ts=ctx.ts,
                        redacted=bool(ctx.session and ctx.session.count and not keep_original))

    def _log(self, ex: Exchange, ctx: Context) -> None:
        if ctx.session and self.config.log_original:
            ex.response = ctx.session.restore(ex.response)
        self.store.add(ex)
        if ex.served_by == "upstream" and ex.status == 200:
            _call_log(ex)  # a student's call is in the call log already (Model.stream logs it)


class _Unwatched:
    """The request a shadow answer runs under: it never disconnects (the client already
    has the upstream's answer); the server's --timeout still bounds it."""

    async def receive(self):
        await asyncio.Event().wait()


def _usage_into(ex: Exchange, usage) -> None:
    if isinstance(usage, dict):
        ex.prompt_tokens = usage.get("prompt_tokens") or 0
        ex.completion_tokens = usage.get("completion_tokens") or 0
        ex.cached_tokens = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0


async def _as_events(result: dict, want_usage: bool):
    """A finished chat completion as OpenAI's SSE chunks (role + content, finish, usage)."""
    base = {"id": result["id"], "object": "chat.completion.chunk", "created": result["created"],
            "model": result["model"], "system_fingerprint": None}
    for choice in result["choices"]:
        message = choice["message"]
        delta = {"role": "assistant", "content": message.get("content") or ""}
        if message.get("tool_calls"):
            delta["tool_calls"] = [{"index": k, **c} for k, c in enumerate(message["tool_calls"])]
        for d, finish in ((delta, None), ({}, choice["finish_reason"])):
            yield "data: " + json.dumps({**base, "choices": [{"index": choice["index"], "delta": d,
                                                              "finish_reason": finish, "logprobs": None}]},
                                        ensure_ascii=False) + "\n\n"
    if want_usage:
        yield "data: " + json.dumps({**base, "choices": [], "usage": result["usage"]}) + "\n\n"
    yield "data: [DONE]\n\n"


def _call_log(ex: Exchange) -> None:
    """The upstream call in the call log too (`ladder logs` shows it), as logged above."""
    from ..log import log_call
    from ..models.base import Message, Options
    from ..models.base import Request as ModelRequest
    from ..models.base import Response as ModelResponse

    body = ex.request
    messages = []
    for m in body.get("messages") or []:
        role = "system" if m.get("role") == "developer" else m.get("role")
        if role in ("system", "user", "assistant", "tool"):
            messages.append(Message(role=role, content=message_text(m), tool_call_id=m.get("tool_call_id"),
                                    name=m.get("name") if isinstance(m.get("name"), str) else None))
    try:
        stop = body.get("stop")
        options = Options(max_tokens=body.get("max_completion_tokens") or body.get("max_tokens") or 256,
                          temperature=body.get("temperature", 1.0), top_p=body.get("top_p", 1.0),
                          seed=body.get("seed"), stop=[stop] if isinstance(stop, str) else list(stop or []))
    except (ValidationError, TypeError):
        options = Options()
    kind, schema = output_format(body)
    request = ModelRequest(messages, options, schema if kind == "json_schema" else None, body.get("tools"))
    response = ModelResponse(text=ex.response, model=f"upstream:{ex.model}", prompt_tokens=ex.prompt_tokens,
                             completion_tokens=ex.completion_tokens, cached_tokens=ex.cached_tokens,
                             ttft_s=ex.ttft_ms / 1000, latency_s=ex.latency_ms / 1000, id=ex.id)
    log_call(SimpleNamespace(name=f"upstream:{ex.model}"), request, response, run_id=f"capture:{ex.tag}" if ex.tag else None)
