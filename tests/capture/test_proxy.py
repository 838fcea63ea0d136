"""The proxy on loopback: forwarding (JSON and SSE), tags, errors, retries, and redaction
proven on the bytes the upstream server received."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from capturing import SCHEMA, ask, echo, extract, scripted

from ladder.capture.store import get_store
from ladder.errors import ConfigError
from ladder.log import get_log
from ladder.server.app import create_app
from ladder.server.config import ServerConfig

PRIVATE = {  # original -> language of the sentence it is in
    "alice.chen@example.com.tw": "zh", "0912-345-678": "zh", "4111 1111 1111 1111": "zh",
    "tanaka@example.jp": "ja", "090-1234-5678": "ja", "5555-5555-5555-4444": "ja",
    "bob@corp.io": "en", "+1 (415) 555-0100": "en", "378282246310005": "en",
}
MESSAGES = [
    "請把收據寄到alice.chen@example.com.tw，電話0912-345-678，卡號4111 1111 1111 1111。",
    "田中です。メールはtanaka@example.jp、電話は090-1234-5678、カードは5555-5555-5555-4444です。",
    "I'm Bob (bob@corp.io, +1 (415) 555-0100); charge card 378282246310005 please.",
]


def test_forwards_json_and_streams_with_usage_and_logs_the_tag(servers, openai_client):
    recorder, proxy, _ = servers({"big": scripted(extract, "big")})
    client = openai_client(proxy)
    resp = client.chat.completions.with_raw_response.create(
        model="big", messages=[{"role": "user", "content": "lunch 180"}], temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "e", "schema": SCHEMA}},
        metadata={"tag": "expenses", "input.text": "lunch 180"})
    assert resp.headers["x-ladder-served-by"] == "upstream"
    answer = resp.parse()
    assert json.loads(answer.choices[0].message.content) == {"item": "lunch", "amount": 180.0}
    assert answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
    stream = client.chat.completions.create(model="big", messages=[{"role": "user", "content": "taxi 250"}],
                                            stream=True, stream_options={"include_usage": True},
                                            extra_headers={"X-Ladder-Tag": "expenses"})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert json.loads(text) == {"item": "taxi", "amount": 250.0}
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    quiet = list(client.chat.completions.create(model="big", messages=[{"role": "user", "content": "tea 60"}],
                                                stream=True))
    assert all(c.usage is None for c in quiet)  # usage only when the client asked for it

    sent = [json.loads(b) for b in recorder.bodies]
    assert len(sent) == 3 and all("metadata" not in b for b in sent)  # the tag is the proxy's, not the upstream's
    rows = get_store().rows()
    assert [r["tag"] for r in rows] == ["expenses", "expenses", None]
    first = rows[0]
    assert first["served_by"] == "upstream" and first["status"] == 200 and first["returned"] == 1
    assert first["metadata"] == {"tag": "expenses", "input.text": "lunch 180"}
    assert json.loads(first["response"]) == {"item": "lunch", "amount": 180.0}
    assert rows[1]["response"] == text and rows[1]["completion_tokens"] > 0 and rows[1]["ttft_ms"] > 0
    assert first["request"]["response_format"]["json_schema"]["schema"] == SCHEMA
    logged = {c["id"]: c for c in get_log().latest(20)}
    assert logged[first["id"]]["model"] == "upstream:big" and logged[first["id"]]["run_id"] == "capture:expenses"


def test_upstream_errors_pass_through_in_openai_shape(servers, openai_client):
    _, proxy, _ = servers({"big": scripted(extract, "big")})
    with pytest.raises(openai.NotFoundError) as e:
        openai_client(proxy).chat.completions.create(model="missing", messages=[{"role": "user", "content": "x"}])
    assert "not served here" in e.value.body["message"]
    bad = httpx.post(f"{proxy}/v1/chat/completions", content=b"{not json")
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]["message"]
    assert get_store().rows()[0]["status"] == 404


def test_retries_a_busy_upstream(servers, openai_client):
    recorder, proxy, _ = servers({"big": scripted(extract, "big")}, fail_first=2)
    answer = ask(openai_client(proxy), "lunch 90")
    assert json.loads(answer.choices[0].message.content)["amount"] == 90
    assert recorder.seen == 3  # two 503s, then the answer


def test_an_unreachable_upstream_is_a_502_that_says_what_to_check(openai_client):
    import socket

    from ladder.server.app import running

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    app = create_app(ServerConfig(models=[], upstream=f"http://127.0.0.1:{port}/v1"))
    app.state.server.proxy.upstream.backoff = 0.01
    with running(app) as proxy:
        r = httpx.post(f"{proxy}/v1/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 502
    assert "Cannot reach the upstream" in r.json()["error"]["message"] and "--upstream" in r.json()["error"]["message"]


@pytest.mark.parametrize("stream", [False, True])
def test_redaction_the_upstream_never_receives_the_originals(servers, openai_client, stream):
    recorder, proxy, _ = servers({"big": scripted(echo, "big")}, redact=True)
    client = openai_client(proxy)
    for text in MESSAGES:
        kw = dict(model="big", messages=[{"role": "system", "content": "Repeat the message."},
                                         {"role": "user", "content": text}], max_tokens=200)
        if stream:
            answer = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
                stream=True, extra_headers={"X-Ladder-Tag": "support"}, **kw) if c.choices)
        else:
            answer = client.chat.completions.create(extra_headers={"X-Ladder-Tag": "support"}, **kw).choices[0].message.content
        assert answer == f"Noted: {text}"  # the client gets its originals back
    received = recorder.text()
    assert len(recorder.bodies) == len(MESSAGES)
    for original in PRIVATE:
        assert original not in received, original
        assert original not in json.dumps(json.loads(received.splitlines()[0]))  # not even JSON-escaped
    assert "[EMAIL_1]" in received and "[PHONE_1]" in received and "[CARD_1]" in received
    rows = get_store().rows("support")
    stored = json.dumps(rows, ensure_ascii=False)
    assert all(r["redacted"] == 1 for r in rows)
    for original in PRIVATE:  # the local log is redacted too, by default
        assert original not in stored, original
    calls = json.dumps(get_log().latest(50), ensure_ascii=False)
    assert not any(original in calls for original in PRIVATE)


def test_log_original_keeps_the_originals_locally_only(servers, openai_client):
    recorder, proxy, _ = servers({"big": scripted(echo, "big")}, redact=True, log_original=True)
    client = openai_client(proxy)
    client.chat.completions.create(model="big", messages=[{"role": "user", "content": MESSAGES[0]}],
                                   extra_headers={"X-Ladder-Tag": "support"})
    assert "alice.chen@example.com.tw" not in recorder.text()
    row = get_store().rows("support")[0]
    assert row["redacted"] == 0
    assert row["request"]["messages"][0]["content"] == MESSAGES[0]
    assert row["response"] == f"Noted: {MESSAGES[0]}"


def test_redaction_patterns_from_a_file(servers, openai_client, tmp_path):
    patterns = tmp_path / "patterns.yaml"
    patterns.write_text("EMPLOYEE: 'EMP-\\d{6}'\n", encoding="utf-8")
    recorder, proxy, _ = servers({"big": scripted(echo, "big")}, redact=True, redact_patterns=str(patterns))
    answer = openai_client(proxy).chat.completions.create(
        model="big", messages=[{"role": "user", "content": "社員番号EMP-004211の経費"}]).choices[0].message.content
    assert answer == "Noted: 社員番号EMP-004211の経費"
    assert "EMP-004211" not in recorder.text() and "[EMPLOYEE_1]" in recorder.text()


def test_proxy_settings_without_an_upstream_are_refused():
    with pytest.raises(ConfigError, match="need\\(s\\) an upstream"):
        create_app(ServerConfig(models=[], redact=True), models={"big": scripted(echo, "big")})
    with pytest.raises(ConfigError, match="not served"):
        create_app(ServerConfig(models=[], upstream="http://127.0.0.1:9/v1", routes={"big": "student"}), models={})
