import json

from ladder.models import ScriptedModel
from ladder.rungs import PromptRung, build_rung
from ladder.tasks import load_task

import ladder.rag.rung  # noqa: F401  (registers "rag")
from ladder.rag.rung import RagContext

ANSWER = {"date": "2026-03-02", "amount": 2, "currency": "CNY", "category": "transport", "merchant": None}
INPUT = {"text": "青河地铁三号线车票两元", "today": "2026-03-02", "default_currency": "CNY"}


def test_rag_rung_puts_numbered_sources_in_the_system_prompt(demo_index):
    task = load_task("expenses")
    model = ScriptedModel([ANSWER])
    pred = PromptRung([RagContext(demo_index, k=2)])(task, INPUT, model)
    assert pred.output is not None and pred.output["amount"] == 2
    system = pred.messages[0].content
    assert system.startswith(task.instructions.strip()[:40])  # same message building as the others
    assert "[1] (地铁.md" in system and "[2] (" in system and "[3] (" not in system
    assert model.requests[0].messages[0].content == system  # what was sent is what we report


def test_rag_composes_by_spec_with_the_index_from_the_environment(demo_index, monkeypatch):
    monkeypatch.setenv("LADDER_RAG_INDEX", str(demo_index.path))
    rung = build_rung("few-shot-2+rag-3")
    model = ScriptedModel([json.dumps(ANSWER)])
    pred = rung(load_task("expenses"), INPUT, model)
    assert rung.name == "few-shot-2+rag-3"
    roles = [m.role for m in pred.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]  # 2 examples kept
    assert "[3] (" in pred.messages[0].content


def test_rag_then_cot_runs_both(demo_index, monkeypatch):
    monkeypatch.setenv("LADDER_RAG_INDEX", str(demo_index.path))
    model = ScriptedModel([{"reasoning": "a metro ticket", **ANSWER}])
    pred = build_rung("rag-2+cot")(load_task("expenses"), INPUT, model)
    assert pred.output == ANSWER  # reasoning dropped from the answer
    sent = model.requests[0]
    assert "[2] (" in sent.messages[0].content and '"reasoning"' in sent.messages[0].content
    assert list(sent.schema["properties"])[0] == "reasoning"
