from pathlib import Path

import pytest
from rouge_score.rouge_scorer import RougeScorer
from sacrebleu.metrics import CHRF

from ladder.evals.metrics import MetricContext, Score, build_metric
from ladder.evals.text import chrf, contains, exact, normalize, rouge_l, token_f1, tokens


def metric(raw, schema=None):
    return build_metric({"type": "text", **raw}, MetricContext(schema or {"type": "string"}, Path("."), "t/task.yaml"))


def test_normalize_and_tokens_split_cjk_per_character():
    assert normalize("  The  Cat, sat!  ") == "the cat sat"
    assert normalize("ＡＢＣ１２３") == "abc123"  # full width folds
    assert tokens("東京は日本の首都です。") == list("東京は日本の首都です")
    assert tokens("カタカナ and 漢字 mixed2") == ["カ", "タ", "カ", "ナ", "and", "漢", "字", "mixed2"]


def test_normalized_exact():
    assert exact("The answer: Tokyo.", "the answer tokyo") == 1.0 and exact("Tokyo", "Kyoto") == 0.0
    assert exact("東京。", "東京") == 1.0


def test_contains_any():
    assert contains("It is Tokyo, of course.", "tokyo") == 1.0 and contains("Kyoto", "Tokyo") == 0.0
    m = metric({"measure": "contains-any"})
    assert m({}, ["Kyoto", "Tokyo"], "The capital is TOKYO.").value == 1.0
    assert m({}, ["Kyoto", "Osaka"], "The capital is Tokyo.").value == 0.0
    assert m({}, ["京都", "東京"], "首都は東京です").value == 1.0


def test_token_f1_by_hand():
    # out: the cat sat (3), ref: the cat sat on the mat (6): common 3 -> P 1, R 0.5, F1 2/3
    assert token_f1("The cat sat", "the cat sat on the mat") == pytest.approx(2 / 3)
    # a repeat counts only as often as the reference has it: "the the" vs "the": common 1, P 0.5, R 1
    assert token_f1("the the", "the") == pytest.approx(2 / 3)
    # Chinese per character: out 東京是首都 (5), ref 首都是東京 (5): common 5 -> 1.0
    assert token_f1("東京是首都", "首都是東京") == 1.0
    # Japanese: out 東京です (4) vs ref 東京 (2): common 2 -> P 0.5, R 1, F1 2/3
    assert token_f1("東京です", "東京") == pytest.approx(2 / 3)
    assert token_f1("", "") == 1.0 and token_f1("x", "") == 0.0 and token_f1("a", "b") == 0.0


def test_rouge_l_by_hand_on_cjk():
    # out 東京は首都 (5), ref 東京は日本の首都 (8): LCS 東京は首都 = 5 -> P 1, R 5/8, F 10/13
    assert rouge_l("東京は首都", "東京は日本の首都") == pytest.approx(10 / 13)
    # 北京是中国的首都 vs 中国的首都是北京: LCS 中国的首都 = 5 of 8 each -> F 5/8
    assert rouge_l("北京是中国的首都", "中国的首都是北京") == pytest.approx(5 / 8)
    # rouge-score's own tokenizer drops non-ASCII: it would call any two Chinese answers 0
    assert RougeScorer(["rougeL"]).score("中国的首都", "北京")["rougeL"].fmeasure == 0.0


def test_rouge_l_matches_rouge_score_on_ascii():
    ref, out = "the quick brown fox jumps over the lazy dog", "the brown fox jumped over a dog"
    assert rouge_l(out, ref) == pytest.approx(RougeScorer(["rougeL"]).score(ref, out)["rougeL"].fmeasure)


def test_chrf_is_sacrebleus_sentence_chrf_over_100():
    for out, ref in [("the cat sat", "the cat sat on the mat"), ("東京は首都です", "東京は日本の首都です")]:
        assert chrf(out, ref) == pytest.approx(CHRF().sentence_score(out, [ref]).score / 100)
    assert chrf("identical text", "identical text") == pytest.approx(1.0)
    assert 0.0 < chrf("東京です", "東京") < 1.0


def test_the_best_reference_counts():
    m = metric({"measure": "token-f1"})
    s = m({}, ["the cat sat on the mat", "the cat sat"], "The cat sat")
    assert s.value == 1.0 and "best of 2 references" in s.reason
    assert m({}, "the cat sat on the mat", "The cat sat").value == pytest.approx(2 / 3)


def test_object_output_scores_the_named_field():
    schema = {"type": "object", "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}}}
    m = metric({"measure": "exact", "field": "answer"}, schema)
    assert m({}, {"answer": "Tokyo", "confidence": 1}, {"answer": "tokyo.", "confidence": 0.2}).value == 1.0
    assert m({}, {"answer": "Tokyo", "confidence": 1}, {"answer": "Kyoto", "confidence": 1}).value == 0.0
    assert m({}, ["Tokyo", "東京"], {"answer": "東京", "confidence": 1}).value == 1.0


def test_no_output_and_the_references_attribute():
    m = metric({"measure": "rouge-l"})
    assert m({}, "Tokyo", None) == Score(0.0, {}, "no valid output")
    assert m.references is True and m.type == "text" and m.measure == "rouge-l"
    assert metric({}).measure == "token-f1"  # the default measure
