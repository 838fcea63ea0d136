"""The Model contract, exercised through the scripted model (a real implementation)."""

import pytest

from ladder import ConfigError, InvalidOutput, ScriptedModel
from ladder.log import get_log

SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer"}, "tag": {"enum": ["a", "b"]}},
    "required": ["n", "tag"],
    "additionalProperties": False,
}


def test_generate_returns_text_tokens_and_timings():
    model = ScriptedModel(["hello there"])
    r = model.generate("hi", system="be brief")
    assert r.text == "hello there"
    assert r.completion_tokens > 0 and r.prompt_tokens > 0
    assert 0 <= r.ttft_s <= r.latency_s
    assert [m.role for m in model.requests[0].messages] == ["system", "user"]


def test_stream_yields_pieces_then_response():
    model = ScriptedModel(["abcdefghij"])
    stream = model.stream("hi")
    pieces = list(stream)
    assert len(pieces) > 1 and "".join(pieces) == "abcdefghij"
    assert stream.response.text == "abcdefghij"


def test_schema_output_is_parsed():
    r = ScriptedModel([{"n": 3, "tag": "a"}]).generate("x", schema=SCHEMA)
    assert r.parsed == {"n": 3, "tag": "a"} and r.attempts == 1


def test_invalid_output_is_retried_then_accepted():
    model = ScriptedModel(['{"n": "three"}', {"n": 3, "tag": "b"}])
    r = model.generate("x", schema=SCHEMA, attempts=2)
    assert r.parsed["tag"] == "b" and r.attempts == 2
    # the retry samples a little instead of repeating the same greedy answer
    assert model.requests[1].options.temperature > 0


def test_invalid_output_raises_with_raw_text_and_reason():
    with pytest.raises(InvalidOutput) as e:
        ScriptedModel(['{"n": 1, "tag": "zzz"}']).generate("x", schema=SCHEMA, attempts=3)
    assert e.value.raw == '{"n": 1, "tag": "zzz"}'
    assert "tag" in e.value.validation_message and e.value.attempts == 3


def test_pydantic_model_as_schema():
    from pydantic import BaseModel

    class Item(BaseModel):
        name: str
        price: float

    r = ScriptedModel([{"name": "tea", "price": 2.5}]).generate("x", schema=Item)
    assert r.parsed == {"name": "tea", "price": 2.5}


def test_unknown_option_is_an_error_naming_it():
    with pytest.raises(ConfigError, match="max_tokenz"):
        ScriptedModel(["x"]).generate("hi", max_tokenz=5)


def test_unreadable_schema_file_says_so(tmp_path):
    bad = tmp_path / "s.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        ScriptedModel(["x"]).generate("hi", schema=str(bad))
    with pytest.raises(ConfigError, match="does not exist"):
        ScriptedModel(["x"]).generate("hi", schema=str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="Invalid JSON Schema"):
        ScriptedModel(["x"]).generate("hi", schema={"type": "nonsense"})


def test_every_call_is_logged_exactly():
    model = ScriptedModel(["ok"])
    r = model.generate([{"role": "user", "content": "remember me"}], run_id="run-1", max_tokens=7)
    row = get_log().latest(1, run_id="run-1")[0]
    assert row["id"] == r.id and row["response"] == "ok"
    assert row["messages"] == [{"role": "user", "content": "remember me"}]
    assert row["options"]["max_tokens"] == 7
    assert row["prompt"] == "user: remember me"


def test_log_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("LADDER_LOG", "0")
    ScriptedModel(["ok"]).generate("secret", run_id="off")
    assert get_log().latest(5, run_id="off") == []
