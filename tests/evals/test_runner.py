import pytest

from ladder import ScriptedModel
from ladder.evals import RunStore, evaluate
from ladder.rungs import build_rung
from ladder.tasks import load_task


def test_evaluate_stores_every_record_and_summarizes():
    task = load_task("expenses")
    examples = task.split("dev")[:6]
    # right on the even items, wrong merchant on the odd ones
    answers = iter([ex.expected if i % 2 == 0 else {**ex.expected, "merchant": "nobody"}
                    for i, ex in enumerate(examples)])
    model = ScriptedModel(lambda messages: next(answers))
    result = evaluate(task, build_rung("zero-shot"), model, examples, progress=False, data="dev")
    s = result.summary
    assert s["n"] == 6 and s["quality"] == 0.5 and s["valid_rate"] == 1.0
    assert s["field_acc"]["merchant"] == 0.5 and s["field_acc"]["date"] == 1.0
    lo, hi = s["quality_ci"]
    assert lo <= 0.5 <= hi
    records = RunStore().records(result.run_id)
    assert len(records) == 6
    first = records[0]
    assert first["messages"][-1]["content"].startswith("text: ")  # the exact prompt is kept
    assert first["score"]["exact"] and not records[1]["score"]["exact"]
    assert RunStore().runs("expenses")[0]["summary"]["quality"] == 0.5


def test_consistency_repeats_and_paraphrases():
    from ladder.evals import consistency

    task = load_task("expenses")
    pairs = task.paraphrase_pairs()
    assert len(pairs) >= 10
    examples = task.split("dev")[:3]
    same = consistency(task, build_rung("zero-shot"), ScriptedModel([examples[0].expected]), examples,
                       pairs=pairs[:4])
    assert same["repeat"] == 1.0 and same["paraphrase"] == 1.0 and same["paraphrase_n"] == 4
    # a model whose answer depends on the exact wording is inconsistent on paraphrases
    by_len = ScriptedModel(lambda m: {**examples[0].expected, "amount": len(m[-1].content)})
    varied = consistency(task, build_rung("zero-shot"), by_len, examples[:1], pairs=pairs[:4])
    assert varied["paraphrase"] < 1.0 and varied["repeat"] == 1.0


def test_a_killed_evaluation_resumes_where_it_stopped():
    """Ctrl-C on item 4 of 6, then resume=True: the three finished items are kept (not
    re-asked), the rest are run under the same run id, and the summary covers all six."""
    task = load_task("expenses")
    examples = task.split("dev")[:6]
    asked = []

    def answer(messages):
        asked.append(messages[-1].content)
        if len(asked) == 4 and not resumed:
            raise KeyboardInterrupt
        return next(ex.expected for ex in examples if task.format_input(ex.input) == messages[-1].content)

    resumed = False
    model = ScriptedModel(answer)
    with pytest.raises(KeyboardInterrupt):
        evaluate(task, build_rung("zero-shot"), model, examples, progress=False, data="dev")
    assert len(asked) == 4
    resumed = True
    result = evaluate(task, build_rung("zero-shot"), model, examples, progress=False, data="dev", resume=True)
    assert len(asked) == 4 + 3  # items 4, 5, 6 only
    assert result.summary["n"] == 6 and result.summary["quality"] == 1.0
    assert result.summary["model"] == model.name
    runs = RunStore().runs("expenses")
    assert len(runs) == 1 and runs[0]["id"] == result.run_id and runs[0]["summary"]["n"] == 6
    fresh = evaluate(task, build_rung("zero-shot"), model, examples[:5], progress=False, data="dev", resume=True)
    assert fresh.run_id != result.run_id  # other settings (5 items): a new run
