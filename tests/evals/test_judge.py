from ladder import ScriptedModel
from ladder.evals.judge import Judge, agreement, load_labelled, spearman


def test_judge_reason_comes_before_score_and_is_parsed():
    model = ScriptedModel([{"reason": "matches the reference", "score": 5}])
    v = Judge(model)("Capital of Japan?", "Tokyo", "Tokyo")
    assert (v.score, v.reason) == (5, "matches the reference")
    assert list(model.requests[0].schema["properties"]) == ["reason", "score"]
    assert "Reference answer: Tokyo" in model.requests[0].messages[-1].content


def test_agreement_against_human_labels():
    labelled = load_labelled("examples/judge/labelled.jsonl")
    # a judge that copies the human score agrees perfectly; one that says 3 always does not
    humans = iter(r["human_score"] for r in labelled)
    result = agreement(Judge(ScriptedModel(lambda m: {"reason": "r", "score": next(humans)})), labelled)
    assert result["exact"] == 1.0 and result["spearman"] > 0.99
    flat = agreement(Judge(ScriptedModel([{"reason": "r", "score": 3}])), labelled)
    assert flat["exact"] < 0.3 and flat["spearman"] is None


def test_spearman_handles_ties():
    assert abs(spearman([1, 2, 3], [1, 2, 3]) - 1.0) < 1e-9
    assert round(spearman([1, 2, 3, 4], [4, 3, 2, 1]), 6) == -1.0
    assert spearman([1, 1, 2], [1, 2, 2]) > 0
