"""The whole loop on loopback, with real processes and the bundled models:

    ladder serve --model smollm2                      (the "big model" upstream, its own data dir)
    ladder serve --upstream URL                       (capture: the app's tagged calls are logged)
    ladder dataset from-log / ladder init --from-log  (the log becomes a task)
    ladder distill --source gold --preset quick       (a student, 2 training steps)
    ladder serve --upstream URL --route smollm2=STUDENT --task DIR
                                                      (the app's code, unchanged, gets the student)
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from capturing import SCHEMA, lines
from click.testing import CliRunner

from ladder.capture.store import get_store
from ladder.cli import cli
from ladder.schema import validate

TEXTS = ["lunch 180", "taxi 250", "coffee 65", "books 420", "dinner 560", "parking 40", "snacks 35",
         "movie tickets 300", "groceries 1200", "bus fare 15"]


def app(client, text: str) -> str:
    """The client application: it knows nothing about ladder but a tag header."""
    return client.chat.completions.create(
        model="smollm2",
        messages=[{"role": "system", "content": "Extract the item and the amount of the expense as JSON."},
                  {"role": "user", "content": text}],
        response_format={"type": "json_schema", "json_schema": {"name": "expense", "schema": SCHEMA}},
        temperature=0, max_tokens=48, extra_headers={"X-Ladder-Tag": "receipts"},
    ).choices[0].message.content


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def ladder_serve(*args, env=None, log=None):
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "ladder.cli", "serve", "--port", str(port), *args],
                            env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"ladder serve {' '.join(args)} exited with {proc.returncode}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "ladder serve did not start"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.slow
def test_capture_dataset_distill_route(tmp_path, openai_client):
    log = open(tmp_path / "servers.log", "w")
    runner = CliRunner()
    with ladder_serve("--model", "smollm2", env={"LADDER_HOME": str(tmp_path / "upstream-home")}, log=log) as up:
        # 1. capture
        with ladder_serve("--upstream", f"{up}/v1", log=log) as proxy:
            client = openai_client(proxy)
            answers = [app(client, t) for t in TEXTS]
        assert all(validate(SCHEMA, a)[1] is None for a in answers)
        # 2. the log as a dataset, and as a task
        r = runner.invoke(cli, ["dataset", "from-log", "--tag", "receipts", "--out", str(tmp_path / "data.jsonl")])
        assert r.exit_code == 0 and f"{len(TEXTS)} rows from {len(TEXTS)} captured call(s)" in r.output, r.output
        assert [row["expected"] for row in lines(tmp_path / "data.jsonl")] == [json.loads(a) for a in answers]
        task = tmp_path / "receipts"
        r = runner.invoke(cli, ["init", "--from-log", "receipts", "--out", str(task)])
        assert r.exit_code == 0, r.output
        # 3. distill a student on it (2 steps: the loop, not the quality)
        done = subprocess.run([sys.executable, "-m", "ladder.cli", "distill", "--task", str(task), "--source", "gold",
                               "--preset", "quick", "--max-steps", "2", "--no-eval"],
                              capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "Student registered as 'receipts-student-gold'" in done.stdout
        # 4. route the upstream's model name to the student: the app's code is unchanged
        with ladder_serve("--upstream", f"{up}/v1", "--route", "smollm2=receipts-student-gold", "--task", str(task),
                          log=log) as proxy:
            client = openai_client(proxy)
            answer = app(client, "lunch 95")
    _, err = validate(SCHEMA, answer)
    assert err is None, answer
    served = get_store().rows("receipts", served_by="student")
    assert len(served) == 1 and served[0]["backend"] == "receipts-student-gold" and served[0]["response"] == answer
    assert served[0]["request"]["messages"][-1]["content"] == "text: lunch 95"
