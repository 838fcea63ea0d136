from conftest import DEMO

from ladder.rag import eval_retrieval, load_qa, search
from ladder.rag.search import rrf


def test_rrf_fuses_rankings():
    fused = rrf({"a": [1, 2, 3], "b": [3, 1]})
    assert [i for i, _, _ in fused] == [1, 3, 2]
    assert fused[0][2] == {"a": 1, "b": 2}


def test_chinese_full_text_matches_when_segmentation_differs(demo_index):
    # the text says 雾芽 (one jieba word); the question segments as 雾 / 芽茶
    hits = search(demo_index, "雾芽茶是在什么时候采的？", k=3, mode="fulltext").hits
    assert hits and hits[0].path.endswith("茶园.md")


def test_japanese_query(demo_index):
    for mode in ("fulltext", "vector", "hybrid"):
        hits = search(demo_index, "源泉の温度は何度ですか", k=3, mode=mode).hits
        assert hits[0].path.endswith("温泉.md"), mode


def test_hits_carry_file_span_and_heading(demo_index):
    hit = search(demo_index, "Golden Wick prize jury", k=1).hits[0]
    text = (DEMO / "docs" / "lantern-festival.md").read_text(encoding="utf-8")
    assert text[hit.start:hit.end] == hit.text
    assert hit.heading == "The Brightwater Lantern Festival > Prizes"


def test_hybrid_recall_at_least_the_best_single_side(demo_index):
    scores = {s.mode: s for s in eval_retrieval(demo_index, load_qa(DEMO / "qa.jsonl"), k=5)}
    assert scores["hybrid"].recall >= max(scores["fulltext"].recall, scores["vector"].recall)
    assert scores["hybrid"].recall >= 0.85
