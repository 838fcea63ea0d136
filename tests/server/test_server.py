"""The server end to end: a real uvicorn on loopback, the official `openai` client.

The real smollm2 model answers the short calls (plain, streaming, json_schema, tool
call by constrained JSON, embeddings, prefix cache); ScriptedModel and a slow Model
give determinism where it matters (native tool calls, n, errors, 429, cancel).
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import jsonschema
import openai
import pytest

from ladder.errors import ConfigError
from ladder.models import ScriptedModel
from ladder.models.base import Done, Model
from ladder.server import ServerConfig, create_app


def client(url: str, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=kw.pop("api_key", "unused"), max_retries=0, **kw)


class SlowModel(Model):
    """A real Model that writes ``pieces`` words, ``delay`` seconds apart, and counts them."""

    name = "slow"

    def __init__(self, pieces: int = 50, delay: float = 0.05):
        self.pieces, self.delay, self.produced = pieces, delay, 0

    def execute(self, request):
        for i in range(min(self.pieces, request.options.max_tokens)):
            time.sleep(self.delay)
            self.produced += 1
            yield f"w{i} "
        yield Done(prompt_tokens=3, completion_tokens=self.produced)


# -- real model ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live(smollm2):
    from tests.server.conftest import running

    with running(create_app(ServerConfig(), models={"smollm2": smollm2})) as url:
        yield url


def test_models_and_health(live):
    ids = [m.id for m in client(live).models.list().data]
    assert ids == ["smollm2"]
    assert client(live).models.retrieve("smollm2").id == "smollm2"
    assert httpx.get(f"{live}/health").json()["status"] == "ok"


@pytest.mark.slow  # real model: > 20 s on a loaded 2-core machine
def test_chat_plain_goes_through_the_call_log(live):
    r = client(live).chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8, temperature=0)
    assert r.choices[0].message.role == "assistant" and r.choices[0].message.content
    assert r.choices[0].finish_reason in ("stop", "length")
    assert 0 < r.usage.completion_tokens <= 8 and r.usage.prompt_tokens > 0
    from ladder.log import get_log

    row = get_log().latest(1)[0]
    assert row["response"] == r.choices[0].message.content and row["model"] == "smollm2"


@pytest.mark.slow  # real model: > 20 s on a loaded 2-core machine
def test_chat_streaming_matches_non_streaming(live):
    c = client(live)
    messages = [{"role": "user", "content": "Name a fruit."}]
    whole = c.chat.completions.create(model="smollm2", messages=messages, max_tokens=12, temperature=0)
    chunks = list(c.chat.completions.create(model="smollm2", messages=messages, max_tokens=12, temperature=0,
                                            stream=True, stream_options={"include_usage": True}))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == whole.choices[0].message.content
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] in ("stop", "length")
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


@pytest.mark.slow  # real model: > 20 s on a loaded 2-core machine
def test_json_schema_output_is_valid(live):
    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20},
                                               "age": {"type": "integer"}},
              "required": ["name", "age"], "additionalProperties": False}
    r = client(live).chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "Invent a person as JSON."}], max_tokens=40,
        temperature=0, response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}})
    jsonschema.validate(json.loads(r.choices[0].message.content), schema)


@pytest.mark.slow  # real model: > 20 s on a loaded 2-core machine
def test_tool_call_by_constrained_json(live):
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}},
                       "required": ["city"], "additionalProperties": False}}}]
    r = client(live).chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "What is the weather in Paris?"}], tools=tools,
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, max_tokens=40, temperature=0)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather" and call.id.startswith("call_")
    assert isinstance(json.loads(call.function.arguments)["city"], str)


@pytest.mark.slow  # real model: > 20 s on a loaded 2-core machine
def test_repeated_prefix_is_reported_as_cached(live):
    system = "You are a terse assistant. " + " ".join(f"Rule {i}: answer briefly." for i in range(40))
    c = client(live)
    c.chat.completions.create(model="smollm2", max_tokens=2, temperature=0,
                              messages=[{"role": "system", "content": system}, {"role": "user", "content": "Hi"}])
    r = c.chat.completions.create(model="smollm2", max_tokens=2, temperature=0,
                                  messages=[{"role": "system", "content": system}, {"role": "user", "content": "Yo"}])
    cached = r.usage.prompt_tokens_details.cached_tokens
    assert r.usage.prompt_tokens > cached > 0.8 * r.usage.prompt_tokens - 10
    assert "ladder_prefix_cache_hits_total{model=\"smollm2\"}" in httpx.get(f"{live}/metrics").text


def test_embeddings_are_unit_vectors(live):
    r = client(live).embeddings.create(model="smollm2", input=["a red apple", "a green apple", "tax law"])
    vectors = [d.embedding for d in r.data]
    assert len(vectors) == 3 and len({len(v) for v in vectors}) == 1 and len(vectors[0]) > 100
    assert all(abs(sum(x * x for x in v) - 1) < 1e-3 for v in vectors)
    assert r.usage.prompt_tokens > 0


@pytest.mark.slow  # real model: > 20 s on a loaded 2-core machine
def test_text_completion(live):
    r = client(live).completions.create(model="smollm2", prompt="Count: one, two,", max_tokens=5, temperature=0)
    assert r.choices[0].text and r.usage.completion_tokens <= 5


# -- scripted models -------------------------------------------------------------------

def test_native_tool_calls_and_n_samples(serve):
    scripted = ScriptedModel([{"tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]}, "three"])
    url = serve(create_app(ServerConfig(), models={"scripted": scripted}))
    tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    r = client(url).chat.completions.create(model="scripted", messages=[{"role": "user", "content": "1+2"}],
                                            tools=tools)
    assert r.choices[0].finish_reason == "tool_calls"
    assert json.loads(r.choices[0].message.tool_calls[0].function.arguments) == {"a": 1, "b": 2}
    assert [t["function"]["name"] for t in scripted.requests[-1].tools] == ["add"]
    r = client(url).chat.completions.create(model="scripted", messages=[{"role": "user", "content": "x"}],
                                            n=3, seed=7)
    assert [c.index for c in r.choices] == [0, 1, 2] and all(c.message.content == "three" for c in r.choices)
    assert [q.options.seed for q in scripted.requests[-3:]] == [7, 8, 9]


def test_bad_requests_get_clear_4xx(serve):
    url = serve(create_app(ServerConfig(max_tokens_cap=100, max_body_bytes=10_000),
                           models={"scripted": ScriptedModel(["ok"])}))
    c = client(url)
    msg = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.NotFoundError, match="not served here"):
        c.chat.completions.create(model="nope", messages=msg)
    with pytest.raises(openai.BadRequestError, match="cap of 100"):
        c.chat.completions.create(model="scripted", messages=msg, max_tokens=101)
    with pytest.raises(openai.BadRequestError, match="Invalid JSON Schema"):
        c.chat.completions.create(model="scripted", messages=msg, response_format={
            "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "bogus"}}})
    with pytest.raises(openai.BadRequestError, match="temperature"):
        c.chat.completions.create(model="scripted", messages=msg, temperature="hot")
    r = httpx.post(f"{url}/v1/chat/completions", json={"model": "scripted", "messages": msg, "max_token": 5})
    assert r.status_code == 400 and "max_token: unknown field" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = httpx.post(f"{url}/v1/chat/completions", json={"model": "scripted", "messages": [
        {"role": "user", "content": "x" * 20_000}]})
    assert r.status_code == 413 and "--max-body-bytes" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/v1/embeddings", json={"model": "scripted", "input": "hi"})
    assert r.status_code == 400 and "no embedding mode" in r.json()["error"]["message"]
    assert "Traceback" not in r.text


def test_queue_full_is_429_with_retry_after(serve):
    slow = SlowModel(pieces=20, delay=0.05)
    url = serve(create_app(ServerConfig(max_queue=1), models={"slow": slow}))
    body = {"model": "slow", "messages": [{"role": "user", "content": "go"}]}
    results = []

    def call():
        results.append(httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 200, 429, 429]
    refused = next(r for r in results if r.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1 and refused.json()["error"]["code"] == "queue_full"


def test_client_disconnect_stops_generation(serve):
    slow = SlowModel(pieces=200, delay=0.02)
    app = create_app(ServerConfig(), models={"slow": slow})
    url = serve(app)
    body = {"model": "slow", "stream": True, "max_tokens": 200, "messages": [{"role": "user", "content": "go"}]}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body) as r:
        assert r.status_code == 200
        next(r.iter_lines())
    time.sleep(0.5)
    stopped_at = slow.produced
    time.sleep(0.3)
    assert slow.produced == stopped_at < 100
    assert app.state.server.gates["slow"].running == 0


def test_timeout_is_504(serve):
    url = serve(create_app(ServerConfig(timeout_s=0.3), models={"slow": SlowModel(pieces=100, delay=0.02)}))
    r = httpx.post(f"{url}/v1/chat/completions", json={"model": "slow", "messages": [{"role": "user", "content": "go"}]})
    assert r.status_code == 504 and r.json()["error"]["code"] == "timeout"


def test_api_key_is_required_when_set_and_beyond_loopback(serve):
    with pytest.raises(ConfigError, match="--api-key"):
        ServerConfig(host="0.0.0.0").check_exposure()
    ServerConfig(host="0.0.0.0", api_key="k").check_exposure()
    ServerConfig(host="127.0.0.1").check_exposure()
    url = serve(create_app(ServerConfig(api_key="s3cret"), models={"scripted": ScriptedModel(["ok"])}))
    with pytest.raises(openai.AuthenticationError):
        client(url, api_key="wrong").models.list()
    assert client(url, api_key="s3cret").models.list().data[0].id == "scripted"


def test_task_endpoint_runs_the_rung(serve):
    expected = {"date": "2025-12-01", "amount": 12.5, "currency": "USD", "category": "food", "merchant": "Subway"}
    scripted = ScriptedModel([expected])
    url = serve(create_app(ServerConfig(tasks=["expenses"], rung="zero-shot"), models={"scripted": scripted}))
    good = {"text": "Lunch 12.50 dollars at Subway yesterday", "today": "2025-12-02", "default_currency": "USD"}
    r = httpx.post(f"{url}/v1/tasks/expenses", json={"input": good})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["output"] == expected and out["rung"] == "zero-shot" and out["usage"]["prompt_tokens"] > 0
    assert "Subway" in scripted.requests[-1].messages[-1].content
    r = httpx.post(f"{url}/v1/tasks/expenses", json={"input": {"text": "x", "colour": "red"}})
    assert r.status_code == 400 and "missing field(s) ['today', 'default_currency']" in r.json()["error"]["message"]
    assert httpx.post(f"{url}/v1/tasks/nope", json={"input": good}).status_code == 404


def test_a_served_task_uses_the_tasks_pick_rung_and_model(serve):
    """/v1/tasks/NAME without --rung: ladder.climb.pick's rung, on its model when served."""
    from ladder.climb import save_recommendation

    assert ServerConfig().pick_for("expenses") == ("zero-shot", None)  # no climb yet
    save_recommendation("expenses", {"rung": "few-shot-2", "model": "b"}, [])
    assert ServerConfig().pick_for("expenses") == ("few-shot-2", "b")
    assert ServerConfig(rung="cot").pick_for("expenses") == ("cot", None)  # --rung wins
    expected = {"date": "2025-12-01", "amount": 12.5, "currency": "USD", "category": "food", "merchant": "Subway"}
    models = {"a": ScriptedModel([expected], name="a"), "b": ScriptedModel([expected], name="b")}
    url = serve(create_app(ServerConfig(tasks=["expenses"]), models=models))
    good = {"input": {"text": "Lunch 12.50 dollars at Subway", "today": "2025-12-02", "default_currency": "USD"}}
    out = httpx.post(f"{url}/v1/tasks/expenses", json=good).json()
    assert (out["rung"], out["model"]) == ("few-shot-2", "b") and len(models["b"].requests) == 1
    out = httpx.post(f"{url}/v1/tasks/expenses", json={**good, "model": "a"}).json()
    assert out["model"] == "a"  # the request's model wins
    save_recommendation("expenses", {"rung": "zero-shot", "model": "not-served"}, [])
    url = serve(create_app(ServerConfig(tasks=["expenses"]), models=models))
    assert httpx.post(f"{url}/v1/tasks/expenses", json=good).json()["model"] == "a"  # the server's default


def test_cli_refuses_a_public_address_without_a_key(monkeypatch):
    from click.testing import CliRunner

    from ladder.cli import cli

    monkeypatch.delenv("LADDER_API_KEY", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--model", "smollm2"])
    assert result.exit_code == 2 and "--api-key" in result.output
