"""The optimized:NAME rung in build_rung, ladder eval, ladder optimize and the climb."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import ladder.models
from ladder.cli import cli
from ladder.climb import climb
from ladder.errors import ConfigError
from ladder.optimize import Artifact, optimized_rungs
from ladder.rungs import build_rung
from shout_task import KEYWORD, keyword_model, proposer_model, write_task


def save(task, name="shout-opt", instructions=f"Answer in capitals ({KEYWORD}).", demos=(), **kw):
    art = Artifact(name=name, task=task.name, instructions=instructions,
                   demos=[{"input": ex.input, "expected": ex.expected, "source": ex.source} for ex in demos],
                   dev_score=1.0, complete=True, provenance={"model": "keyword-model"}, **kw)
    art.save()
    return art


def test_the_rung_sends_the_optimized_instructions_and_demos(shout_task):
    demo = shout_task.train[0]
    save(shout_task, demos=[demo])
    rung = build_rung("optimized:shout-opt")
    assert rung.name == "optimized:shout-opt"
    model = keyword_model()
    pred = rung(shout_task, shout_task.split("test")[0].input, model)
    assert pred.output == {"label": shout_task.split("test")[0].expected["label"]}
    system, *turns, last = pred.messages
    assert system.content.startswith(f"Answer in capitals ({KEYWORD}).") and "Answer with the word." not in system.content
    assert [t.content for t in turns] == ["word: word0", json.dumps(demo.expected)]
    # the demo's own input never sees its own label
    own = rung(shout_task, demo.input, model)
    assert len(own.messages) == 2


def test_it_composes_with_retrieval_and_call_wrappers(shout_task):
    save(shout_task, retrieve=2)
    pred = build_rung("optimized:shout-opt+self-check-1")(shout_task, {"word": "word13"}, keyword_model())
    assert len(pred.messages) == 2 + 2 * 2  # system, 2 retrieved examples, the input
    assert pred.output == {"label": "WORD13"}


def test_errors_say_how_to_fix(shout_task, tmp_path):
    with pytest.raises(ConfigError, match="ladder optimize --task TASK --model MODEL --name nope"):
        build_rung("optimized:nope")
    with pytest.raises(ConfigError, match="needs a name"):
        build_rung("optimized:")
    save(shout_task)
    from ladder.tasks import load_task

    other = load_task("expenses")
    with pytest.raises(ConfigError, match="optimized for task 'shout', not 'expenses'"):
        build_rung("optimized:shout-opt")(other, other.split("dev")[0].input, keyword_model())


def test_ladder_optimize_then_eval_then_climb(tmp_path, monkeypatch):
    task_file = write_task(tmp_path / "shout")
    models = {"keyword-model": keyword_model, "proposer-model": proposer_model}
    monkeypatch.setattr(ladder.models, "get_model", lambda name=None, **kw: models[name]())
    run = lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)

    out = run("optimize", "--task", str(task_file), "--model", "keyword-model", "--proposer", "proposer-model",
              "--budget", "40", "--name", "shout-cli", "--json")
    assert out.exit_code == 0, out.output
    art = json.loads(out.output)
    assert art["dev_score"] == 1.0 and KEYWORD in art["instructions"]

    again = run("optimize", "--task", str(task_file), "--model", "keyword-model", "--name", "shout-cli")
    assert again.exit_code == 2 and "--resume" in again.output  # one line, no traceback

    ev = run("eval", "--task", str(task_file), "--model", "keyword-model", "--rung", "optimized:shout-cli",
             "--split", "test", "--json")
    assert ev.exit_code == 0, ev.output
    assert json.loads(ev.output)["quality"] == 1.0

    # the climb runs it beside the hand-written rungs: named in --rungs ...
    cl = run("climb", "--task", str(task_file), "--model", "keyword-model", "--rungs",
             "zero-shot,optimized:shout-cli", "--bar", "0.9", "--json", "--out", str(tmp_path / "report"))
    assert cl.exit_code == 0, cl.output
    rows = {r["rung"]: r["quality"] for r in json.loads(cl.output)["rows"]}
    assert rows == {"zero-shot": 0.0, "optimized:shout-cli": 1.0}
    assert json.loads(cl.output)["recommendation"]["rung"] == "optimized:shout-cli"
    # ... and by default, for the model it was optimized for
    cl = run("climb", "--task", str(task_file), "--model", "keyword-model", "--quick", "--json",
             "--out", str(tmp_path / "report"))
    rows = {r["rung"]: r["quality"] for r in json.loads(cl.output)["rows"]}
    assert rows["optimized:shout-cli"] == 1.0 and rows["retrieved-few-shot-4"] == 0.0


def test_the_climb_library_ranks_it_and_lists_it_for_its_task(shout_task):
    save(shout_task)
    assert optimized_rungs(shout_task) == ["optimized:shout-opt"]
    assert optimized_rungs(shout_task, ["keyword-model", "other"]) == ["optimized:shout-opt"]
    assert optimized_rungs(shout_task, ["other"]) == [] and optimized_rungs("expenses") == []
    result = climb(shout_task, keyword_model(), shout_task.split("test"), rungs=["zero-shot", "optimized:shout-opt"],
                   bar=0.9, progress=False)
    assert result.recommendation["rung"] == "optimized:shout-opt"


def test_it_is_a_teacher_pipeline_for_distill(shout_task, tmp_path):
    from ladder.distill.teacher import label, read_labels

    save(shout_task, demos=[shout_task.train[0]])
    inputs = [ex.input for ex in shout_task.train[:4]]
    stats = label(shout_task, inputs, keyword_model(), "optimized:shout-opt+self-check-1", tmp_path / "labels.jsonl",
                  progress=False)
    records = read_labels(tmp_path / "labels.jsonl")
    assert stats.kept == 4 and [r["expected"]["label"] for r in records] == ["WORD0", "WORD1", "WORD2", "WORD3"]
    assert all(r["teacher"]["rung"] == "optimized:shout-opt+self-check-1" for r in records)
    # the demo's own input was labelled without its own label in the prompt
    assert "WORD0" not in json.dumps(records[0]["prompt"])
