"""Questions about the ledger: retrieved ledger-sql pairs, the ledger-sql student, `ladder sql`."""

import sqlite3

import pytest
from click.testing import CliRunner

from ladder.apps.expenses import ask_ledger, demo_ledger, ledger_examples, ledger_student
from ladder.cli import cli
from ladder.log import get_log
from ladder.models import ScriptedModel, builtin, register_model, registered
from ladder.sql import DEFAULT_SQL_MODEL, Sandbox


@pytest.fixture
def ledger(tmp_path):
    return demo_ledger(tmp_path / "ledger.db")


def count(path):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM expenses").fetchone()[0]


def test_ledger_examples_are_retrieved_training_pairs(ledger):
    pairs = ledger_examples("這個月交通花了多少？", "2026-11-20", k=3)
    assert len(pairs) == 3 and all(u.startswith("question: ") and "\ntoday: " in u for u, _ in pairs)
    assert any("transport" in sql for _, sql in pairs)
    model = ScriptedModel([{"sql": "SELECT 1"}])
    ask_ledger("這個月交通花了多少？", Sandbox(ledger), model, today="2026-11-20", retries=0, shots=3)
    sent = model.requests[0].messages
    assert len(sent) == 1 + 6 + 1 and sent[-1].content == "question: 這個月交通花了多少？\ntoday: 2026-11-20"
    assert [m.content for m in sent[1:-1:2]] == [u for u, _ in pairs]


def test_a_student_gets_its_own_prompt_and_no_examples(ledger):
    model = ScriptedModel([{"sql": "SELECT 1"}])
    ask_ledger("food total?", Sandbox(ledger), model, today="2026-11-20", student=True, retries=0)
    sent = model.requests[0].messages
    assert [m.role for m in sent] == ["system", "user"] and "CREATE TABLE" not in sent[0].content
    assert sent[1].content == "question: food total?\ntoday: 2026-11-20"


def test_demo_ledger_never_overwrites(ledger):
    from ladder.errors import ConfigError

    with pytest.raises(ConfigError, match="already exists"):
        demo_ledger(ledger)


def test_cli_demo_ledger_and_eval_help(tmp_path):
    out = CliRunner().invoke(cli, ["sql", "demo-ledger", str(tmp_path / "d.db")])
    assert out.exit_code == 0 and count(tmp_path / "d.db") == 146
    again = CliRunner().invoke(cli, ["sql", "demo-ledger", str(tmp_path / "d.db")])
    assert again.exit_code == 2 and "already exists" in again.output
    assert "execution accuracy" in CliRunner().invoke(cli, ["sql", "eval", "--help"]).output.lower()


def test_cli_sql_ask_answers_in_the_questions_language(ledger, monkeypatch):
    import ladder.models

    monkeypatch.setattr(ladder.models, "get_model", lambda name=None: ScriptedModel(
        [{"sql": "SELECT SUM(amount) FROM expenses WHERE category = 'food' AND date LIKE '2026-11-%'"}]))
    r = CliRunner().invoke(cli, ["sql", "ask", "--db", str(ledger), "--today", "2026-11-20", "這個月吃飯花了多少？"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "答案是 2,262。"


@pytest.mark.slow
def test_a_registered_ledger_student_answers_ledger_questions_with_its_own_prompt(tmp_path, ledger):
    """`ladder sql ask` on a ledger picks the registered ledger-sql student and sends it the
    student prompt (short instruction + raw input, no schema); on another schema, or with
    --no-student, it prompts the default model with the schema. The student here is the
    base GGUF registered under the student's name: this checks the wiring, not accuracy.
    The default model is the bundled 1.5B one (chosen by measurement), hence slow."""
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT)")
    assert ledger_student(Sandbox(ledger)) is None  # nothing registered yet
    register_model("ledger-sql-student-gold", backend="llamacpp", path=builtin("smollm2")[1])
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
    assert call["model"] == DEFAULT_SQL_MODEL and len(call["messages"]) == 2  # another schema: no pairs, no student
    assert DEFAULT_SQL_MODEL in CliRunner().invoke(cli, ["sql", "ask", "--help"]).output.replace("\n", " ")


def test_the_better_measured_ledger_student_is_used(tmp_path, ledger):
    """With both students registered, the one whose savings report scored higher on the
    test split answers; without reports, gold first; a student with a report beats one without."""
    import json

    def student(name, quality=None):
        out = tmp_path / name
        (out / "student").mkdir(parents=True, exist_ok=True)
        if quality is not None:
            (out / "savings.json").write_text(json.dumps({"student": {"quality": quality}}))
        register_model(name, backend="llamacpp", path=out / "student" / "student.q8_0.gguf")

    student("ledger-sql-student")
    student("ledger-sql-student-gold")
    assert ledger_student(Sandbox(ledger)) == "ledger-sql-student-gold"  # a tie: gold first
    student("ledger-sql-student", quality=0.7)
    assert ledger_student(Sandbox(ledger)) == "ledger-sql-student"  # measured beats unmeasured
    student("ledger-sql-student-gold", quality=0.6)
    assert ledger_student(Sandbox(ledger)) == "ledger-sql-student"  # 0.7 > 0.6
    student("ledger-sql-student-gold", quality=0.8)
    assert ledger_student(Sandbox(ledger)) == "ledger-sql-student-gold"
