"""The llama.cpp backend with the real bundled model (greedy, short outputs)."""

import datetime
import json
import random

import pytest

from ladder import ConfigError
from ladder.log import get_log
from ladder.models import get_model
from ladder.schema import validate

EXPENSE_LIKE = {
    "type": "object",
    "properties": {
        "date": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
        "amount": {"type": "number"},
        "category": {"enum": ["food", "transport", "shopping", "other"]},
        "merchant": {"type": ["string", "null"], "maxLength": 30},
    },
    "required": ["date", "amount", "category", "merchant"],
    "additionalProperties": False,
}


def test_greedy_generation_is_deterministic_and_counts_tokens(smollm2):
    a = smollm2.generate("What is the capital of France? Answer in one word.", max_tokens=8)
    b = smollm2.generate("What is the capital of France? Answer in one word.", max_tokens=8)
    assert a.text == b.text and "Paris" in a.text
    assert 0 < a.completion_tokens <= 8
    assert a.prompt_tokens == smollm2.count_tokens(a.prompt)
    assert "<|im_start|>user" in a.prompt  # chat template from the GGUF file
    assert 0 < a.ttft_s <= a.latency_s


def test_max_tokens_cuts_off_with_length(smollm2):
    r = smollm2.generate("Count from 1 to 100, separated by commas.", max_tokens=5)
    assert r.completion_tokens == 5 and r.finish_reason == "length"


def test_stop_strings_end_the_output(smollm2):
    r = smollm2.generate("Count from 1 to 20, separated by commas.", max_tokens=40, stop=["5"])
    assert "5" not in r.text and r.finish_reason == "stop"


def test_repeated_prefix_is_served_from_cache(smollm2):
    system = "You are a careful assistant. " * 30
    smollm2.generate("Say A.", system=system, max_tokens=2)
    r = smollm2.generate("Say B.", system=system, max_tokens=2)
    assert r.cached_tokens > 150  # the long shared system prompt is not recomputed
    assert r.cached_tokens < r.prompt_tokens


def test_streaming_pieces_join_to_the_text(smollm2):
    stream = smollm2.stream("Write the word hello three times.", max_tokens=12)
    pieces = list(stream)
    assert "".join(pieces) == stream.response.text and len(pieces) > 1


def test_multibyte_text_streams_whole_characters(smollm2):
    """A CJK character spans several byte-level tokens; each streamed piece must hold
    whole characters only (a half character would decode to U+FFFD)."""
    stream = smollm2.stream("请用中文回答：你好吗？今天天气怎么样？", max_tokens=24)
    pieces = list(stream)
    text = stream.response.text
    assert any(ord(c) > 0x2E80 for c in text), text  # the answer holds CJK characters
    assert stream.response.completion_tokens > len(pieces) or any(len(p.encode()) > 3 for p in pieces)
    for piece in pieces:
        assert "\ufffd" not in piece, pieces
        assert piece.encode("utf-8").decode("utf-8") == piece  # round-trips: whole characters
    assert "".join(pieces) == text


def test_calls_are_logged_with_the_exact_prompt(smollm2):
    r = smollm2.generate("Hi", max_tokens=3, run_id="llama-log")
    row = get_log().latest(1, run_id="llama-log")[0]
    assert row["prompt"] == r.prompt and row["prompt_tokens"] == r.prompt_tokens


@pytest.mark.slow
def test_100_constrained_generations_are_all_valid(smollm2):
    rng = random.Random(7)
    shops = ["Starbucks", "7-Eleven", "Uber", "IKEA", "a street stall", "Amazon", "全家", "ユニクロ"]
    system = ("Extract the expense as JSON with keys date (YYYY-MM-DD), amount (number), "
              "category (food, transport, shopping, other) and merchant (string or null).")
    valid = 0
    for i in range(100):
        day = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        text = f"On {day:%B %d} I paid {rng.randrange(2, 900)} at {rng.choice(shops)} for item {i}."
        r = smollm2.generate(text, system=system, schema=EXPENSE_LIKE, max_tokens=96, attempts=1)
        _, error = validate(EXPENSE_LIKE, r.text)
        valid += error is None
    assert valid == 100


