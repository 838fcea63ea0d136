"""`ladder serve`: an OpenAI-compatible HTTP server over ladder Models and Task rungs.

    config.py      ServerConfig (settings, loopback/API-key rule)
    app.py         create_app: routes, models, embeddings, tasks
    chat.py        chat and text completions (JSON and SSE), n samples, tool calls
    queue.py       Gate (bounded queue per model -> 429), Generation (model in a thread)
    errors.py      OpenAI-shaped errors;  middleware.py  body cap, request log
    metrics.py     Prometheus text for /metrics

Prompt caching. A llama.cpp model keeps the KV cache of the previous prompt and
recomputes only what follows the longest common token prefix; the reused count is
``usage.prompt_tokens_details.cached_tokens``, as in OpenAI's API. To benefit, put
what is static first and what changes last: system prompt, then few-shot examples,
then RAG context shared by many questions, then the user's question. Anything
that varies (a date, a request id, a user name) placed early makes every token
after it a cache miss. The cache holds one prompt per loaded model: clients that
interleave different long prefixes evict each other (measured in bench/RESULTS.md).

Embeddings (/v1/embeddings) come from the served GGUF model's own embedding mode
(llama.cpp ``embedding=True``, token vectors mean-pooled and L2-normalized); a
model without ``embed`` (e.g. ScriptedModel, remote models) answers 400.
"""

from __future__ import annotations

from .config import ServerConfig


def __getattr__(name):  # FastAPI loads only when the server is used, not on every `ladder` command
    if name in ("Server", "create_app"):
        from . import app

        return getattr(app, name)
    raise AttributeError(name)


def serve(config: ServerConfig) -> None:
    """Run the server until Ctrl-C (uvicorn, one process: models live in memory)."""
    import logging

    import uvicorn

    config.check_exposure()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from .app import create_app

    app = create_app(config)
    base = f"http://{'[' + config.host + ']' if ':' in config.host else config.host}:{config.port}"
    if config.apps:
        print(f"the bookkeeping page: {base}/   the workbench: {base}/workbench   the API: {base}/v1", flush=True)
    uvicorn.run(app, host=config.host, port=config.port, access_log=False, log_level="info",
                timeout_graceful_shutdown=5)


__all__ = ["ServerConfig", "Server", "create_app", "serve"]
