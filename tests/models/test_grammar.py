"""Schema -> grammar rewriting, the greedy sampler seam, and valid output on any schema."""

import ctypes
import inspect
import json
from pathlib import Path

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


def accepts(model, schema, text: str) -> bool:
    """Whether llama.cpp's grammar sampler, with compile_grammar's grammar for ``schema``,
    lets every token of ``text`` through (bundled model's tokenizer) and then allows the
    end of generation (the JSON is complete). Real llama.cpp, no decoding."""
    import llama_cpp

    llm = model.llama
    g = grammar.compile_grammar(json.dumps(schema), llm._model.vocab)
    smpl = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, g._grammar.encode(), g._root.encode())
    one = (llama_cpp.llama_token_data * 1)()

    def allowed(token: int) -> bool:
        one[0].id, one[0].logit, one[0].p = token, 0.0, 0.0
        arr = llama_cpp.llama_token_data_array(data=one, size=1, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(smpl, ctypes.byref(arr))
        return one[0].logit != float("-inf")

    try:
        for token in llm.tokenize(text.encode(), add_bos=False, special=False):
            if not allowed(token):  # never accept a rejected token: llama.cpp would abort
                return False
            llama_cpp.llama_sampler_accept(smpl, token)
        return allowed(llm.token_eos())
    finally:
        llama_cpp.llama_sampler_free(smpl)


POSITIVE = {"type": "number", "exclusiveMinimum": 0}
NUMBER_CASES = [  # (schema, accepted, rejected)
    ({"type": "number"}, ["-3", "0", "0.0", "0.5", "12.30", "-1e3"], ["1.", "--3", "abc"]),  # unbounded: unchanged
    (POSITIVE, ["0.5", "12.3", "12", "12.30", "0.05", "1e-3", "100"], ["-3", "0", "0.0", "0.00", "-0.5", "0e5", "00.5"]),
    ({"type": "number", "minimum": 0.01}, ["0.01", "7"], ["0", "0.000", "-7"]),  # > 0: zero ruled out too
    ({"type": "number", "minimum": 0}, ["0", "0.0", "0.5", "12"], ["-3", "-0.5"]),
    ({"type": "integer", "exclusiveMinimum": 0}, ["1", "12", "100"], ["0", "-3", "1.5"]),
    ({"type": "integer", "minimum": 0}, ["0", "12"], ["-1", "01"]),
    ({"type": ["number", "null"], "exclusiveMinimum": 0}, ["null", "0.5"], ["0", "-1"]),
    ({"type": "array", "items": POSITIVE}, ["[1, 0.5]", "[]"], ["[1, 0]", "[-2]"]),
    ({"type": "number", "minimum": -5}, ["-3", "0"], ["--3"]),  # a negative bound: only validated
]


@pytest.mark.parametrize("schema,good,bad", NUMBER_CASES, ids=[json.dumps(c[0]) for c in NUMBER_CASES])
def test_the_grammar_keeps_lower_bounds_that_rule_out_the_sign_and_zero(smollm2, schema, good, bad):
    for text in good:
        assert accepts(smollm2, schema, text), text
        assert validate(schema, text)[1] is None, text  # the grammar allows no more than the schema here
    for text in bad:
        assert not accepts(smollm2, schema, text), text


def test_the_bundled_expenses_schema_refuses_a_zero_or_negative_amount(smollm2):
    schema = json.loads((Path(__file__).parents[2] / "examples" / "expenses" / "schema.json").read_text())
    def answer(amount: str) -> str:
        return f'{{"date": "2024-03-01", "amount": {amount}, "currency": "EUR", "category": "food", "merchant": null}}'

    assert accepts(smollm2, schema, answer("12.5")) and accepts(smollm2, schema, answer("0.99"))
    for amount in ["0", "0.0", "-12.5"]:
        assert not accepts(smollm2, schema, answer(amount)), amount
        assert validate(schema, answer(amount))[1] is not None


def test_general_bounds_are_only_validated(smollm2):
    """minimum 5 / maximum 100 are not in the grammar (module docstring): 3 and 500 get
    through it and validation refuses them; the sign still is in the grammar."""
    schema = {"type": "number", "minimum": 5, "maximum": 100}
    assert accepts(smollm2, schema, "3") and accepts(smollm2, schema, "500")
    assert validate(schema, "3")[1] is not None and validate(schema, "500")[1] is not None
    assert not accepts(smollm2, schema, "-3") and not accepts(smollm2, schema, "0")


@pytest.mark.parametrize("schema,expected", [
    ({"type": "number"}, "0"), ({"type": "integer", "minimum": 0}, "0"),
    (POSITIVE, "1"), ({"type": "integer", "exclusiveMinimum": 0}, "1"),
    ({"type": "number", "minimum": 5}, "5"), ({"type": "integer", "exclusiveMinimum": 5}, "6"),
    ({"type": "integer", "minimum": 2.5}, "3"), ({"type": "number", "exclusiveMinimum": 0, "maximum": 0.5}, "0.25"),
    ({"type": "number", "maximum": -3}, "-3"), ({"type": "integer", "exclusiveMaximum": -3}, "-4"),
    ({"type": "number", "minimum": 5, "maximum": 100}, "5"),
])
def test_minimal_json_respects_numeric_bounds(schema, expected):
    assert minimal_json(schema) == expected
    assert validate(schema, expected)[1] is None
    wrapped = {"type": "object", "properties": {"x": schema}, "required": ["x"]}
    assert minimal_json(wrapped) == f'{{"x": {expected}}}'


def test_closing_writes_1_where_a_number_is_missing(smollm2):
    """The closing table's minimal number is 1 (allowed by every lower bound the grammar
    keeps), not 0 (only the start of "0.5" under exclusiveMinimum 0)."""
    tables = grammar.closing_tables(smollm2.llama)
    one, zero = (smollm2.llama.tokenize(t, add_bos=False)[0] for t in (b"1", b"0"))
    assert tables.outside[one] > 0 and tables.outside[zero] == 0


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


@pytest.mark.parametrize("last", [{"words": {"type": "integer"}},
                                  {"amount": {"type": "number", "exclusiveMinimum": 0}}], ids=["integer", "positive"])
def test_the_json_is_closed_when_the_token_budget_runs_out(smollm2, monkeypatch, last):
    """Without the bound or the repetition guard the model writes this story until it is cut
    off; closing as the budget runs out still ends it as valid JSON within max_tokens. A
    positive number is closed as 1: closing with "0" (allowed as the start of "0.5") would
    then write "0.000..." until the budget ran out."""
    from ladder.models import llamacpp

    real, made = llamacpp.GreedyGrammar, []
    monkeypatch.setattr(grammar, "DEFAULT_MAX_LENGTH", 0)  # the default today; stated, as this test needs it
    grammar.compile_grammar.cache_clear()

    def no_guard(llm, g, max_tokens=None, reserve=0):
        made.append(real(llm, g, max_tokens, reserve, repeat_guard=False))
        return made[-1]

    monkeypatch.setattr(llamacpp, "GreedyGrammar", no_guard)
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "story": {"type": "string"}, **last},
              "required": ["title", "story", *last]}
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
