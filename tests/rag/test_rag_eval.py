from ladder.models import ScriptedModel
from ladder.rag.eval import QA, eval_answers


def test_faithfulness_is_the_one_judge_pass_fail_with_the_sources(demo_index):
    qa = [QA("What pressure should I pump a shared bike tyre to?", "bicycle-repair.txt", ["65 psi"]),
          QA("How long do I wait after spreading the glue on a patch?", "bicycle-repair.txt", ["one minute"]),
          QA("What is the capital of Australia?", "none", ["Canberra"])]  # off-topic: not found, not judged
    answers = ScriptedModel(["Inflate to 65 psi [1].", "Pedal backwards [1]."])
    judge = ScriptedModel([{"reason": "the sources say 65 psi", "pass": True},
                           {"reason": "the sources do not say so", "pass": False}])
    s = eval_answers(demo_index, qa, answers, judge, k=3, structured=False)
    assert (s.n, s.faithfulness) == (3, 1 / 3) and s.hit_rate == 1 / 3
    assert len(judge.requests) == 2  # the unanswered question is not judged
    first = judge.requests[0]
    assert list(first.schema["properties"]) == ["reason", "pass"]  # reason before verdict
    sent = first.messages[-1].content
    assert sent.startswith("Sources:\n[1]") and "bicycle-repair.txt" in sent
    assert "Question: What pressure should I pump" in sent and "Answer to judge: Inflate to 65 psi [1]." in sent
    assert "faithfulness" in first.messages[0].content


def test_model_cited_rate_counts_structured_citations(demo_index):
    qa = [QA("What pressure should I pump a shared bike tyre to?", "bicycle-repair.txt", ["65 psi"])]
    answers = ScriptedModel([{"answer": "65 psi", "citations": [1]}])
    judge = ScriptedModel([{"reason": "the sources say 65 psi", "pass": True}])
    s = eval_answers(demo_index, qa, answers, judge, k=3, structured=True)
    assert (s.hit_rate, s.model_cited_rate, s.cited_correct, s.faithfulness) == (1.0, 1.0, 1.0, 1.0)
