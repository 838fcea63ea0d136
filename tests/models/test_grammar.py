"""Schema -> grammar rewriting, the greedy sampler seam, and valid output on any schema."""

import inspect
import json

import pytest

from ladder.models import grammar
from ladder.models.grammar import bound, greedy_sampler, minimal_json
from ladder.schema import validate

SAY = "Answer as JSON."


def test_greedy_sampler_seam_matches_llama_cpp_python():
    """greedy_sampler relies on two lines of llama-cpp-python: Llama.generate builds its
    sampler with self._init_sampler(...) and Llama.sample calls self._sampler.sample(ctx,
    idx). If an upgrade changes either, this fails, not production."""
    from llama_cpp import Llama

    assert callable(getattr(Llama, "_init_sampler", None))
    assert "self._sampler = self._init_sampler(" in inspect.getsource(Llama.generate)
    assert "self._sampler.sample(self._ctx, ridx)" in inspect.getsource(Llama.sample)


def test_greedy_sampler_is_used_then_removed(smollm2):
    class Recording:
        def __init__(self, token):
            self.token, self.calls, self.closed = token, 0, False

        def sample(self, ctx, idx=-1):
            self.calls += 1
            return self.token

        def close(self):
            self.closed = True

    llm = smollm2.llama
    comma = llm.tokenize(b",", add_bos=False)[0]
    with smollm2.lock:
        rec = Recording(comma)
        with greedy_sampler(llm, rec):
            gen = llm.generate(llm.tokenize(b"One, two", add_bos=False), top_k=1)
            assert [next(gen) for _ in range(3)] == [comma] * 3
            gen.close()
        assert rec.calls == 3 and rec.closed
        assert "_init_sampler" not in vars(llm) and llm._sampler is None  # the class's method again


def test_normalize_expands_shorthands_and_type_lists():
    out = grammar._normalize({"type": "object", "properties": {
        "d": {"type": "string", "pattern": "^\\d{2}[\\w-]$"},
        "m": {"type": ["string", "null"], "maxLength": 5}}})
    assert out["properties"]["d"]["pattern"] == "^[0-9]{2}[a-zA-Z0-9_-]$"
    assert out["properties"]["m"] == {"anyOf": [{"maxLength": 5, "type": "string"}, {"maxLength": 5, "type": "null"}]}


def test_bound_limits_only_unbounded_strings_and_arrays():
    schema = grammar._normalize({"type": "object", "properties": {
        "free": {"type": ["string", "null"]}, "enum": {"type": "string", "enum": ["a"]},
        "date": {"type": "string", "format": "date"}, "short": {"type": "string", "maxLength": 3},
        "long": {"type": "string", "minLength": 500}, "tags": {"type": "array", "items": {"type": "string"}},
        "few": {"type": "array", "maxItems": 2}}})
    assert bound(schema, 0, 0) == schema
    p = bound(schema, max_length=200, max_items=7)["properties"]
    assert p["free"]["anyOf"][0] == {"type": "string", "maxLength": 200}
    assert "maxLength" not in p["enum"] and "maxLength" not in p["date"] and p["short"]["maxLength"] == 3
    assert p["long"]["maxLength"] == 500  # never below minLength
    assert p["tags"]["maxItems"] == 7 and p["tags"]["items"]["maxLength"] == 200 and p["few"]["maxItems"] == 2
    defaults = bound(schema)["properties"]  # today: arrays only (see grammar.DEFAULT_MAX_LENGTH)
    assert defaults["tags"]["maxItems"] == grammar.DEFAULT_MAX_ITEMS and "maxLength" not in defaults["free"]["anyOf"][0]


@pytest.mark.parametrize("schema", [
    {"type": "string", "enum": ["positive", "negative"]}, {"type": "number"}, {"type": "boolean"},
    {"type": "array", "items": {"type": "string"}, "minItems": 2},
    {"type": "object", "properties": {"a": {"type": ["string", "null"]}, "b": {"type": "object", "properties": {
        "c": {"type": "integer"}}, "required": ["c"]}, "x": {"type": "string"}}, "required": ["a", "b"]},
])
def test_minimal_json_is_a_valid_instance(schema):
    assert validate(schema, minimal_json(schema))[1] is None


ANY_SCHEMA = {
    "root string enum": {"type": "string", "enum": ["positive", "negative", "neutral"]},
    "root number": {"type": "number"},
    "root boolean": {"type": "boolean"},
    "array of strings": {"type": "array", "items": {"type": "string"}},
    "unbounded strings": {"type": "object", "properties": {
        "amount": {"type": "number"}, "currency": {"type": "string"},
        "merchant": {"type": ["string", "null"]}}, "required": ["amount", "currency", "merchant"]},
}


@pytest.mark.parametrize("name", ANY_SCHEMA)
def test_any_schema_gives_valid_output(smollm2, name):
    schema = ANY_SCHEMA[name]
    for text in ["地铁 5 块", "最高の映画でした", "Where is my order A1234? It has been two weeks."]:
        r = smollm2.generate(text, system=SAY, schema=schema, max_tokens=64, attempts=1, log=False)
        assert validate(schema, r.text)[1] is None, (text, r.text)


def test_the_json_is_closed_when_the_token_budget_runs_out(smollm2, monkeypatch):
    """Without the bound or the repetition guard the model writes this story until it is cut
    off; closing as the budget runs out still ends it as valid JSON within max_tokens."""
    from ladder.models import llamacpp

    real, made = llamacpp.GreedyGrammar, []
    monkeypatch.setattr(grammar, "DEFAULT_MAX_LENGTH", 0)  # the default today; stated, as this test needs it
    grammar.compile_grammar.cache_clear()

    def no_guard(llm, g, max_tokens=None, reserve=0):
        made.append(real(llm, g, max_tokens, reserve, repeat_guard=False))
        return made[-1]

    monkeypatch.setattr(llamacpp, "GreedyGrammar", no_guard)
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "story": {"type": "string"},
                                               "words": {"type": "integer"}}, "required": ["title", "story", "words"]}
    try:
        r = smollm2.generate("Write a very long story about a dragon.", system=SAY, schema=schema,
                             max_tokens=40, attempts=1, log=False)
    finally:
        grammar.compile_grammar.cache_clear()
    value, error = validate(schema, r.text)
    assert error is None and r.completion_tokens <= 40, r.text
    assert made[-1].closing_steps > 0 and json.loads(r.text) == value


def test_a_string_that_repeats_itself_is_closed_early(smollm2, monkeypatch):
    from ladder.models import llamacpp

    schema = ANY_SCHEMA["unbounded strings"]
    made, real = [], llamacpp.GreedyGrammar
    monkeypatch.setattr(llamacpp, "GreedyGrammar", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    # this input makes SmolLM2 repeat "请求的价格是 5 块。" inside "merchant"
    r = smollm2.generate("地铁 5 块", system="Extract amount, currency and merchant as JSON.", schema=schema,
                         max_tokens=256, attempts=1, log=False)
    assert validate(schema, r.text)[1] is None
    assert made[-1].repeats_cut > 0 and r.completion_tokens < 128, r.text
