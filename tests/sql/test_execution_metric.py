"""The execution metric: one SQL evaluation, through the metric registry and `ladder sql eval`."""

import json

import pytest

from ladder.apps.expenses import demo_ledger, seed_path
from ladder.errors import ConfigError, DatasetError
from ladder.evals.metrics import metric_types
from ladder.models import ScriptedModel
from ladder.sql import Execution, Sandbox, evaluate, execution_match, load_questions, same_result, summarize
from ladder.tasks import bundled_tasks_dir, load_task


@pytest.fixture
def ledger(tmp_path):
    return demo_ledger(tmp_path / "ledger.db")


def test_same_result_rules():
    g = Execution("SELECT a, b FROM t", ["a", "b"], [(1, 2.0), (3, 4.004)])
    assert same_result(g, Execution("x", ["b", "a"], [(4.0, 3), (2, 1)]))  # order-free, rounded
    assert not same_result(g, Execution("x", ["a"], [(1,), (3,)]))
    ordered = Execution("SELECT a FROM t ORDER BY a", ["a"], [(1,), (2,)])
    assert not same_result(ordered, Execution("x", ["a"], [(2,), (1,)]))
    assert not same_result(g, Execution("x", error="boom"))


def test_the_execution_metric_is_registered_and_scores_with_reasons():
    assert "execution" in metric_types()
    task = load_task("ledger-sql")
    assert task.metric.type == "execution" and task.metric.db == seed_path().resolve()
    ex = task.split("dev")[0]
    right = task.metric(ex.input, ex.expected, ex.expected)
    assert right.value == 1.0 and right.fields == {"sql": 1.0} and "same" in right.reason
    wrong = task.metric(ex.input, ex.expected, {"sql": "SELECT 0"})
    assert wrong.value == 0.0 and wrong.fields == {"sql": 0.0} and "the reference returns" in wrong.reason
    failed = task.metric(ex.input, ex.expected, {"sql": "SELECT SUM(cost) FROM expenses"})
    assert failed.value == 0.0 and "no such column: cost" in failed.reason
    assert task.metric(ex.input, ex.expected, None).value == 0.0
    with pytest.raises(ConfigError, match="reference SQL"):
        task.metric(ex.input, {"sql": "SELECT nope"}, ex.expected)
    assert execution_match(seed_path(), ex.expected["sql"], ex.expected["sql"])
    assert not execution_match(seed_path(), ex.expected["sql"], None)


def _task_file(tmp_path, metric: str, schema: str = '{"type": "object", "properties": {"sql": {"type": "string"}}, '
               '"required": ["sql"]}'):
    (tmp_path / "schema.json").write_text(schema)
    (tmp_path / "task.yaml").write_text(f"name: t\ninstructions: Write SQL.\ninputs: [question]\n"
                                        f"output_schema: schema.json\nmetric: {metric}\n")
    return tmp_path / "task.yaml"


def test_bad_execution_specs_name_the_key(tmp_path):
    seed = seed_path()
    with pytest.raises(ConfigError, match="metric.db"):
        load_task(_task_file(tmp_path, "{type: execution, db: missing.sql}"))
    with pytest.raises(ConfigError, match="metric.dbb"):
        load_task(_task_file(tmp_path, f"{{type: execution, db: {seed}, dbb: x}}"))
    with pytest.raises(ConfigError, match='"sql"'):
        load_task(_task_file(tmp_path, f"{{type: execution, db: {seed}}}", '{"type": "string"}'))
    assert load_task(_task_file(tmp_path, f"{{type: execution, db: {seed}}}")).metric.type == "execution"


def test_ladder_eval_scores_sql_with_the_metric(tmp_path):
    """The runner scores a ledger-sql run through the registry: k right of n -> k/n."""
    from ladder.evals import evaluate as run_eval
    from ladder.rungs import build_rung

    task = load_task("ledger-sql")
    items = task.split("dev")[:4]
    answers = iter([items[0].expected, {"sql": "SELECT 0"}, items[2].expected, {"sql": "SELECT nope FROM x"}])
    model = ScriptedModel(lambda messages: next(answers))
    result = run_eval(task, build_rung("zero-shot"), model, items, progress=False)
    assert result.summary["quality"] == 0.5
    scores = [r["score"]["value"] for r in result.records]
    assert scores == [1.0, 0.0, 1.0, 0.0]


