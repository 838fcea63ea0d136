"""The OpenAI-compatible HTTP API over ladder Models and Task rungs.

    GET  /health  /metrics  /v1/models  /v1/models/{model}
    POST /v1/chat/completions  /v1/completions  /v1/embeddings  /v1/tasks/{name}
    POST /v1/apps/expenses   (apps.py: the bookkeeping app, with --app expenses)

Every generation is one ``Model.stream`` call per sample (so the call log has it),
run in a worker thread behind the model's Gate (bounded queue -> 429). Errors use
OpenAI's JSON shape ``{"error": {"message", "type", "param", "code"}}``; a client
never sees a traceback (it goes to the server log).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse

from ..errors import ConfigError
from ..models.base import Model
from .apps import AppRequest, ExpensesRoute, check_apps
from .config import ServerConfig
from .errors import ApiError, install_error_handlers
from .metrics import Metrics
from .queue import Gate
from .schemas import ChatRequest, CompletionRequest, EmbeddingRequest, TaskRequest

log = logging.getLogger("ladder.server")


class Server:
    """What the routes share: served models and tasks, their gates, settings, metrics."""

    def __init__(self, config: ServerConfig, models: dict[str, Model], tasks: dict[str, tuple]):
        self.config, self.models, self.tasks = config, models, tasks  # tasks: name -> (Task, rung, model or None)
        self.gates = {name: Gate(name, config.concurrency, config.max_queue) for name in models}
        self.metrics = Metrics()
        self.executor = ThreadPoolExecutor(max_workers=max(4, 2 * len(models) * config.concurrency + 2),
                                           thread_name_prefix="ladder-gen")

    def model(self, name: str | None) -> tuple[str, Model]:
        name = next(iter(self.models)) if name is None else name
        if name not in self.models:
            aliases = {getattr(m, "name", k): k for k, m in self.models.items()}
            if name not in aliases:
                raise ApiError(404, f"The model {name!r} is not served here. Served: {', '.join(self.models)} "
                               "(start the server with --model NAME to add one).", "model", "model_not_found")
            name = aliases[name]
        return name, self.models[name]

    def max_tokens(self, req) -> int:
        asked = req.max_completion_tokens or req.max_tokens
        if asked is None:
            return min(self.config.default_max_tokens, self.config.max_tokens_cap)
        if asked > self.config.max_tokens_cap:
            raise ApiError(400, f"max_tokens {asked} is above this server's cap of {self.config.max_tokens_cap} "
                           "(ask for fewer, or start the server with a higher --max-tokens-cap).", "max_tokens")
        return asked

    def deadline(self) -> float:
        return time.monotonic() + self.config.timeout_s

    async def run_in_slot(self, name: str, what: str, fn, *args, executor: ThreadPoolExecutor | None = None):
        """``fn(*args)`` in a worker thread, holding model ``name``'s slot, within --timeout
        (a 504 naming ``what`` past it). The call is shielded: a timed-out call still
        finishes in its thread, and the slot is held until the wait ends."""
        loop = asyncio.get_running_loop()
        async with self.gates[name].slot():
            try:
                return await asyncio.wait_for(asyncio.shield(loop.run_in_executor(executor or self.executor, fn, *args)),
                                              self.config.timeout_s)
            except TimeoutError:
                raise ApiError(504, f"The {what} took longer than {self.config.timeout_s} s (--timeout).",
                               code="timeout", type="timeout_error") from None


def create_app(config: ServerConfig | None = None, models: dict[str, Model] | None = None) -> FastAPI:
    """The FastAPI app. ``models`` (name -> Model) overrides ``config.models`` (tests
    pass ScriptedModel objects); tasks come from ``config.tasks``."""
    config = config or ServerConfig()
    if models is None:
        from ..models import get_model

        models = {name: get_model(name) for name in config.models}
    if not models and not config.upstream:  # a proxy (--upstream) may serve no local model
        raise ConfigError("No model to serve: give at least one --model NAME (or --upstream URL).")
    server = Server(config, models, _load_tasks(config))
    check_apps(config.apps)
    expenses_app = ExpensesRoute(server, config.ledger, config.rung, config.currency, config.today) \
        if "expenses" in config.apps else None

    @asynccontextmanager
    async def lifespan(app):
        loop = asyncio.get_running_loop()
        for m in models.values():  # load weights now, not on the first request
            if isinstance(getattr(type(m), "llama", None), property):
                await loop.run_in_executor(server.executor, lambda m=m: m.llama)
        yield
        server.executor.shutdown(wait=False, cancel_futures=True)
        if expenses_app:
            expenses_app.close()

    # docs_url/redoc_url off: FastAPI's pages load their assets from a CDN (web.py serves
    # local ones); /openapi.json stays.
    app = FastAPI(title="llm-ladder", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="OpenAI-compatible API over llm-ladder models and task rungs.")
    app.state.server = server
    server.apps = {"expenses": expenses_app} if expenses_app else {}
    install_error_handlers(app)
    from .middleware import BodyLimit, RequestLog

    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(RequestLog, server=server)  # outermost: 413s are logged too

    def auth(request: Request) -> None:
        if config.api_key and request.headers.get("authorization", "") != f"Bearer {config.api_key}":
            raise ApiError(401, "Missing or wrong API key: send 'Authorization: Bearer <key>' "
                           "(the key given to 'ladder serve --api-key' or LADDER_API_KEY).",
                           code="invalid_api_key", type="authentication_error")

    guarded = [Depends(auth)]

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "models": list(models), "tasks": list(server.tasks), "apps": config.apps}

    @app.get("/metrics", response_class=PlainTextResponse, dependencies=guarded)
    async def metrics() -> str:
        return server.metrics.render(server.gates)

    @app.get("/v1/models", dependencies=guarded)
    async def list_models() -> dict:
        return {"object": "list", "data": [_model_card(n) for n in models]}

    @app.get("/v1/models/{model:path}", dependencies=guarded)
    async def get_model_card(model: str) -> dict:
        return _model_card(server.model(model)[0])

    # Routes mounted first win: proxy.py takes /v1/chat/completions when --upstream is given.
    from . import audio, proxy, web

    proxy.mount(app, server, guarded)
    audio.mount(app, server, guarded)
    web.mount(app, server, guarded)

    @app.post("/v1/chat/completions", dependencies=guarded)
    async def chat_completions(req: ChatRequest, request: Request):
        from .chat import chat

        return await chat(server, req, request)

    @app.post("/v1/completions", dependencies=guarded)
    async def completions(req: CompletionRequest, request: Request):
        from .chat import completion

        return await completion(server, req, request)

    @app.post("/v1/embeddings", dependencies=guarded)
    async def embeddings(req: EmbeddingRequest) -> dict:
        return await _embeddings(server, req)

    @app.post("/v1/tasks/{name}", dependencies=guarded)
    async def run_task(name: str, req: TaskRequest, request: Request) -> dict:
        return await _run_task(server, name, req)

    if expenses_app:
        @app.post("/v1/apps/expenses", dependencies=guarded)
        async def expenses(req: AppRequest) -> dict:
            return await expenses_app(req)

    return app


def _model_card(name: str) -> dict:
    return {"id": name, "object": "model", "created": 0, "owned_by": "llm-ladder"}


def _load_tasks(config: ServerConfig) -> dict[str, tuple]:
    from ..rungs import build_rung
    from ..tasks import load_task

    out = {}
    for name in config.tasks:
        task = load_task(name)
        rung, model = config.pick_for(task.name)
        out[task.name] = (task, build_rung(rung), model)
    return out


async def _embeddings(server: Server, req: EmbeddingRequest) -> dict:
    """Vectors from the model's own embedding mode (llama.cpp ``embedding=True``): token
    vectors are mean-pooled and L2-normalized, so cosine similarity is a dot product."""
    name, model = server.model(req.model)
    texts = req.texts()
    if not texts or len(texts) > 256 or any(not t for t in texts):
        raise ApiError(400, "input must be a non-empty string or a list of 1 to 256 non-empty strings.", "input")
    if not callable(getattr(model, "embed", None)):
        raise ApiError(400, f"The model {name!r} has no embedding mode; serve a GGUF model "
                       "(e.g. --model smollm2) for /v1/embeddings.", "model", "embeddings_unsupported")
    loop = asyncio.get_running_loop()
    async with server.gates[name].slot():
        vectors = await loop.run_in_executor(server.executor, model.embed, texts)
        tokens = sum(model.count_tokens(t) for t in texts)
    server.metrics.usage(name, tokens, 0, 0)
    encode = _base64 if req.encoding_format == "base64" else (lambda v: v)
    data = [{"object": "embedding", "index": i, "embedding": encode(_pool(v))} for i, v in enumerate(vectors)]
    return {"object": "list", "data": data, "model": name,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def _base64(vector: list[float]) -> str:
    import base64
    import struct

    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def _pool(vector: list) -> list[float]:
    if vector and isinstance(vector[0], list):  # one vector per token: mean-pool
        n = len(vector)
        vector = [sum(col) / n for col in zip(*vector)]
    norm = sum(x * x for x in vector) ** 0.5 or 1.0
    return [x / norm for x in vector]


async def _run_task(server: Server, name: str, req: TaskRequest) -> dict:
    if name not in server.tasks:
        raise ApiError(404, f"The task {name!r} is not served here. Served: {', '.join(server.tasks) or 'none'} "
                       "(start the server with --task NAME).", code="task_not_found")
    task, rung, picked = server.tasks[name]
    missing = [f for f in task.input_fields if f not in req.input]
    unknown = [f for f in req.input if f not in task.input_fields]
    if missing or unknown:
        problems = ([f"missing field(s) {missing}"] if missing else []) + ([f"unknown field(s) {unknown}"] if unknown else [])
        raise ApiError(400, f"Bad input for task {name!r}: {'; '.join(problems)}. "
                       f"It takes the fields {task.input_fields}.", "input")
    if any(not isinstance(v, (str, int, float)) for v in req.input.values()):
        raise ApiError(400, f"Input fields of task {name!r} must be strings or numbers.", "input")
    # the request's model, else the task's picked model when served, else the default one
    model_name, model = server.model(req.model or (picked if picked in server.models else None))
    prediction = await server.run_in_slot(model_name, "task", rung, task, req.input, model)
    server.metrics.usage(model_name, prediction.prompt_tokens, prediction.completion_tokens, prediction.cached_tokens)
    return {
        "object": "task.result", "task": name, "rung": rung.name, "model": model_name,
        "output": prediction.output, "error": prediction.error,
        "usage": {"prompt_tokens": prediction.prompt_tokens, "completion_tokens": prediction.completion_tokens,
                  "total_tokens": prediction.prompt_tokens + prediction.completion_tokens,
                  "prompt_tokens_details": {"cached_tokens": prediction.cached_tokens}},
        "latency_s": round(prediction.latency_s, 4), "calls": len(prediction.calls),
    }

@contextlib.contextmanager
def running(app):
    """Serve ``app`` on loopback (a free port, in a thread) until the block ends; yields
    the base URL (``http://127.0.0.1:PORT``). For tests and benchmarks."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
