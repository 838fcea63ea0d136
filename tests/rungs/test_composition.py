"""Rungs on tasks that are not the demo: every output type, every spec order."""

import itertools
import json

import pytest
import yaml

from ladder import ConfigError, ScriptedModel
from ladder.rungs import COT_NOTE, PromptRung, SelfCheck, SelfConsistency, build_rung
from ladder.tasks import load_task

SENTIMENT = {"type": "string", "enum": ["positive", "negative", "neutral"]}
ROWS = [("最高の映画でした", "positive"), ("Terrible service, never again", "negative"),
        ("It was fine I guess", "neutral"), ("我很喜欢这家店", "positive"), ("太慢了，很失望", "negative")]


def make_task(tmp_path, schema=SENTIMENT, rows=ROWS, **extra):
    lines = [json.dumps({"input": {"text": t}, "expected": e}, ensure_ascii=False) for t, e in rows]
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = {"name": "sentiment", "instructions": "Classify the sentiment of the text.", "inputs": ["text"],
            "output_schema": schema, "data": {"train": "train.jsonl", "test": "train.jsonl"}, **extra}
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return load_task(tmp_path / "task.yaml")


def test_a_string_enum_prompt_describes_the_enum_not_empty_keys(tmp_path):
    task = make_task(tmp_path)
    model = ScriptedModel(["positive"])
    pred = build_rung("zero-shot")(task, {"text": "最高の映画でした"}, model)
    system = model.requests[0].messages[0].content
    assert "keys: ." not in system and "keys:" not in system
    assert '"positive", "negative", "neutral"' in system and "JSON string" in system
    assert model.requests[0].schema == SENTIMENT
    assert pred.output is None and "not valid JSON" in pred.error  # bare text is not a JSON string


def test_few_shot_works_on_a_string_answer(tmp_path):
    task = make_task(tmp_path)
    model = ScriptedModel(['"negative"'])
    pred = build_rung("few-shot-3")(task, {"text": "Awful"}, model)
    msgs = model.requests[0].messages
    assert [m.role for m in msgs] == ["system"] + ["user", "assistant"] * 3 + ["user"]
    shown = {json.loads(m.content) for m in msgs if m.role == "assistant"}
    assert shown == {"positive", "negative", "neutral"}  # examples cover the answers
    assert pred.output == "negative"


def test_cot_on_a_non_object_answer_wraps_and_unwraps(tmp_path):
    task = make_task(tmp_path)
    model = ScriptedModel([{"reasoning": "praise", "answer": "positive"}])
    pred = build_rung("few-shot-2+cot")(task, {"text": "Loved it"}, model)
    sent = model.requests[0]
    assert sent.schema["properties"]["answer"] == SENTIMENT
    assert list(sent.schema["properties"]) == ["reasoning", "answer"]
    assert pred.output == "positive"
    assert COT_NOTE in sent.messages[0].content
    assert "date" not in COT_NOTE and "amount" not in COT_NOTE  # task-agnostic


def test_unconstrained_reads_a_bare_word_as_the_string(tmp_path):
    task = make_task(tmp_path)
    pred = build_rung("zero-shot-unconstrained")(task, {"text": "meh"}, ScriptedModel(["neutral\n"]))
    assert pred.output == "neutral"
    bad = build_rung("zero-shot-unconstrained")(task, {"text": "meh"}, ScriptedModel(["It is mixed."]))
    assert bad.output is None and "is not one of" in bad.error


@pytest.mark.parametrize("schema, reply, expected", [
    ({"type": "number"}, "The total is 42.5", 42.5),
    ({"type": "boolean"}, "true", True),
    ({"type": "array", "items": {"type": "string"}}, 'Tags: ["a", "b"]', ["a", "b"]),
    ({"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "integer"}}}}},
     'Sure: {"a": {"b": 3}}', {"a": {"b": 3}}),
])
def test_every_output_type_round_trips(tmp_path, schema, reply, expected):
    rows = [("x", expected), ("y", expected)]
    task = make_task(tmp_path, schema=schema, rows=rows)
    assert build_rung("zero-shot-unconstrained")(task, {"text": "z"}, ScriptedModel([reply])).output == expected
    assert build_rung("zero-shot")(task, {"text": "z"}, ScriptedModel([json.dumps(expected)])).output == expected
    assert build_rung("cot")(task, {"text": "z"}, ScriptedModel([
        {"reasoning": "r", **expected} if isinstance(expected, dict) else {"reasoning": "r", "answer": expected}
    ])).output == expected


def test_input_descriptions_are_shown_and_nested_inputs_are_json(tmp_path):
    rows = [({"name": "Ann", "tags": ["vip"]}, "positive")]
    lines = [json.dumps({"input": {"customer": c, "text": "hi"}, "expected": e}) for c, e in rows]
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n")
    spec = {"name": "t", "instructions": "Classify.", "output_schema": SENTIMENT, "data": {"train": "train.jsonl"},
            "inputs": {"customer": "who wrote it (a JSON object)", "text": "what they wrote"}}
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(spec))
    task = load_task(tmp_path / "task.yaml")
    model = ScriptedModel(['"neutral"'])
    build_rung("zero-shot")(task, {"customer": {"name": "Bo", "tags": ["新"]}, "text": "ok"}, model)
    system, user = model.requests[0].messages[0].content, model.requests[0].messages[-1].content
    assert "- customer: who wrote it (a JSON object)" in system and "- text: what they wrote" in system
    assert user == 'customer: {"name": "Bo", "tags": ["新"]}\ntext: ok'  # JSON, not a Python repr


