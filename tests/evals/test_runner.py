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


def _sentiment_task(tmp_path, n=6, validators=None):
    import json

    import yaml

    rows = [{"input": {"text": f"item {i}"}, "expected": "positive" if i % 2 else "negative"} for i in range(n)]
    (tmp_path / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = {"name": "sent", "instructions": "Classify.", "inputs": ["text"],
            "output_schema": {"type": "string", "enum": ["positive", "negative"]}, "data": {"test": "test.jsonl"}}
    if validators:
        (tmp_path / "validators.py").write_text(validators)
        spec["validators"] = "validators.py"
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(spec))
    return load_task(tmp_path / "task.yaml")


def _answer_by_item(task, wrong=(), fail=()):
    """Right on every item except ``wrong``; raises on ``fail`` (by item number)."""
    def answer(messages):
        i = int(messages[-1].content.split()[-1])
        if i in fail:
            raise RuntimeError(f"remote error on item {i}")
        right = "positive" if i % 2 else "negative"
        return f'"{right}"' if i not in wrong else f'"{"negative" if i % 2 else "positive"}"'
    return answer


def test_a_failing_item_is_a_result_not_a_crash(tmp_path):
    task = _sentiment_task(tmp_path)
    store = RunStore(tmp_path / "runs.db")
    model = ScriptedModel(_answer_by_item(task, wrong={1}, fail={3}))
    result = evaluate(task, build_rung("zero-shot"), model, task.split("test"), progress=False, store=store)
    s = result.summary
    assert s["n"] == 6 and s["errors"] == 1 and s["quality"] == 4 / 6 and s["valid_rate"] == 5 / 6
    assert "RuntimeError: remote error on item 3" in s["error_examples"][0]
    rec = store.records(result.run_id)[3]
    assert rec["failed"] and rec["output"] is None and rec["score"]["value"] == 0 and "item 3" in rec["error"]


def test_resume_retries_a_failed_item_at_most_once(tmp_path):
    task = _sentiment_task(tmp_path)
    store = RunStore(tmp_path / "runs.db")
    asked = []

    def answer(messages):
        asked.append(messages[-1].content)
        return _answer_by_item(task, fail={2})(messages)

    run = lambda: evaluate(task, build_rung("zero-shot"), ScriptedModel(answer), task.split("test"),  # noqa: E731
                           progress=False, store=store, resume=True)
    first = run()
    assert len(asked) == 6 and first.summary["errors"] == 1
    second = run()
    assert asked[6:] == ["text: item 2"] and second.run_id == first.run_id  # only the failed one, again
    assert second.summary["errors"] == 1 and store.records(first.run_id)[2]["attempts"] == 2
    run()
    assert len(asked) == 7  # tried once more, not again and again


def test_a_validator_that_raises_is_reported_not_fatal(tmp_path):
    task = _sentiment_task(tmp_path, validators="def validate(input, output):\n    return 1 / 0\n")
    pred = build_rung("zero-shot+self-check-1")(task, {"text": "item 0"}, ScriptedModel(['"negative"']))
    assert pred.output == "negative" and "ZeroDivisionError" in pred.error


def test_a_string_enum_task_reports_wrong_answers_as_wrong(tmp_path):
    """The old bug: a plain string schema has no fields, so every item scored 'exact'."""
    task = _sentiment_task(tmp_path)
    model = ScriptedModel(['"positive"'])  # always positive: right on the 3 odd items only
    s = evaluate(task, build_rung("zero-shot"), model, task.split("test"), progress=False,
                 store=RunStore(tmp_path / "runs.db")).summary
    assert s["quality"] == 0.5 and s["valid_rate"] == 1.0


def test_jobs_give_the_same_records_as_sequential_against_a_loopback_endpoint(tmp_path):
    from ladder.models import get_model
    from ladder.server import ServerConfig, create_app
    from ladder.server.app import running

    task = _sentiment_task(tmp_path, n=12)
    scripted = ScriptedModel(_answer_by_item(task, wrong={4, 7}))
    keep = ("idx", "input", "expected", "output", "text", "messages", "score", "error", "failed")
    with running(create_app(ServerConfig(), models={"scripted": scripted})) as url:
        remote = get_model("openai:scripted", base_url=f"{url}/v1")
        results = [evaluate(task, build_rung("zero-shot+self-check-1"), remote, task.split("test"), progress=False,
                            store=RunStore(tmp_path / f"runs{jobs}.db"), jobs=jobs) for jobs in (1, 4)]
    seq, par = ([{k: r[k] for k in keep} for r in RunStore(tmp_path / f"runs{j}.db").records(res.run_id)]
                for j, res in zip((1, 4), results))
    assert seq == par and len(seq) == 12
    assert results[0].summary["quality"] == results[1].summary["quality"] == 10 / 12


def test_repair_fixes_what_the_validators_name_and_the_records_say_so(tmp_path):
    """The same wrong dates, with and without `+repair`: the repaired run scores right the
    items whose text is plain about the day, stores the problem each fix resolved, and
    counts the answers fixed."""
    task = load_task("expenses")
    examples = task.split("dev")[12:20]  # row 17 is not plain about its day
    wrong = {task.format_input(ex.input): {**ex.expected, "date": "2000-01-01"} for ex in examples}
    model = ScriptedModel(lambda messages: wrong[messages[-1].content])
    store = RunStore(tmp_path / "runs.db")
    plain = evaluate(task, build_rung("zero-shot"), model, examples, progress=False, store=store)
    fixed = evaluate(task, build_rung("zero-shot+repair"), model, examples, progress=False, store=store)
    assert plain.summary["quality"] == 0.0 and plain.summary["fixed_rate"] == 0.0
    plain_days = [ex for ex in examples if task.repair(ex.input, wrong[task.format_input(ex.input)])[1]]
    assert 0 < len(plain_days) < len(examples)  # some texts name the day plainly, some do not
    assert fixed.summary["quality"] == fixed.summary["fixed_rate"] == len(plain_days) / len(examples)
    records = store.records(fixed.run_id)
    assert all(r["score"]["exact"] == bool(r["fixed"]) for r in records)
    assert all(r["fixed"] == [f"date 2000-01-01 should be in the year of today ({r['input']['today'][:4]})"]
               for r in records if r["fixed"])
    assert all(r["fixed"] == [] for r in store.records(plain.run_id))
