"""The search finds what the instructions need, within its budget, and keeps every candidate."""

from __future__ import annotations

import json

import pytest

from ladder.errors import ConfigError
from ladder.optimize import artifact_dir, load_artifact, optimize
from ladder.rungs import build_rung

from shout_task import KEYWORD, keyword_model, proposer_model


def dev_quality(task, spec, model, split="dev"):
    rung = build_rung(spec)
    items = task.split(split)
    return sum(task.metric(ex.input, ex.expected, rung(task, ex.input, model).output).value for ex in items) / len(items)


def test_the_search_finds_the_keyword_within_its_budget(shout_task):
    seen = []
    art = optimize(shout_task, keyword_model(), shout_task.split("dev"), proposer=proposer_model(seen), budget=40,
                   name="shout-k", progress=False)
    # the starting prompt gets nothing right; the search's best gets everything right on dev ...
    assert art.seed_dev_score == 0.0 and art.dev_score == 1.0 and art.complete
    assert KEYWORD in art.instructions
    assert art.provenance["metric_calls"] <= 40 + 2 * 3  # gepa checks the budget between iterations
    assert art.provenance["proposer"] == "proposer-model" and art.provenance["gepa"]
    # ... because the proposer was shown the failures with their correct answers
    assert any('The correct answer is {"label": "WORD' in p for p in seen)
    # and the saved rung does the same on the test split, which the search never saw
    assert load_artifact("shout-k").instructions == art.instructions
    assert dev_quality(shout_task, "optimized:shout-k", keyword_model(), "test") == 1.0
    assert dev_quality(shout_task, "zero-shot", keyword_model(), "test") == 0.0


def test_without_a_useful_proposal_the_starting_prompt_stays(shout_task):
    # a proposer that never sees what is wrong (it only echoes) cannot find the keyword:
    # the test above passes because the search works, not by construction
    from ladder.models import ScriptedModel

    echo = ScriptedModel(lambda m: "```\n" + m[-1].content.split("```")[1].strip() + " Be brief.\n```", name="echo")
    art = optimize(shout_task, keyword_model(), shout_task.split("dev"), proposer=echo, budget=30, name="shout-echo",
                   progress=False, max_demos=0)
    assert art.dev_score == 0.0 and KEYWORD not in art.instructions


def test_every_candidate_and_score_is_stored(shout_task):
    optimize(shout_task, keyword_model(), shout_task.split("dev"), proposer=proposer_model(), budget=40,
             name="shout-store", progress=False)
    folder = artifact_dir("shout-store")
    rows = [json.loads(line) for line in (folder / "candidates.jsonl").read_text().splitlines()]
    prompts = {r["candidate"]: r for r in rows if "instructions" in r}
    scores = [r for r in rows if "dev_score" in r]
    assert len(prompts) >= 2 and all(r["candidate"] in prompts for r in scores)
    assert {r["dev_score"] for r in scores} == {0.0, 1.0}
    evals = [json.loads(line) for line in (folder / "evals.jsonl").read_text().splitlines()]
    assert {e["candidate"] for e in evals} <= set(prompts)  # every score names a stored prompt
    assert any(KEYWORD in prompts[e["candidate"]]["instructions"] and e["score"] == 1.0 for e in evals)
    proposals = [json.loads(line) for line in (folder / "proposals.jsonl").read_text().splitlines()]
    assert proposals and all(p["prompt"] and p["answer"] for p in proposals)


def test_failing_training_items_become_demos(shout_task):
    # a model that is right only for words it was shown as a demonstration: the demos
    # component (not the instructions) is what the search must change
    from ladder.models import ScriptedModel

    def reply(messages):
        word = messages[-1].content.split("word: ")[1].strip()
        shown = " ".join(m.content for m in messages[1:-1])
        return {"label": word.upper() if "word: word" in shown else word}

    echo = ScriptedModel(lambda m: "```\n" + m[-1].content.split("```")[1].strip() + "\n```", name="echo")
    art = optimize(shout_task, ScriptedModel(reply, name="demo-model"), shout_task.split("dev"), proposer=echo,
                   budget=40, name="shout-demos", progress=False)
    assert art.seed_dev_score == 0.0 and art.dev_score == 1.0
    assert art.demos and all(d["source"].startswith("train.jsonl:") for d in art.demos)


def test_budget_and_name_errors_say_how_to_fix(shout_task):
    with pytest.raises(ConfigError, match="--budget 5 is too small.*--budget 36"):
        optimize(shout_task, keyword_model(), shout_task.split("dev"), budget=5, progress=False)
    with pytest.raises(ConfigError, match="not usable in a rung spec"):
        optimize(shout_task, keyword_model(), shout_task.split("dev"), name="a+b", progress=False)
