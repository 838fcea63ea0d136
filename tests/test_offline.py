"""Offline by default: the local path works with outbound network blocked."""

import socket

import pytest

from ladder import OfflineError
from ladder.models import get_model


def test_blocker_really_blocks(no_network):
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_local_model_runs_with_network_blocked(no_network):
    r = get_model("smollm2").generate("Say OK.", max_tokens=4)
    assert r.completion_tokens > 0


def test_remote_backend_refused_when_offline(monkeypatch):
    monkeypatch.setenv("LADDER_OFFLINE", "1")
    with pytest.raises(OfflineError):
        get_model("openai:gpt-4o-mini")