def test_self_check_on_the_ledger_sql_task_is_execution_feedback():
    from ladder.rungs import build_rung

    task = load_task("ledger-sql")
    ex = task.split("dev")[0]
    model = ScriptedModel([{"sql": "SELECT SUM(cost) FROM expenses"}, ex.expected])
    pred = build_rung("zero-shot+self-check-1")(task, ex.input, model)
    assert pred.error is None and pred.output == ex.expected and len(model.requests) == 2
    assert "no such column: cost" in model.requests[1].messages[-1].content


def test_sql_eval_reports_with_and_without_retry_by_the_metrics_rule(ledger):
    questions = [{"question": "food this month?", "gold_sql": "SELECT SUM(amount) FROM expenses WHERE "
                  "category='food' AND date LIKE '2026-11-%'", "today": "2026-11-20"},
                 {"question": "how many Uber rides?", "gold_sql": "SELECT COUNT(*) FROM expenses WHERE merchant='Uber'"}]
    answers = iter([
        "SELECT SUM(amount) FROM expenses WHERE categry = 'food'",  # q1: error, then right
        "SELECT SUM(amount) FROM expenses WHERE category = 'food' AND date >= '2026-11-01'",
        "SELECT COUNT(*) FROM expenses WHERE merchant = 'Uber'",  # q2: right at once
    ])
    model = ScriptedModel(lambda messages: {"sql": next(answers)})
    items = evaluate(ledger, questions, model, retries=2)
    assert [(i.correct_first, i.correct_final, i.retries) for i in items] == [(False, True, 1), (True, True, 0)]
    assert summarize(items) == {"questions": 2, "accuracy_without_retry": 0.5, "accuracy_with_retry": 1.0,
                                "retries_per_question": 0.5}
    for i, q in zip(items, questions):  # one rule: the metric agrees with every verdict
        assert i.correct_final == execution_match(ledger, q["gold_sql"], i.final_sql)
        assert i.correct_first == execution_match(ledger, q["gold_sql"], i.first_sql)


def test_a_failing_gold_query_is_a_clear_error(ledger):
    with pytest.raises(ConfigError, match="gold_sql for 'x' fails"):
        evaluate(ledger, [{"question": "x", "gold_sql": "SELECT nope"}], ScriptedModel(["{}"]))


def test_bad_question_file_names_the_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"question": "x", "gold_sql": "SELECT 1"}) + "\n{\"question\": 1}\n")
    with pytest.raises(DatasetError, match="q.jsonl:2"):
        load_questions(path)


# -- the bundled data ------------------------------------------------------------------

def test_every_demo_question_gold_sql_runs_and_returns_rows():
    box = Sandbox(seed_path())
    questions = load_questions(bundled_tasks_dir() / "ledger" / "questions.jsonl")
    assert len(questions) == 16
    for q in questions:
        result = box.run(q["gold_sql"])
        assert result.ok and result.rows and result.rows[0][0] is not None, q


def test_ledger_sql_task_gold_sql_executes_and_splits_are_honest():
    from ladder.apps.expenses import language

    task = load_task("ledger-sql")
    box = Sandbox(seed_path())
    splits = {name: task.split(name) for name in ("train", "dev", "test")}
    for name, examples in splits.items():
        for ex in examples:
            result = box.run(ex.expected["sql"])
            assert result.ok and result.rows and result.rows[0][0] is not None, (name, ex.source)
    train_questions = {ex.input["question"] for ex in splits["train"]}
    for name in ("dev", "test"):
        assert not train_questions & {ex.input["question"] for ex in splits[name]}
        langs = {language(ex.input["question"]) for ex in splits[name]}
        assert langs == {"en", "zh-Hant", "zh-Hans", "ja"}, name
