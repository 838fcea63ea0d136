import pytest

from ladder import ConfigError, ScriptedModel
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
    one_field = [{**row("zero-shot", 0.3, 100, 200), "field_acc": {"sql": 0.3}}]  # an execution metric
    assert "weakest" not in recommend(one_field, bar=0.8)["reason"]


def test_climb_end_to_end_with_scripted_model_is_reproducible(tmp_path):
    task = load_task("expenses")
    examples = task.split("dev")[:5]
    by_text = {ex.input["text"]: ex.expected for ex in examples}

    def oracle(messages):  # right only when the prompt shows examples (few-shot)
        text = messages[-1].content.split("\n")[0][len("text: "):]
        return by_text[text] if len(messages) > 2 else {**by_text[text], "category": "other"}

    results = [climb(task, ScriptedModel(oracle), examples, rungs=["zero-shot", "few-shot-2"], bar=0.8,
                     progress=False, out=tmp_path / f"r{i}") for i in range(2)]
    for i, r in enumerate(results):
        assert r.recommendation["rung"] == "few-shot-2"
        assert r.report == tmp_path / f"r{i}" / "report.html" and r.report.is_file()
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


@pytest.mark.slow
def test_a_50_item_climb_with_one_context_overflow_finishes_and_reports_one_error(tmp_path):
    """The real model on a plain string-enum task; one input is far longer than the
    context window. The climb finishes, that item is recorded as an error on every
    rung, and the constrained rungs are valid on every other item."""
    import json

    import yaml

    from ladder.models import get_model

    words = ["great", "awful", "fine", "love it", "hate it", "okay", "superb", "broken", "meh", "wonderful"]
    rows = [{"input": {"text": f"{words[i % 10]} #{i}"},
             "expected": ["positive", "negative", "neutral", "positive", "negative", "neutral", "positive",
                          "negative", "neutral", "positive"][i % 10]} for i in range(50)]
    rows[17]["input"]["text"] = "long " * 3000  # ~3,000 tokens into a 1,024-token context
    (tmp_path / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows[:10] if r is not rows[17]) + "\n")
    (tmp_path / "task.yaml").write_text(yaml.safe_dump({
        "name": "overflow", "instructions": "Classify the sentiment.", "inputs": ["text"],
        "output_schema": {"type": "string", "enum": ["positive", "negative", "neutral"]},
        "generation": {"max_tokens": 8}, "data": {"train": "train.jsonl", "test": "test.jsonl"}}))
    task = load_task(tmp_path / "task.yaml")
    model = get_model("smollm2", n_ctx=1024)
    result = climb(task, model, task.split("test"), rungs=["zero-shot", "few-shot-2"], progress=False, out=tmp_path)
    for row in result.rows:
        assert row["n"] == 50 and row["errors"] == 1 and "context window" in row["error_examples"][0]
        assert row["valid_rate"] == 49 / 50
    html = (tmp_path / "report.html").read_text()
    assert "1 item(s) failed" in html


def test_costs_in_different_units_are_never_compared():
    local = {**row("zero-shot", 0.9, 900, 5000), "model": "smollm2", "local": True}
    remote = {**row("zero-shot", 0.95, 300, 0), "model": "openai:gpt", "local": False, "usd_per_1k": 0.02}
    rec = recommend([remote, local], bar=0.8)
    assert rec["model"] == "smollm2" and rec["cost_unit"] == "cpu-s"
    assert "not compared" in rec["reason"] and "--cpu-hour-usd" in rec["reason"]
    # with a price per CPU-hour both are dollars: 5,000 CPU-s per 1k items at $0.10/h = $0.139 > $0.02
    converted = recommend([remote, local], bar=0.8, cpu_hour_usd=0.10)
    assert converted["model"] == "openai:gpt" and converted["cost_unit"] == "usd"
    cheap_cpu = recommend([remote, local], bar=0.8, cpu_hour_usd=0.001)  # $0.0014 < $0.02
    assert cheap_cpu["model"] == "smollm2"
    unpriced = {**remote, "usd_per_1k": None}
    del unpriced["usd_per_1k"]
    only_remote = recommend([unpriced], bar=0.8)
    assert only_remote["cost_unit"] == "unknown" and "cost is unknown" in only_remote["reason"]


def test_passing_on_the_ci_lower_bound():
    rows = [row("few-shot", 0.85, 300, 600)]  # CI 0.75-0.95
    assert recommend(rows, bar=0.8)["rung"] == "few-shot"
    lower = recommend(rows, bar=0.8, pass_on="lower")
    assert lower["rung"] is None and "lower bound" in lower["reason"]


def test_the_model_by_rung_grid_ranks_pairs_and_runs_students_once(tmp_path):
    from ladder import register_model
    from ladder.models import get_model

    task = load_task("expenses")
    examples = task.split("dev")[:4]
    by_text = {ex.input["text"]: ex.expected for ex in examples}
    def right_zero_shot(m):  # right only without examples, so exactly one (model, rung) pair passes
        expected = by_text[m[-1].content.split("\n")[0][len("text: "):]]
        return expected if len(m) == 2 else {**expected, "amount": 2}

    right = ScriptedModel(right_zero_shot, name="right")
    wrong = ScriptedModel(lambda m: {**by_text[m[-1].content.split("\n")[0][len("text: "):]], "amount": 1}, name="wrong")
    register_model("expenses-student-gold", backend="llamacpp", path=get_model("smollm2").path)
    r = climb(task, [wrong, right], examples, rungs=["zero-shot", "few-shot-2", "student-gold"], bar=0.8,
              progress=False, out=tmp_path)
    assert [(x["model"], x["rung"]) for x in r.rows] == [
        ("wrong", "zero-shot"), ("wrong", "few-shot-2"), ("right", "zero-shot"), ("right", "few-shot-2"),
        ("expenses-student-gold", "student-gold")]
    assert r.recommendation["model"] == "right" and r.recommendation["rung"] == "zero-shot"
    assert r.recommendation["models"] == ["wrong", "right"]
    assert recommended("expenses")["model"] == "right"
    html = r.report.read_text()
    assert "right · zero-shot" in html and "Pareto front" in html
    with pytest.raises(ConfigError, match="twice"):
        climb(task, [right, right], examples, rungs=["zero-shot"], progress=False)


@pytest.mark.slow
def test_a_grid_climb_with_two_real_models(tmp_path, smollm2):
    from ladder.models import get_model

    task = load_task("expenses")
    r = climb(task, [smollm2, get_model("gemma3-270m")], task.split("test")[:2], rungs=["zero-shot"],
              progress=False, out=tmp_path)
    assert [x["model"] for x in r.rows] == ["smollm2", "gemma3-270m"]
    assert all(x["valid_rate"] == 1.0 and x["n"] == 2 for x in r.rows)
