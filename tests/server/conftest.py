"""A real uvicorn server on 127.0.0.1 (free port, in a thread) for the server tests."""

from __future__ import annotations

import contextlib

import pytest

from ladder.server.app import running


@pytest.fixture
def serve():
    """``serve(app)`` -> base URL of a live server, stopped after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda app: stack.enter_context(running(app))
