"""The Model interface: messages in, a Response out.

A backend implements one method, ``execute(request)``, that yields text pieces
and finally one ``Done`` with token counts. Everything else — timing (time to
first token, latency), schema validation and retries, the call log — lives here
once, so every backend measures and logs the same way.

Capabilities are data (class attributes), not subclasses:
``can_stream``, ``constrains_decoding`` (valid JSON by construction),
``supports_tools`` (native tool calls), ``local`` (nothing leaves the machine).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError, InvalidOutput
from ..schema import to_json_schema, validate

Role = Literal["system", "user", "assistant", "tool"]


class Message(BaseModel):
    """One chat message (OpenAI shape): a role, its text, and tool calls or a tool result."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    content: str = ""
    tool_calls: list[dict] | None = None  # OpenAI shape: [{"id", "type", "function": {...}}]
    tool_call_id: str | None = None
    name: str | None = None


class Options(BaseModel):
    """Sampling options. Unknown keys are an error that names the key."""

    model_config = ConfigDict(extra="forbid")
    max_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    seed: int | None = None
    stop: list[str] = []


@dataclass
class Request:
    messages: list[Message]
    options: Options
    schema: dict | None = None
    tools: list[dict] | None = None  # OpenAI "tools" entries


@dataclass
class Done:
    """The last item a backend's ``execute`` yields."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens not recomputed (prefix cache)
    finish_reason: str = "stop"  # stop | length | tool_calls
    prompt: str | None = None  # exact text the model saw, when the backend renders it
    tool_calls: list[dict] = field(default_factory=list)


@dataclass
class Response:
    """What a Model returned for one call: text, token counts, cached tokens and timings."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    ttft_s: float = 0.0  # time to first token
    latency_s: float = 0.0  # total, all attempts
    finish_reason: str = "stop"
    parsed: Any = None  # the validated JSON value when a schema was given
    attempts: int = 1
    prompt: str | None = None
    tool_calls: list[dict] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


def as_messages(messages, system: str | None = None) -> list[Message]:
    """Accept a string, dicts or Messages; prepend ``system`` when given."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    out = [m if isinstance(m, Message) else Message(**m) for m in messages]
    if system is not None:
        out.insert(0, Message(role="system", content=system))
    if not out:
        raise ConfigError("No messages to send: give a prompt or at least one message.")
    return out


class Stream:
    """Iterate for text pieces; ``.response`` holds the Response once exhausted."""

    def __init__(self, model: "Model", request: Request, run_id: str | None, log: bool):
        self.model, self.request, self.run_id, self.log = model, request, run_id, log
        self.response: Response | None = None

    def __iter__(self) -> Iterator[str]:
        start = time.perf_counter()
        ttft, parts, done = None, [], Done()
        for item in self.model.execute(self.request):
            if isinstance(item, Done):
                done = item
            elif item:
                if ttft is None:
                    ttft = time.perf_counter() - start
                parts.append(item)
                yield item
        latency = time.perf_counter() - start
        self.response = Response(
            text="".join(parts),
            model=self.model.name,
            prompt_tokens=done.prompt_tokens,
            completion_tokens=done.completion_tokens,
            cached_tokens=done.cached_tokens,
            ttft_s=ttft if ttft is not None else latency,
            latency_s=latency,
            finish_reason=done.finish_reason,
            prompt=done.prompt,
            tool_calls=done.tool_calls,
        )
        if self.log:
            from ..log import log_call

            log_call(self.model, self.request, self.response, run_id=self.run_id)


class Model:
    """Base class. Subclasses set the capability attributes and implement execute."""

    name: str = "model"
    can_stream: ClassVar[bool] = True
    constrains_decoding: ClassVar[bool] = False
    supports_tools: ClassVar[bool] = False
    local: ClassVar[bool] = True

    def execute(self, request: Request) -> Iterator[str | Done]:  # pragma: no cover
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        """Best-effort token count (backends with a tokenizer override this)."""
        return max(1, len(text) // 4)

    # -- public API --------------------------------------------------------------
    def stream(self, messages, *, system=None, schema=None, tools=None, run_id=None,
               log: bool = True, **options) -> Stream:
        request = Request(as_messages(messages, system), _options(options),
                          to_json_schema(schema), tools)
        return Stream(self, request, run_id, log)

    def generate(self, messages, *, system=None, schema=None, tools=None, attempts: int = 2,
                 run_id=None, log: bool = True, **options) -> Response:
        """One call. With ``schema``, the result is validated (``.parsed``); an invalid
        output is retried (longer max_tokens if it was cut off, else a little sampling)
        and raises InvalidOutput, with the raw text, after ``attempts`` tries."""
        opts = _options(options)
        json_schema = to_json_schema(schema)
        request = Request(as_messages(messages, system), opts, json_schema, tools)
        total_latency, error = 0.0, ""
        for attempt in range(1, max(1, attempts) + 1):
            stream = Stream(self, request, run_id, log)
            for _ in stream:
                pass
            response = stream.response
            total_latency += response.latency_s
            response.latency_s, response.attempts = total_latency, attempt
            if json_schema is None or response.tool_calls:
                return response
            response.parsed, error = validate(json_schema, response.text)
            if error is None:
                return response
            retry = opts.model_copy()
            if response.finish_reason == "length":
                retry.max_tokens = opts.max_tokens * 2
            else:
                retry.temperature = max(opts.temperature, 0.5)
                retry.seed = (opts.seed or 0) + attempt
            request = Request(request.messages, retry, json_schema, tools)
        raise InvalidOutput(response.text, error, attempts)

    def close(self) -> None:
        """Free resources (model weights, connections)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class Sampling:
    """A view of a model whose calls sample: ``temperature`` and a seed per sample
    (``seed * 1000 + index``; set ``index`` before each sample). Everything else is
    the wrapped model's."""

    def __init__(self, model: Model, temperature: float, seed: int, index: int = 0):
        self.model, self.temperature, self.seed, self.index = model, temperature, seed, index

    def __getattr__(self, name):
        return getattr(self.model, name)

    def _sampled(self, kwargs: dict) -> dict:
        return {**kwargs, "temperature": self.temperature, "seed": self.seed * 1000 + self.index}

    def stream(self, messages, **kwargs):
        return self.model.stream(messages, **self._sampled(kwargs))

    def generate(self, messages, **kwargs):
        return self.model.generate(messages, **self._sampled(kwargs))


def _options(options: dict) -> Options:
    try:
        return Options(**options)
    except Exception as e:  # pydantic.ValidationError: name the bad key
        raise ConfigError(f"Bad model option: {e}".replace("\n", " ")) from None
