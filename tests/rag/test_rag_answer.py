"""Answers with the real bundled smollm2 (greedy, short): structural checks only."""

import pytest
from conftest import DEMO

from ladder.models import ScriptedModel
from ladder.rag import NOT_FOUND, ask, load_qa, search

OFF_TOPIC = ["Who won the football world cup in 1998?", "How do I configure a Kubernetes ingress controller?",
             "What is the capital of Australia?", "Recipe for chocolate chip cookies", "如何申请美国签证？",
             "股票市场今天涨了吗？", "東京の天気はどうですか？", "What is the boiling point of mercury?",
             "How many legs does a spider have?", "Python list comprehension syntax", "北京烤鸭怎么做？",
             "What time does the post office open?"]


def test_relevance_threshold_separates_demo_questions_from_off_topic(demo_index):
    on = sum(search(demo_index, q.question, k=4).relevant for q in load_qa(DEMO / "qa.jsonl"))
    off = sum(search(demo_index, q, k=4).relevant for q in OFF_TOPIC)
    assert on >= 25 and off == 0, (on, off)


def test_not_found_is_decided_by_retrieval_without_a_model_call(demo_index):
    model = ScriptedModel(["The capital is Canberra [1]."])
    a = ask("What is the capital of Australia?", demo_index, model)
    assert (a.text, a.found, a.sources) == (NOT_FOUND, False, [])
    assert model.requests == []


def test_citations_map_to_the_sources_sent(demo_index):
    model = ScriptedModel(["Inflate to 65 psi [1], see also [2, 9] and [3]."])
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3)
    assert a.cited == [1, 2, 3]  # [9] is not a source: dropped
    assert a.citations[0].path.endswith("bicycle-repair.txt")
    system = a.messages[0].content
    assert "[1] (bicycle-repair.txt)" in system and a.citations[0].text in system


@pytest.mark.slow
def test_real_model_answer_streams_and_cites_real_sources(demo_index, smollm2):
    pieces = []
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, smollm2, k=2,
            max_tokens=60, on_text=pieces.append)
    assert a.found and "".join(pieces).strip() == a.text and a.text
    assert [s.n for s in a.sources] == [1, 2]
    assert a.sources[0].path.endswith("bicycle-repair.txt")
    assert a.cited and all(1 <= n <= 2 for n in a.cited)  # cited (by the model or by overlap), real sources
    assert a.citations[0].path.endswith("bicycle-repair.txt")
    for s in a.citations:  # and that source's span is the real text of its file
        from pathlib import Path

        assert Path(s.path).read_text(encoding="utf-8")[s.start:s.end] == s.text


def test_uncited_sentences_get_the_source_they_come_from(demo_index):
    """The model forgot [n]: each sentence is matched to the source holding most of its
    words; the streamed text carries the attributed numbers; unrelated sentences stay bare."""
    from ladder.rag.answer import Citer, Source

    sources = [Source(1, "a.txt", 0, 10, "", "Pump a shared bike tyre to 65 psi before a long ride."),
               Source(2, "b.txt", 0, 10, "", "古琴有七根弦，是中国最古老的弹拨乐器之一。")]
    out = []
    citer = Citer(sources, out.append)
    for piece in ["Pump the tyre", " to 65 psi. Pandas", " like bamboo! 古琴", "有七根弦。", "Already cited [2]."]:
        citer.feed(piece)
    text = citer.close()
    assert text == "Pump the tyre to 65 psi [1]. Pandas like bamboo! 古琴有七根弦 [2]。Already cited [2]."
    assert "".join(out) == text and citer.attributed == [1, 2]


def test_ask_marks_attributed_citations_apart_from_the_models(demo_index):
    model = ScriptedModel(["You should inflate the city bike tyres to 65 psi."])
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3)
    assert a.attributed and a.cited == a.attributed
    assert a.citations[0].path.endswith("bicycle-repair.txt")
    plain = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3, attribute=False)
    assert plain.cited == [] and plain.attributed == []
