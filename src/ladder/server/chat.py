"""/v1/chat/completions and /v1/completions: request -> Model.stream calls -> OpenAI JSON/SSE.

A request becomes a ``Call``: the served model, the messages it will see, a JSON schema
(response_format, or the tool-call schema from ladder.tools_json for models without
native tools), sampling options, and ``n`` samples (seed, seed+1, ...). Non-streaming
calls race the model against client disconnect and the per-request timeout; streaming
calls send the first SSE event only once the model produced its first piece, so an
error before that (queue full, bad schema, prompt too long) still gets its HTTP status.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import AsyncIterator

from fastapi import Request
from fastapi.responses import StreamingResponse

from .. import tools_json
from ..models.base import Model, Response
from ..schema import to_json_schema
from .errors import ApiError, as_api_error, error_body
from .queue import Generation
from .schemas import ChatMessage, ChatRequest, CompletionRequest


@dataclass
class Call:
    name: str
    model: Model
    prompts: list[list[dict]]  # one message list per prompt (chat: exactly one)
    options: dict
    n: int = 1
    seed: int | None = None
    schema: dict | None = None
    tools: list[dict] | None = None  # native tools (models with supports_tools)
    tool_mode: str | None = None  # None | "native" | "json"
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:24])
    created: int = field(default_factory=lambda: int(time.time()))

    def generations(self, server) -> list[tuple[int, Generation]]:
        out = []
        for p, messages in enumerate(self.prompts):
            for i in range(self.n):
                seed = None if self.seed is None else self.seed + i
                kwargs = dict(self.options, seed=seed, schema=self.schema)
                if self.tools:
                    kwargs["tools"] = self.tools
                out.append((p * self.n + i, Generation(self.model, messages, server.executor, **kwargs)))
        return out


def _message(m: ChatMessage) -> dict:
    out = {"role": "system" if m.role == "developer" else m.role, "content": m.text()}
    if m.tool_calls:
        out["tool_calls"] = [c.model_dump() for c in m.tool_calls]
    if m.tool_call_id:
        out["tool_call_id"] = m.tool_call_id
    if m.name:
        out["name"] = m.name
    return out


def _options(server, req) -> dict:
    return {"max_tokens": server.max_tokens(req), "temperature": req.temperature, "top_p": req.top_p,
            "stop": req.stops()}


def chat_call(server, req: ChatRequest) -> Call:
    name, model = server.model(req.model)
    messages = [_message(m) for m in req.messages]
    schema = None
    if req.response_format and req.response_format.type == "json_object":
        schema = {"type": "object"}
    elif req.response_format and req.response_format.type == "json_schema":
        if req.response_format.json_schema is None:
            raise ApiError(400, "response_format of type json_schema needs a json_schema object "
                           '({"name": ..., "schema": {...}}).', "response_format")
        schema = req.response_format.json_schema.schema_
    tools = [t.model_dump(exclude_none=True) for t in req.tools or []]
    choice = req.tool_choice.model_dump() if hasattr(req.tool_choice, "model_dump") else req.tool_choice
    call = Call(name, model, [messages], _options(server, req), req.n, req.seed)
    if not tools:
        if choice not in (None, "none", "auto"):
            raise ApiError(400, f"tool_choice {choice!r} needs a non-empty tools list.", "tool_choice")
    elif choice != "none":
        if schema is not None:
            raise ApiError(400, "Give either tools or a JSON response_format, not both.", "response_format")
        json_schema = tools_json.tool_schema(tools, choice)  # also checks a named tool_choice
        if model.supports_tools:
            call.tools, call.tool_mode = tools, "native"
        else:
            call.prompts = [tools_json.tool_messages(messages, tools)]
            schema, call.tool_mode = json_schema, "json"
    call.schema = to_json_schema(schema)  # an invalid JSON Schema is a 400 here
    return call


def completion_call(server, req: CompletionRequest) -> Call:
    name, model = server.model(req.model)
    prompts = [req.prompt] if isinstance(req.prompt, str) else list(req.prompt)
    if not prompts or len(prompts) * req.n > 32:
        raise ApiError(400, "prompt must be a string or a list of strings, and prompts x n at most 32.", "prompt")
    # The Model interface takes messages: a prompt is sent as one user turn (chat template applied).
    return Call(name, model, [[{"role": "user", "content": p}] for p in prompts], _options(server, req),
                req.n, req.seed)


# -- running ---------------------------------------------------------------------------

async def _until_disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def bounded(server, request: Request, coro):
    """Run ``coro``; cancel it when the client goes away or the timeout passes."""
    task = asyncio.ensure_future(coro)
    watcher = asyncio.ensure_future(_until_disconnect(request))
    try:
        done, _ = await asyncio.wait({task, watcher}, timeout=server.config.timeout_s,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if task in done:
        return task.result()
    task.cancel()
    try:
        await task  # the model stops at its next token; its slot is released
    except BaseException:
        pass
    if watcher in done:
        raise ApiError(499, "Client closed the request.", code="client_closed")
    raise ApiError(504, f"The request took longer than {server.config.timeout_s:g} s (--timeout).",
                   code="timeout", type="timeout_error")


async def _run_all(server, call: Call) -> list[tuple[int, Response]]:
    async with server.gates[call.name].slot():
        return [(i, await gen.run()) for i, gen in call.generations(server)]


def _usage(server, call: Call, responses: list[Response]) -> dict:
    prompt = sum(r.prompt_tokens for r in responses[:: call.n])  # each prompt counted once
    cached = sum(r.cached_tokens for r in responses[:: call.n])
    completion = sum(r.completion_tokens for r in responses)
    server.metrics.usage(call.name, sum(r.prompt_tokens for r in responses), completion,
                         sum(r.cached_tokens for r in responses))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached}}


def _chat_message(call: Call, r: Response) -> tuple[dict, str]:
    if call.tool_mode == "json":
        content, calls = tools_json.parse_tool_output(r.text)
    else:
        content, calls = r.text, [tools_json.as_openai_call(c) for c in r.tool_calls]
    message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
        return message, "tool_calls"
    return message, r.finish_reason if r.finish_reason in ("stop", "length") else "stop"


async def chat(server, req: ChatRequest, request: Request):
    call = chat_call(server, req)
    if req.stream:
        return await _sse(_chat_events(server, call, req.stream_options))
    results = await bounded(server, request, _run_all(server, call))
    choices = []
    for i, r in results:
        message, finish = _chat_message(call, r)
        choices.append({"index": i, "message": message, "finish_reason": finish, "logprobs": None})
    return {"id": f"chatcmpl-{call.id}", "object": "chat.completion", "created": call.created,
            "model": call.name, "choices": choices, "system_fingerprint": None,
            "usage": _usage(server, call, [r for _, r in results])}


async def completion(server, req: CompletionRequest, request: Request):
    call = completion_call(server, req)
    if req.stream:
        return await _sse(_completion_events(server, call, req.stream_options))
    results = await bounded(server, request, _run_all(server, call))
    choices = [{"index": i, "text": r.text, "finish_reason": r.finish_reason if r.finish_reason == "length" else "stop",
                "logprobs": None} for i, r in results]
    return {"id": f"cmpl-{call.id}", "object": "text_completion", "created": call.created, "model": call.name,
            "choices": choices, "usage": _usage(server, call, [r for _, r in results])}


# -- streaming -------------------------------------------------------------------------

def _data(obj) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


async def _pieces(server, gen: Generation, deadline: float) -> AsyncIterator[str]:
    it = gen.pieces().__aiter__()
    while True:
        try:
            piece = await asyncio.wait_for(it.__anext__(), max(0.001, deadline - time.monotonic()))
        except StopAsyncIteration:
            return
        except (TimeoutError, asyncio.TimeoutError):
            raise ApiError(504, f"The request took longer than {server.config.timeout_s:g} s (--timeout).",
                           code="timeout", type="timeout_error") from None
        yield piece


async def _chat_events(server, call: Call, stream_options) -> AsyncIterator[str]:
    base = {"id": f"chatcmpl-{call.id}", "object": "chat.completion.chunk", "created": call.created,
            "model": call.name, "system_fingerprint": None}

    def chunk(index, delta, finish=None):
        return _data({**base, "choices": [{"index": index, "delta": delta, "finish_reason": finish,
                                           "logprobs": None}]})

    deadline, responses = server.deadline(), []
    async with server.gates[call.name].slot():
        for index, gen in call.generations(server):
            if call.tool_mode:  # tool calls are parsed from the whole answer, then sent at once
                async for _ in _pieces(server, gen, deadline):
                    pass
                message, finish = _chat_message(call, gen.response)
                delta = {"role": "assistant", "content": message["content"]}
                if "tool_calls" in message:
                    delta["tool_calls"] = [{"index": k, **c} for k, c in enumerate(message["tool_calls"])]
                yield chunk(index, delta)
            else:
                first = True
                async for piece in _pieces(server, gen, deadline):
                    yield chunk(index, {"role": "assistant", "content": piece} if first else {"content": piece})
                    first = False
                if first:
                    yield chunk(index, {"role": "assistant", "content": ""})
                finish = gen.response.finish_reason if gen.response.finish_reason == "length" else "stop"
            responses.append(gen.response)
            yield chunk(index, {}, finish)
    usage = _usage(server, call, responses)
    if stream_options and stream_options.include_usage:
        yield _data({**base, "choices": [], "usage": usage})
    yield "data: [DONE]\n\n"


async def _completion_events(server, call: Call, stream_options) -> AsyncIterator[str]:
    base = {"id": f"cmpl-{call.id}", "object": "text_completion", "created": call.created, "model": call.name}
    deadline, responses = server.deadline(), []
    async with server.gates[call.name].slot():
        for index, gen in call.generations(server):
            sent = False
            async for piece in _pieces(server, gen, deadline):
                yield _data({**base, "choices": [{"index": index, "text": piece, "finish_reason": None, "logprobs": None}]})
                sent = True
            if not sent:
                yield _data({**base, "choices": [{"index": index, "text": "", "finish_reason": None, "logprobs": None}]})
            finish = "length" if gen.response.finish_reason == "length" else "stop"
            yield _data({**base, "choices": [{"index": index, "text": "", "finish_reason": finish, "logprobs": None}]})
            responses.append(gen.response)
    usage = _usage(server, call, responses)
    if stream_options and stream_options.include_usage:
        yield _data({**base, "choices": [], "usage": usage})
    yield "data: [DONE]\n\n"


class _EventStream(StreamingResponse):
    """SSE whose event generator is always closed, so the model's slot is released even
    when the client disconnects (a send fails) or the response is never iterated."""

    def __init__(self, first: str, events: AsyncIterator[str]):
        self.events = events

        async def body():
            yield first
            try:
                async for event in events:
                    yield event
            except Exception as e:  # after the 200 went out: an error event, as OpenAI does
                err = as_api_error(e)
                yield _data(error_body(err.message, err.type, err.param, err.code))

        super().__init__(body(), media_type="text/event-stream",
                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()
            await self.events.aclose()


async def _sse(events: AsyncIterator[str]) -> StreamingResponse:
    try:
        first = await events.__anext__()  # admission, schema, first token: errors keep their status
    except BaseException:
        await events.aclose()
        raise
    return _EventStream(first, events)