def test_task_generation_settings_reach_the_model(tmp_path):
    task = make_task(tmp_path, generation={"max_tokens": 7, "temperature": 0.3})
    model = ScriptedModel(['"positive"'])
    build_rung("zero-shot")(task, {"text": "a"}, model)
    assert model.requests[0].options.max_tokens == 7 and model.requests[0].options.temperature == 0.3
    build_rung("cot")(task, {"text": "a"}, model)
    assert model.requests[1].options.max_tokens == 7 + 150  # the reasoning gets its own budget
    with pytest.raises(ConfigError, match="generation.max_tokenz"):
        make_task(tmp_path, generation={"max_tokenz": 7})


def test_self_check_feeds_validator_problems_back_and_keeps_the_reasoning_schema(tmp_path):
    (tmp_path / "validators.py").write_text(
        "def validate(input, output):\n    return [] if output != 'neutral' else ['neutral is not allowed here']\n")
    task = make_task(tmp_path, validators="validators.py")
    model = ScriptedModel([{"reasoning": "r", "answer": "neutral"}, {"reasoning": "r2", "answer": "negative"}])
    pred = build_rung("cot+self-check-1")(task, {"text": "meh"}, model)
    assert pred.output == "negative" and pred.error is None and pred.retries == 1
    assert model.requests[1].schema == model.requests[0].schema  # asked again the same way
    assert "neutral is not allowed here" in model.requests[1].messages[-1].content


def test_self_consistency_votes_whole_values(tmp_path):
    task = make_task(tmp_path)
    model = ScriptedModel(['"positive"', '"negative"', '"positive"'])
    pred = build_rung("zero-shot+self-consistency-3")(task, {"text": "x"}, model)
    assert pred.output == "positive" and len(pred.calls) == 3
    assert {r.options.temperature for r in model.requests} == {0.7}


@pytest.mark.parametrize("spec, fix", [
    ("few-shot-4+self-check-2+cot", "few-shot-4+cot+self-check-2"),
    ("retrieved-few-shot-4+self-check-2+rag-4", "retrieved-few-shot-4+rag-4+self-check-2"),
])
def test_a_prompt_part_after_a_wrapper_is_refused_with_a_valid_order(spec, fix):
    with pytest.raises(ConfigError) as e:
        build_rung(spec)
    assert repr(fix) in str(e.value)
    build_rung(fix)  # and the suggested order builds


@pytest.mark.parametrize("spec, message", [
    ("self-check-2", "must start with a base"),
    ("cot+cot", "twice"),
    ("zero-shot+few-shot-2", "one base"),
    ("student+cot", "own fixed prompt"),
    ("zero-shot+self-chek-2", "Did you mean 'self-check'"),
])
def test_invalid_specs_are_refused(spec, message):
    with pytest.raises(ConfigError, match=message):
        build_rung(spec)


TOKENS = ["few-shot-2", "cot", "rag-2", "self-check-1", "self-consistency-2", "student"]


def test_every_order_runs_what_it_names_or_is_refused(tmp_path, monkeypatch):
    """Any sequence of up to three tokens after a base either builds a rung whose
    structure is exactly the spec (the prompt parts inside, the wrappers outside, in
    order) or raises ConfigError, never another exception."""
    built = 0
    for n in range(1, 4):
        for tokens in itertools.permutations(["zero-shot", *TOKENS], n):
            spec = "+".join(tokens)
            try:
                rung = build_rung(spec)
            except ConfigError:
                continue
            built += 1
            assert rung.name == spec
            layers = []
            while isinstance(rung, (SelfCheck, SelfConsistency)):
                layers.append(rung)
                rung = rung.inner
            wrappers = [t for t in tokens if t.startswith("self-")]
            assert [type(w).__name__ for w in reversed(layers)] == \
                   ["SelfCheck" if w.startswith("self-check") else "SelfConsistency" for w in wrappers]
            if isinstance(rung, PromptRung):
                parts = [p.name for p in rung.parts]
                assert parts == [t for t in tokens if t in ("few-shot-2", "cot", "rag-2")]
    assert built >= 20


def test_a_student_trains_on_any_answer_type(tmp_path):
    from ladder.distill.sft import build_sft

    task = make_task(tmp_path)
    rows = build_sft(task, source="gold")
    assert rows[0]["messages"][-1] == {"role": "assistant", "content": '"positive"'}
