import json
from pathlib import Path

import pytest

from ladder import ScriptedModel
from ladder.errors import ConfigError, ModelNotFound
from ladder.evals.judge import PASS_FAIL_RUBRIC, Judge, agreement, load_labelled, spearman
from ladder.evals.metrics import MetricContext, Score, build_metric

LABELLED = Path("examples/judge/labelled.jsonl")


def test_judge_reason_comes_before_score_and_is_parsed():
    model = ScriptedModel([{"reason": "matches the reference", "score": 5}])
    v = Judge(model)("Capital of Japan?", "Tokyo", "Tokyo")
    assert (v.score, v.reason, v.value) == (5, "matches the reference", 1.0)
    assert list(model.requests[0].schema["properties"]) == ["reason", "score"]
    assert model.requests[0].schema["properties"]["score"]["enum"] == [1, 2, 3, 4, 5]
    assert "Reference answer: Tokyo" in model.requests[0].messages[-1].content


@pytest.mark.parametrize("score, value", [(1, 0.0), (2, 0.25), (3, 0.5), (4, 0.75), (5, 1.0)])
def test_scores_are_scaled_to_unit_interval(score, value):
    assert Judge(ScriptedModel([{"reason": "r", "score": score}]))("q", "a").value == value


def test_pass_fail_judge():
    model = ScriptedModel([{"reason": "not in the sources", "pass": False}, {"reason": "ok", "pass": True}])
    judge = Judge(model, scale="pass-fail")
    v = judge("q", "a", context="[1] a.md: the sky is blue")
    assert (v.score, v.value, v.passed, v.reason) == (0, 0.0, False, "not in the sources")
    assert judge("q", "a").passed
    assert list(model.requests[0].schema["properties"]) == ["reason", "pass"]
    assert model.requests[0].messages[-1].content.startswith("Sources:\n[1] a.md")
    assert PASS_FAIL_RUBRIC in model.requests[0].messages[0].content  # pass/fail gets its own default rubric


def test_a_bad_scale_is_a_config_error():
    with pytest.raises(ConfigError, match="scale"):
        Judge(ScriptedModel(["{}"]), scale=1)


def test_agreement_against_human_labels():
    labelled = load_labelled(LABELLED)
    # a judge that copies the human score agrees perfectly; one that says 3 always does not
    humans = iter(r["human_score"] for r in labelled)
    result = agreement(Judge(ScriptedModel(lambda m: {"reason": "r", "score": next(humans)})), labelled)
    assert result["exact"] == 1.0 and result["within_1"] == 1.0 and result["spearman"] > 0.99
    flat = agreement(Judge(ScriptedModel([{"reason": "r", "score": 3}])), labelled)
    assert flat["exact"] < 0.3 and flat["spearman"] is None
    expected_within = sum(abs(r["human_score"] - 3) <= 1 for r in labelled) / len(labelled)
    assert flat["within_1"] == expected_within


def test_spearman_handles_ties():
    assert abs(spearman([1, 2, 3], [1, 2, 3]) - 1.0) < 1e-9
    assert round(spearman([1, 2, 3, 4], [4, 3, 2, 1]), 6) == -1.0
    assert spearman([1, 1, 2], [1, 2, 2]) > 0


# -- the judge metric --------------------------------------------------------------------

def judge_metric(raw, schema=None, root=Path(".")):
    return build_metric({"type": "judge", **raw}, MetricContext(schema or {"type": "string"}, root, "t/task.yaml"))


def test_judge_metric_scores_with_a_reason_and_sees_input_and_reference():
    m = judge_metric({"rubric": "5 = right, 1 = wrong."})
    m._judge = Judge(model := ScriptedModel([{"reason": "says Kyoto, not Tokyo", "score": 2}]), m.spec.rubric)
    s = m({"question": "Capital of Japan?"}, "Tokyo", "Kyoto")
    assert s == Score(0.25, {}, "judge 2/5: says Kyoto, not Tokyo")
    sent = model.requests[0].messages[-1].content
    assert "Question: Capital of Japan?" in sent and "Reference answer: Tokyo" in sent and "Answer to judge: Kyoto" in sent
    assert "5 = right, 1 = wrong." in model.requests[0].messages[0].content


def test_judge_metric_pass_fail_on_an_object_field_with_references():
    schema = {"type": "object", "properties": {"answer": {"type": "string"}, "lang": {"type": "string"}}}
    m = judge_metric({"scale": "pass-fail", "field": "answer"}, schema)
    m._judge = Judge(model := ScriptedModel([{"reason": "same city", "pass": True}]), scale="pass-fail")
    s = m({"q": "首都は？", "lang": "ja"}, ["東京", "Tokyo"], {"answer": "東京です", "lang": "ja"})
    assert s == Score(1.0, {}, "judge pass: same city")
    sent = model.requests[0].messages[-1].content
    assert "Reference answer: 東京 / Tokyo" in sent and "Answer to judge: 東京です" in sent
    assert "q: 首都は？\nlang: ja" in sent  # several input fields: one line each
    assert m({}, "x", None) == Score(0.0, {}, "no valid output") and len(model.requests) == 1


def test_a_judge_that_fails_scores_zero_and_says_why():
    m = judge_metric({})
    m._judge = Judge(ScriptedModel(["not json"]))
    s = m({"q": "?"}, "Tokyo", "Tokyo")
    assert s.value == 0.0 and s.reason.startswith("the judge gave no verdict: Output did not match")


def test_judge_metric_reports_agreement_once_in_notes(tmp_path):
    rows = [{"question": "q", "answer": "a", "human_score": h} for h in (5, 1, 4)]
    (tmp_path / "labelled.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    m = judge_metric({"labelled": "labelled.jsonl", "model": "a-judge"}, root=tmp_path)
    m._judge = Judge(model := ScriptedModel(lambda msgs: {"reason": "r", "score": [5, 2, 4][len(model.requests) - 1]}))
    notes = m.notes()
    assert notes == {"judge": {"model": "a-judge", "scale": 5, "labelled": "labelled.jsonl", "agreement": {
        "n": 3, "exact": pytest.approx(2 / 3), "within_1": 1.0, "spearman": pytest.approx(1.0)}}}
    assert m.notes() is notes and len(model.requests) == 3  # computed once
    assert judge_metric({}).notes() == {"judge": {"model": "smollm2", "scale": 5}}


def test_judge_model_is_resolved_lazily():
    m = judge_metric({"model": "no-such-model-anywhere"})  # building never loads a model
    assert m._judge is None
    with pytest.raises(ModelNotFound, match="no-such-model-anywhere"):  # the first score does
        m.judge
