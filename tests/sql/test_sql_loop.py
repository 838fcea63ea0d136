"""NL-to-SQL: the sandbox against injection, the retry loop (scripted and real model),
execution accuracy, and the bundled ledger data."""

import hashlib
import json
import sqlite3

import pytest

from ladder.models import ScriptedModel
from ladder.sql import (Execution, Sandbox, ask, demo_ledger, evaluate, execution_match, language,
                        load_questions, same_result, seed_path, summarize)
from ladder.tasks import bundled_tasks_dir, load_task

INJECTIONS = [
    "DELETE FROM expenses",
    "DROP TABLE expenses",
    "UPDATE expenses SET amount = 0",
    "INSERT INTO expenses (amount) VALUES (1)",
    "CREATE TABLE pwned (x)",
    "SELECT 1; DROP TABLE expenses",
    "SELECT * FROM expenses; DELETE FROM expenses",
    "ATTACH DATABASE '/tmp/ladder-pwned.db' AS p",
    "PRAGMA writable_schema = 1",
    "PRAGMA table_info(expenses)",
    "BEGIN; DELETE FROM expenses; COMMIT",
    "VACUUM",
    "REPLACE INTO expenses (id, amount) VALUES (1, 0)",
    "SELECT load_extension('/tmp/evil.so')",
    "WITH x AS (SELECT 1) DELETE FROM expenses",
    "'; DROP TABLE expenses; --",
    "```sql\nDROP TABLE expenses;\n```",
]


