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
