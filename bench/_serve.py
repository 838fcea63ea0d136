"""`ladder serve` as a subprocess on a free loopback port, for the benchmarks that need a real
server process (bench_server, bench_speech, bench_proxy): started, waited for on /health
(a process that exits first is an error naming its arguments), terminated at the end."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(*args: str, env: dict | None = None, timeout_s: float = 180):
    """Yield the base URL (``http://127.0.0.1:PORT``) of ``ladder serve ARGS`` once it answers
    /health; ``env`` is added to this process's environment."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ladder.cli", "serve", "--port", str(port), *args],
                            env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"ladder serve {' '.join(args)} exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"ladder serve did not start in {timeout_s:.0f} s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