@pytest.fixture
def ledger(tmp_path):
    return demo_ledger(tmp_path / "ledger.db")


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _count(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM expenses").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("sql", INJECTIONS)
def test_sandbox_refuses_every_write(ledger, sql):
    before, n = _digest(ledger), _count(ledger)
    box = Sandbox(ledger)
    result = box.run(sql)
    box.close()
    assert result.error, f"{sql!r} was not refused"
    assert _digest(ledger) == before and _count(ledger) == n == 146


def test_sandbox_time_limit_and_row_cap(ledger):
    box = Sandbox(ledger, timeout_s=0.2, max_rows=5)
    slow = box.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c")
    assert "0.2 s limit" in slow.error and slow.seconds < 2
    capped = box.run("SELECT id FROM expenses ORDER BY id")
    assert capped.ok and capped.truncated and [r[0] for r in capped.rows] == [1, 2, 3, 4, 5]
    assert box.run("SELECT COUNT(*) FROM expenses").rows == [(146,)]  # still usable after a timeout
    assert "too big" in box.run("SELECT length(zeroblob(2000000000))").error


def test_sandbox_on_a_seed_script_is_locked_too():
    box = Sandbox(seed_path())
    assert box.run("DELETE FROM expenses").error
    assert box.run("SELECT COUNT(*) FROM expenses").rows == [(146,)]


def test_describe_gives_schema_and_sample_values(ledger):
    conn = sqlite3.connect(ledger)
    conn.execute("CREATE TABLE _history (id INTEGER)")
    conn.commit()
    conn.close()
    text = Sandbox(ledger).describe()
    assert "CREATE TABLE expenses" in text and "_history" not in text
    assert "'food'" in text and "'7-Eleven'" in text and "from 2026-08-01 to 2026-11-20" in text


def test_demo_ledger_never_overwrites(ledger):
    with pytest.raises(Exception, match="already exists"):
        demo_ledger(ledger)


def _scripted(*sqls):
    return ScriptedModel([{"sql": s} for s in sqls])


def test_retry_loop_feeds_errors_and_empty_results_back(ledger):
    model = _scripted(
        "SELECT SUM(price) FROM expenses",  # no such column
        "SELECT SUM(amount) FROM expenses WHERE category = 'Food' AND date LIKE '2026-11-%'",  # NULL
        "SELECT SUM(amount) FROM expenses WHERE category = 'food' AND date LIKE '2026-11-%'",
    )
    ans = ask("How much did I spend on food this month?", ledger, model, today="2026-11-20", retries=2)
    assert ans.ok and ans.retries == 2 and ans.rows == [(2262.0,)]
    assert ans.answer == "The answer is 2,262."
    second, third = model.requests[1].messages[-1].content, model.requests[2].messages[-1].content
    assert "no such column: price" in second
    assert "only NULL" in third
    assert model.requests[0].schema["required"] == ["sql"]  # asked for structured output
    assert "Today is 2026-11-20" in model.requests[0].messages[0].content


def test_retry_budget_is_respected(ledger):
    model = _scripted("SELECT nope FROM expenses")
    ans = ask("這個月花了多少？", ledger, model, today="2026-11-20", retries=1)
    assert not ans.ok and len(ans.attempts) == 2 and len(model.requests) == 2
    assert ans.answer.startswith("無法回答")


def test_injected_sql_from_the_model_cannot_change_the_ledger(ledger):
    before = _digest(ledger)
    model = _scripted("DELETE FROM expenses", "DROP TABLE expenses", "SELECT 1; DROP TABLE expenses")
    ans = ask("delete all my expenses", ledger, model, retries=2)
    assert not ans.ok and all(a.problems for a in ans.attempts)
    assert "not authorized" in ans.attempts[0].problems[0]
    assert _digest(ledger) == before and _count(ledger) == 146


@pytest.mark.slow
def test_real_model_runs_the_loop_in_the_sandbox(ledger, smollm2):
    before = _digest(ledger)
    ans = ask("How much did I spend on food this month?", ledger, smollm2, today="2026-11-20", retries=1,
              max_tokens=80)
    assert 1 <= len(ans.attempts) <= 2 and len(ans.calls) == len(ans.attempts)
    for a in ans.attempts:  # each attempt is either a query the sandbox ran, or a problem
        assert a.sql is not None or a.problems
    assert ans.calls[0].prompt and "CREATE TABLE expenses" in ans.calls[0].prompt
    assert isinstance(ans.answer, str) and ans.answer
    assert _digest(ledger) == before


def test_same_result_rules():
    g = Execution("SELECT a, b FROM t", ["a", "b"], [(1, 2.0), (3, 4.004)])
    assert same_result(g, Execution("x", ["b", "a"], [(4.0, 3), (2, 1)]))  # order-free, rounded
    assert not same_result(g, Execution("x", ["a"], [(1,), (3,)]))
    ordered = Execution("SELECT a FROM t ORDER BY a", ["a"], [(1,), (2,)])
    assert not same_result(ordered, Execution("x", ["a"], [(2,), (1,)]))
    assert not same_result(g, Execution("x", error="boom"))


def test_evaluate_reports_with_and_without_retry(ledger):
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


def test_language_of_questions():
    assert [language(q) for q in ["how much?", "這個月花了多少？", "这个月花了多少钱？", "今月はいくら？"]] == \
        ["en", "zh-Hant", "zh-Hans", "ja"]


# -- the bundled data ------------------------------------------------------------------

def test_every_demo_question_gold_sql_runs_and_returns_rows():
    box = Sandbox(seed_path())
    questions = load_questions(bundled_tasks_dir() / "ledger" / "questions.jsonl")
    assert len(questions) == 16
    for q in questions:
        result = box.run(q["gold_sql"])
        assert result.ok and result.rows and result.rows[0][0] is not None, q


def test_ledger_sql_task_gold_sql_executes_and_splits_are_honest():
    task = load_task("ledger-sql")
    assert task.spec.metric.type == "execution"
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


def test_execution_metric_and_self_check_as_execution_feedback():
    from ladder.rungs import build_rung

    task = load_task("ledger-sql")
    ex = task.split("dev")[0]
    assert execution_match(seed_path(), ex.expected["sql"], ex.expected["sql"])
    assert not execution_match(seed_path(), ex.expected["sql"], "SELECT 0")
    model = ScriptedModel([{"sql": "SELECT SUM(cost) FROM expenses"}, ex.expected])
    pred = build_rung("zero-shot+self-check-1")(task, ex.input, model)
    assert pred.error is None and pred.output == ex.expected and len(model.requests) == 2
    assert "no such column: cost" in model.requests[1].messages[-1].content


def test_cli_demo_ledger_and_eval_help(tmp_path):
    from click.testing import CliRunner

    from ladder.cli import cli

    out = CliRunner().invoke(cli, ["sql", "demo-ledger", str(tmp_path / "d.db")])
    assert out.exit_code == 0 and _count(tmp_path / "d.db") == 146
    again = CliRunner().invoke(cli, ["sql", "demo-ledger", str(tmp_path / "d.db")])
    assert again.exit_code == 2 and "already exists" in again.output
    assert "execution accuracy" in CliRunner().invoke(cli, ["sql", "eval", "--help"]).output.lower()


def test_bad_question_file_names_the_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"question": "x", "gold_sql": "SELECT 1"}) + "\n{\"question\": 1}\n")
    with pytest.raises(Exception, match="q.jsonl:2"):
        load_questions(path)


