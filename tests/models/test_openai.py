"""The OpenAI-compatible backend against a real HTTP server on loopback."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ladder import ModelError, OfflineError
from ladder.models.openai import OpenAIModel


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions with SSE; fails the first `fail` requests."""

    script: list = []
    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"body": body, "auth": self.headers.get("Authorization")})
        status, payload = type(self).script.pop(0) if type(self).script else (200, "ok")
        if status != 200:
            self.send_response(status)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"error": {"message": "slow down"}}).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunks = [{"choices": [{"delta": {"content": payload[i:i + 3]}, "finish_reason": None}]}
                  for i in range(0, len(payload), 3)]
        chunks.append({"choices": [{"delta": {}, "finish_reason": "stop"}]})
        chunks.append({"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 4,
                                                "prompt_tokens_details": {"cached_tokens": 8}}})
        for c in chunks:
            self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    FakeOpenAI.script, FakeOpenAI.seen = [], []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_streams_text_and_usage(server):
    FakeOpenAI.script = [(200, '{"a": 1}')]
    m = OpenAIModel("gpt-x", base_url=server, api_key="k1")
    r = m.generate("hi", schema={"type": "object"}, max_tokens=9)
    assert r.parsed == {"a": 1}
    assert (r.prompt_tokens, r.completion_tokens, r.cached_tokens) == (11, 4, 8)
    sent = FakeOpenAI.seen[0]
    assert sent["auth"] == "Bearer k1" and sent["body"]["max_tokens"] == 9
    assert sent["body"]["response_format"]["type"] == "json_schema"
    assert m.local  # loopback endpoint


def test_429_and_5xx_are_retried(server):
    FakeOpenAI.script = [(429, None), (503, None), (200, "fine")]
    r = OpenAIModel("m", base_url=server, backoff=0.01).generate("hi")
    assert r.text == "fine" and len(FakeOpenAI.seen) == 3


def test_gives_up_after_max_retries_with_a_clear_error(server):
    FakeOpenAI.script = [(500, None)] * 3
    with pytest.raises(ModelError, match="HTTP 500"):
        OpenAIModel("m", base_url=server, backoff=0.01, max_retries=2).generate("hi")
    assert len(FakeOpenAI.seen) == 3


def test_client_errors_are_not_retried(server):
    FakeOpenAI.script = [(401, None)]
    with pytest.raises(ModelError, match="OPENAI_API_KEY"):
        OpenAIModel("m", base_url=server, backoff=0.01).generate("hi")
    assert len(FakeOpenAI.seen) == 1


def test_unreachable_endpoint_says_so():
    with pytest.raises(ModelError, match="Cannot reach"):
        OpenAIModel("m", base_url="http://127.0.0.1:9/v1", backoff=0.01, max_retries=1).generate("hi")


def test_offline_mode_refuses_remote_backends(monkeypatch):
    monkeypatch.setenv("LADDER_OFFLINE", "1")
    with pytest.raises(OfflineError, match="LADDER_OFFLINE"):
        OpenAIModel("gpt-x")
