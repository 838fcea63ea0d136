import os
import socket
from pathlib import Path

import pytest

# Weights assembled from chunk packages (the Qwen models) are kept across tests and runs:
# a fresh data dir per test must not mean assembling a gigabyte per test.
WEIGHTS = os.environ.get("LADDER_WEIGHTS") or str(Path.home() / ".cache" / "ladder" / "weights")


@pytest.fixture(autouse=True)
def ladder_home(tmp_path, monkeypatch):
    """Every test gets its own data dir, so the call log and registry are fresh."""
    monkeypatch.setenv("LADDER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LADDER_WEIGHTS", WEIGHTS)
    monkeypatch.delenv("LADDER_LOG_DB", raising=False)
    monkeypatch.delenv("LADDER_MODELS", raising=False)
    monkeypatch.delenv("LADDER_OFFLINE", raising=False)
    monkeypatch.delenv("LADDER_MODEL", raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="session")
def smollm2():
    """The real bundled model (SmolLM2-135M-Instruct Q4_1), loaded once."""
    from ladder.models import get_model

    return get_model("smollm2")


@pytest.fixture
def no_network(monkeypatch):
    """Outbound network blocked: any connection to a non-loopback address fails."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in {"localhost", "::1"} or host.startswith("/")):
            return real_connect(self, address)
        raise OSError(f"test blocked outbound connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return guarded