def test_not_a_gguf_file_is_a_clear_error(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip")
    with pytest.raises(ConfigError, match="not a GGUF model file"):
        get_model(str(fake)).generate("hi")


def test_context_overflow_is_a_clear_error(smollm2):
    with pytest.raises(ConfigError, match="context window"):
        smollm2.generate("word " * 10, max_tokens=100_000)


def test_ladder_threads_env(monkeypatch):
    from ladder.models.llamacpp import physical_cores

    monkeypatch.delenv("LADDER_THREADS", raising=False)
    default = physical_cores()
    assert default >= 1
    monkeypatch.setenv("LADDER_THREADS", "1")
    assert physical_cores() == 1
    monkeypatch.setenv("LADDER_THREADS", "two")
    with pytest.raises(ConfigError, match="LADDER_THREADS"):
        physical_cores()


def test_greedy_grammar_fast_path_gives_the_same_text_as_the_full_grammar_chain(smollm2, monkeypatch):
    """Checking the argmax token first must not change greedy output: the same prompts
    through llama-cpp-python's own grammar sampler chain give the same text. (A schema
    with an enum and a pattern makes the grammar reject the argmax often.)"""
    from ladder.models import llamacpp

    made = []
    real = llamacpp.GreedyGrammar

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    prompts = ["Lunch at Starbucks yesterday, 180 dollars", "地铁 5 块", "Paid the rent: 12,000 on March 2",
               "ユニクロで 3990 円のシャツ"]
    system = "Extract the expense as JSON."
    monkeypatch.setattr(llamacpp, "GreedyGrammar", spy)
    fast = [smollm2.generate(p, system=system, schema=EXPENSE_LIKE, max_tokens=160, attempts=1).text for p in prompts]
    assert len(made) == len(prompts) and all(g.smpl is None for g in made)  # used, then freed
    assert not any(g.closing_steps for g in made)  # the plain fast path (closing is tested in test_grammar)
    assert sum(g.full_passes for g in made) > 0 and sum(g.steps for g in made) > sum(g.full_passes for g in made)
    monkeypatch.setattr(llamacpp, "GreedyGrammar", lambda *a, **k: None)  # llama-cpp-python's chain
    chain = [smollm2.generate(p, system=system, schema=EXPENSE_LIKE, max_tokens=160, attempts=1).text for p in prompts]
    assert fast == chain
    for text in fast:
        assert validate(EXPENSE_LIKE, text)[1] is None


def test_llama_cpp_extra_buffers_are_off_through_the_model_params_seam(smollm2):
    """AMX/repacked weights crash multi-token decoding on VMs that advertise AMX without
    supporting it; model_params turns them off. If llama-cpp-python stops building its
    parameters with llama_model_default_params(), this fails (not production)."""
    import inspect

    from llama_cpp import Llama, llama_cpp

    assert "llama_cpp.llama_model_default_params()" in inspect.getsource(Llama.__init__)
    assert "use_extra_bufts" in dict(llama_cpp.llama_model_params._fields_)
    assert smollm2.llama.model_params.use_extra_bufts is False
    assert llama_cpp.llama_model_default_params().use_extra_bufts is True  # restored after loading
    assert smollm2.generate("Say hello to the world.", max_tokens=4).completion_tokens > 0  # multi-token prompt


def test_llama_cpp_log_lines_go_to_the_logger_not_stderr(capfd, caplog):
    """llama-cpp-python prints some llama.cpp lines even with verbose=False (Gemma: "using
    full-size SWA cache"); ours go to the ladder.llama_cpp logger."""
    import logging

    from ladder.models import get_model

    caplog.set_level(logging.DEBUG, logger="ladder.llama_cpp")
    gemma = get_model("gemma3-270m", n_ctx=640)  # a fresh load (no other test uses this n_ctx)
    try:
        assert gemma.generate("hi", max_tokens=2, log=False).completion_tokens > 0
    finally:
        gemma.close()
    assert "llama" not in capfd.readouterr().err
    assert any("SWA" in r.getMessage() for r in caplog.records if r.name == "ladder.llama_cpp")


def test_a_short_budget_leaves_the_model_its_own_choice(smollm2, monkeypatch):
    """An intent label in 16 tokens: closing starts early (the reserve is most of the
    budget) but must never pick the label: every answer is the plain greedy one
    (llama-cpp-python's chain); only whitespace may differ."""
    from ladder.models import llamacpp

    schema = {"type": "object", "required": ["intent"], "additionalProperties": False,
              "properties": {"intent": {"enum": ["record", "ask", "correct", "undo"]}}}
    system = "Classify: record (a new expense), ask (a question), correct (fix the last entry), undo."
    prompts = ["Lunch 12 dollars at Subway", "how much did I spend on food?", "delete that", "wrong, it was 90"]
    fast = [smollm2.generate(p, system=system, schema=schema, max_tokens=16, attempts=1).text for p in prompts]
    monkeypatch.setattr(llamacpp, "GreedyGrammar", lambda *a, **k: None)
    chain = [smollm2.generate(p, system=system, schema=schema, max_tokens=16, attempts=1).text for p in prompts]
    assert [json.loads(t) for t in fast] == [json.loads(t) for t in chain]
