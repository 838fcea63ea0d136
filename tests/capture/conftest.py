"""Fixtures of the capture tests: a real upstream server on loopback that records every
byte it receives (capturing.Recorder), the proxy in front of it, the official client."""

from __future__ import annotations

import contextlib

import pytest
from capturing import Recorder

from ladder.server.app import create_app, running
from ladder.server.config import ServerConfig


@pytest.fixture
def servers():
    """``servers(upstream_models, **proxy_settings)`` -> (upstream Recorder, proxy URL,
    proxy app); ``local=`` gives the proxy local models (students) by name."""
    with contextlib.ExitStack() as stack:
        def start(upstream_models: dict, local: dict | None = None, fail_first: int = 0, **settings):
            recorder = Recorder(create_app(ServerConfig(models=list(upstream_models)), models=upstream_models),
                                fail_first)
            up = stack.enter_context(running(recorder))
            config = ServerConfig(models=list(local or {}), upstream=f"{up}/v1", **settings)
            app = create_app(config, models=local or {})
            return recorder, stack.enter_context(running(app)), app
        yield start


@pytest.fixture
def openai_client():
    from openai import OpenAI

    clients = []

    def make(base: str, **kw):
        client = OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0, **kw)
        clients.append(client)
        return client
    yield make
    for c in clients:
        c.close()
