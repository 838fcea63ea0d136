import pytest

from ladder import ScriptedModel
from ladder.climb import climb, recommend, recommended
from ladder.tasks import load_task


def row(rung, quality, p50, cost, tokens=100):
    return {"rung": rung, "model": "m", "quality": quality, "quality_ci": (quality - 0.1, quality + 0.1),
            "p50_ms": p50, "cpu_s_per_1k": cost, "prompt_tokens": tokens,
            "field_acc": {"date": 0.9, "category": 0.4}}


def test_recommends_the_cheapest_rung_meeting_the_bar():
    rows = [row("zero-shot", 0.5, 100, 200), row("few-shot", 0.85, 300, 600), row("sc", 0.9, 900, 3000)]
    rec = recommend(rows, bar=0.8)
    assert rec["rung"] == "few-shot" and rec["meets_bar"] and "sc" in rec["reason"]


def test_latency_budget_can_exclude_passing_rungs():
    rows = [row("few-shot", 0.85, 300, 600), row("sc", 0.9, 900, 3000)]
    assert recommend(rows, 0.8, budget_latency_ms=1000)["rung"] == "few-shot"
    rec = recommend(rows, 0.8, budget_latency_ms=200)
    assert rec["rung"] is None and "budget" in rec["reason"] and "fine-tuning" in rec["reason"]


def test_no_rung_meets_the_bar_points_to_fine_tuning_with_the_reason():
    rec = recommend([row("zero-shot", 0.1, 100, 200), row("few-shot", 0.3, 300, 600)], bar=0.8)
    assert rec["rung"] is None and rec["best"] == "few-shot"
    assert "No rung meets the bar of 80%" in rec["reason"] and "category 40%" in rec["reason"]
    assert "fine-tuning" in rec["reason"]
    with_student = recommend([row("few-shot", 0.3, 300, 600), row("student-gold", 0.6, 60, 500)], bar=0.8)
    assert with_student["best"] == "student-gold" and "train it longer" in with_student["reason"]


def test_climb_end_to_end_with_scripted_model_is_reproducible(tmp_path):
    task = load_task("expenses")
    examples = task.split("dev")[:5]
    by_text = {ex.input["text"]: ex.expected for ex in examples}

    def oracle(messages):  # right only when the prompt shows examples (few-shot)
        text = messages[-1].content.split("\n")[0][len("text: "):]
        return by_text[text] if len(messages) > 2 else {**by_text[text], "category": "other"}

    results = [climb(task, ScriptedModel(oracle), examples, rungs=["zero-shot", "few-shot-2"], bar=0.8,
                     progress=False, out=tmp_path / f"r{i}") for i in range(2)]
    for r in results:
        assert r.recommendation["rung"] == "few-shot-2"
        assert (tmp_path / "r0" / "report.html").is_file()
    strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith("_ms") and k not in ("run_id", "cpu_s_per_1k")}
                          for r in rows]
    assert strip(results[0].rows) == strip(results[1].rows)  # same seed, same table
    assert recommended("expenses") == {"rung": "few-shot-2", "model": "scripted", "meets_bar": True}
    html = (tmp_path / "r0" / "report.html").read_text()
    assert "<svg" in html and "few-shot-2" in html and "http" not in html.split("</style>")[0]


@pytest.mark.slow
def test_climb_with_the_real_model_on_a_few_items(tmp_path, smollm2):
    task = load_task("expenses")
    examples = task.split("test")[:3]
    runs = [climb(task, smollm2, examples, rungs=["zero-shot", "retrieved-few-shot-2"], progress=False,
                  out=tmp_path) for _ in range(2)]
    for a, b in zip(runs[0].rows, runs[1].rows):  # greedy decoding: the same numbers again
        assert (a["quality"], a["field_acc"], a["prompt_tokens"], a["completion_tokens"]) == \
               (b["quality"], b["field_acc"], b["prompt_tokens"], b["completion_tokens"])
    assert all(r["valid_rate"] > 0 for r in runs[0].rows)


def test_trained_students_join_the_ladder(smollm2):
    from ladder import register_model
    from ladder.climb import student_rungs
    from ladder.rungs import build_rung

    task = load_task("expenses")
    assert student_rungs(task) == []
    register_model("expenses-student-gold", backend="llamacpp", path=smollm2.path)
    assert student_rungs(task) == ["student-gold"]
    pred = build_rung("student-gold")(task, task.split("dev")[0].input, None)
    assert pred.calls[0].model == "expenses-student-gold" and pred.output is not None
