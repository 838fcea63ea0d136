"""`ladder serve`: an OpenAI-compatible HTTP server over ladder Models and Task rungs.

    config.py      ServerConfig (settings, loopback/API-key rule)
    app.py         create_app: routes, models, embeddings, tasks
    chat.py        chat and text completions (JSON and SSE), n samples, tool calls
    queue.py       Gate (bounded queue per model -> 429), Generation (model in a thread)
    errors.py      OpenAI-shaped errors;  middleware.py  body cap, request log
    metrics.py     Prometheus text for /metrics
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
    uvicorn.run(app, host=config.host, port=config.port, access_log=False, log_level="info",
                timeout_graceful_shutdown=5)


__all__ = ["ServerConfig", "Server", "create_app", "serve"]
