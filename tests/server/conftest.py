"""A real uvicorn server on 127.0.0.1 (free port, in a thread) for the server tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest


@contextlib.contextmanager
def running(app):
    """Serve ``app`` on loopback; yields the base URL (``http://127.0.0.1:PORT``)."""
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


@pytest.fixture
def serve():
    """``serve(app)`` -> base URL of a live server, stopped after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda app: stack.enter_context(running(app))
