"""Rungs with the scripted model (deterministic) and the real small model."""

import json

import pytest

from ladder import ConfigError, ScriptedModel
from ladder.rungs import build_rung
from ladder.tasks import load_task

INPUT = {"text": "昨天午餐吃拉麵 180", "today": "2026-03-02", "default_currency": "TWD"}
GOOD = {"date": "2026-03-01", "amount": 180, "currency": "TWD", "category": "food", "merchant": None}


@pytest.fixture(scope="module")
def task():
    return load_task("expenses")


def test_zero_shot_prompt_is_instructions_plus_input(task):
    model = ScriptedModel([GOOD])
    pred = build_rung("zero-shot")(task, INPUT, model)
    assert pred.output == GOOD and pred.error is None
    sent = model.requests[0]
    assert sent.schema == task.schema  # constrained
    assert sent.messages[0].role == "system" and "category" in sent.messages[0].content
    assert sent.messages[-1].content == "text: 昨天午餐吃拉麵 180\ntoday: 2026-03-02\ndefault_currency: TWD"


def test_unconstrained_pulls_json_out_of_free_text(task):
    model = ScriptedModel(["Sure! Here it is:\n```json\n" + json.dumps(GOOD) + "\n```"])
    pred = build_rung("zero-shot-unconstrained")(task, INPUT, model)
    assert model.requests[0].schema is None and pred.output == GOOD


def test_few_shot_adds_example_turns(task):
    model = ScriptedModel([GOOD])
    build_rung("few-shot-3")(task, INPUT, model)
    roles = [m.role for m in model.requests[0].messages]
    assert roles == ["system"] + ["user", "assistant"] * 3 + ["user"]


def test_retrieved_few_shot_picks_similar_examples(task):
    rung = build_rung("retrieved-few-shot-2")
    examples = rung.examples(task, INPUT)
    assert len(examples) == 2
    # a Traditional Chinese meal query retrieves CJK examples, not English ones
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in ex.input["text"]) for ex in examples)


def test_a_training_input_never_retrieves_its_own_label(task):
    """A teacher labelling the train inputs (ladder distill) must not be shown the gold
    answer of the very input it labels."""
    rung = build_rung("retrieved-few-shot-4")
    for ex in task.train[:20]:
        shown = rung.examples(task, ex.input)
        assert len(shown) == 4 and all(s.input != ex.input for s in shown)
    other = {**task.train[0].input, "text": task.train[0].input["text"] + "!"}
    assert task.train[0] in rung.examples(task, other)  # a near copy is still a fair neighbour


def test_cot_writes_reasoning_first_and_strips_it(task):
    model = ScriptedModel([{"reasoning": "yesterday = 03-01", **GOOD}])
    pred = build_rung("cot")(task, INPUT, model)
    assert list(model.requests[0].schema["properties"])[0] == "reasoning"
    assert pred.output == GOOD


def test_self_check_feeds_problems_back_and_retries(task):
    wrong = {**GOOD, "date": "2026-03-09"}  # after today: the validator objects
    model = ScriptedModel([wrong, GOOD])
    pred = build_rung("zero-shot+self-check-2")(task, INPUT, model)
    assert pred.output == GOOD and pred.retries == 1 and pred.error is None
    feedback = model.requests[1].messages[-1].content
    assert "after today" in feedback and model.requests[1].messages[-2].role == "assistant"


def test_self_check_gives_up_after_n_and_reports_the_problem(task):
    wrong = {**GOOD, "date": "2026-03-09"}
    pred = build_rung("zero-shot+self-check-2")(task, INPUT, ScriptedModel([wrong]))
    assert pred.retries == 2 and "after today" in pred.error


def test_self_consistency_votes_per_field(task):
    answers = [{**GOOD, "amount": 18}, GOOD, {**GOOD, "category": "other"}, GOOD, {**GOOD, "amount": 18}]
    model = ScriptedModel(answers)
    pred = build_rung("zero-shot+self-consistency-5")(task, INPUT, model)
    # amounts 18,180,180,180,18 -> 180; categories 4x food, 1x other -> food
    assert pred.output == GOOD and len(pred.calls) == 5
    assert all(r.options.temperature > 0 for r in model.requests)
    assert len({r.options.seed for r in model.requests}) == 5


def test_unknown_rung_suggests(task):
    with pytest.raises(ConfigError, match="few-shot"):
        build_rung("fewshot")


def test_real_model_rungs_produce_valid_output(task, smollm2):
    for spec in ("zero-shot", "retrieved-few-shot-2", "zero-shot+self-check-1"):
        pred = build_rung(spec)(task, INPUT, smollm2)
        assert pred.output is not None, (spec, pred.text)
        assert pred.prompt_tokens > 0 and pred.latency_s > 0
