"""Answers: retrieval's not-found, citations (free text and structured), attribution; the real
bundled smollm2 (greedy, short) for structural checks, the default answer model in one slow test."""

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
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3, structured=False)
    assert a.cited == [1, 2, 3]  # [9] is not a source: dropped
    assert a.citations[0].path.endswith("bicycle-repair.txt")
    system = a.messages[0].content
    assert "[1] (bicycle-repair.txt)" in system and a.citations[0].text in system


@pytest.mark.slow
def test_real_model_answer_streams_and_cites_real_sources(demo_index, smollm2):
    pieces = []
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, smollm2, k=2,
            max_tokens=60, on_text=pieces.append, structured=False)
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
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3, structured=False)
    assert a.attributed and a.cited == a.attributed
    assert a.citations[0].path.endswith("bicycle-repair.txt")
    plain = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3, attribute=False,
                structured=False)
    assert plain.cited == [] and plain.attributed == []


def test_structured_answer_takes_its_citations_from_the_schema(demo_index):
    from ladder.rag.answer import ANSWER_CHARS

    model = ScriptedModel([{"answer": "Inflate to 65 psi.", "citations": [2, 1, 2]}])
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3, structured=True)
    schema = model.requests[0].schema
    assert schema["properties"]["answer"]["maxLength"] == ANSWER_CHARS
    assert schema["properties"]["citations"]["items"] == {"enum": [1, 2, 3]}  # only sources that were sent
    assert a.text == "Inflate to 65 psi. [2] [1]"
    assert a.cited == a.by_model == [2, 1] and a.attributed == []
    assert '"citations"' in a.messages[0].content and "[1] (bicycle-repair.txt)" in a.messages[0].content


def test_structured_answer_keeps_invalid_output_as_its_text(demo_index):
    model = ScriptedModel(["Inflate to 65 psi"])  # not JSON: kept as the text, not cited by the model
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3, structured=True,
            attribute=False)
    assert (a.text, a.cited, a.by_model, a.response.parsed) == ("Inflate to 65 psi", [], [], None)


def test_free_text_by_model_leaves_out_attributed_numbers(demo_index):
    model = ScriptedModel(["You should inflate the city bike tyres to 65 psi. Patch it [3]."])
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3, structured=False)
    assert a.attributed and a.by_model == [3] and set(a.cited) == {3, *a.attributed}


@pytest.mark.slow
def test_real_model_structured_answer_is_valid_json_with_real_sources(demo_index, smollm2):
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, smollm2, k=2,
            max_tokens=60, structured=True)
    assert a.response.parsed is not None  # the grammar makes it valid by construction
    assert set(a.by_model) <= {1, 2} and a.cited == a.by_model


def test_structured_answer_without_citations_is_attributed_apart(demo_index):
    model = ScriptedModel([{"answer": "65 psi", "citations": []}])  # short: found verbatim in a source
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, model, k=3, structured=True)
    assert a.by_model == [] and a.attributed == a.cited and a.text == f"65 psi [{a.cited[0]}]"
    assert a.citations[0].path.endswith("bicycle-repair.txt")
    nothing = ScriptedModel([{"answer": "Not found in the documents.", "citations": []}])
    a = ask("What pressure should I pump a shared bike tyre to?", demo_index, nothing, k=3, structured=True)
    assert (a.cited, a.attributed) == ([], [])


@pytest.mark.slow
def test_default_answer_model_answers_a_demo_question_citing_its_source(demo_index):
    """The measured default (qwen2.5-coder-1.5b, structured): the demo set's first question."""
    from ladder.models import get_model
    from ladder.rag.answer import DEFAULT_ANSWER_MODEL

    model = get_model(DEFAULT_ANSWER_MODEL)
    a = ask("In which month do people in Brightwater parade with lanterns?", demo_index, model, max_tokens=120)
    assert "October" in a.text and a.by_model
    assert any(s.path.endswith("lantern-festival.md") for s in a.citations)