def test_ledger_examples_are_retrieved_training_pairs(ledger):
    from ladder.sql import ledger_examples

    pairs = ledger_examples("這個月交通花了多少？", "2026-11-20", k=3)
    assert len(pairs) == 3 and all(u.startswith("question: ") and "\ntoday: " in u for u, _ in pairs)
    assert any("transport" in sql for _, sql in pairs)
    model = _scripted("SELECT 1")
    ask("這個月交通花了多少？", ledger, model, today="2026-11-20", retries=0, examples=pairs)
    sent = model.requests[0].messages
    assert len(sent) == 1 + 6 + 1 and sent[-1].content == "question: 這個月交通花了多少？\ntoday: 2026-11-20"


def test_a_registered_ledger_student_answers_ledger_questions_with_its_own_prompt(tmp_path):
    """`ladder sql ask` on a ledger picks the registered ledger-sql student and sends it the
    student prompt (short instruction + raw input, no schema); on another schema, or with
    --no-student, it prompts the default model with the schema. The student here is the
    base GGUF registered under the student's name: this checks the wiring, not accuracy."""
    from click.testing import CliRunner

    from ladder.cli import cli
    from ladder.log import get_log
    from ladder.models import register_model, registered
    from ladder.models import BUILTINS
    from ladder.sql import Sandbox, demo_ledger, ledger_student

    ledger = demo_ledger(tmp_path / "ledger.db")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT)")
    assert ledger_student(Sandbox(ledger)) is None  # nothing registered yet
    register_model("ledger-sql-student-gold", backend="llamacpp", path=BUILTINS["smollm2"].locate())
    assert "ledger-sql-student-gold" in registered()
    assert ledger_student(Sandbox(ledger)) == "ledger-sql-student-gold"
    assert ledger_student(Sandbox(other)) is None
    r = CliRunner().invoke(cli, ["sql", "ask", "--db", str(ledger), "--today", "2026-11-20", "--retries", "0",
                                 "how much on food this month?"])
    assert r.exit_code == 0, r.output
    call = get_log().latest(1)[0]
    assert call["model"] == "ledger-sql-student-gold"
    assert "CREATE TABLE" not in call["prompt"] and "question: how much on food this month?" in call["prompt"]
    r = CliRunner().invoke(cli, ["sql", "ask", "--db", str(ledger), "--no-student", "--retries", "0", "food total?"])
    assert r.exit_code == 0, r.output
    call = get_log().latest(1)[0]
    assert "CREATE TABLE expenses" in call["prompt"]
    assert len(call["messages"]) == 1 + 2 * 4 + 1  # a ledger: 4 retrieved question/SQL pairs by default
    r = CliRunner().invoke(cli, ["sql", "ask", "--db", str(other), "--retries", "0", "how many books?"])
    assert r.exit_code == 0, r.output
    call = get_log().latest(1)[0]
    assert call["model"] == "smollm2" and len(call["messages"]) == 2  # another schema: no pairs, no student
