"""NL-to-SQL's feedback loop (scripted and real model), and what the sql package leaves out."""

import subprocess
import sys

import pytest

from ladder.models import ScriptedModel
from ladder.sql import ask, format_rows, format_value


def scripted(*sqls):
    return ScriptedModel([{"sql": s} for s in sqls])


def test_retry_loop_feeds_errors_and_empty_results_back(ledger):
    model = scripted(
        "SELECT SUM(price) FROM expenses",  # no such column
        "SELECT SUM(amount) FROM expenses WHERE category = 'Food' AND date LIKE '2026-11-%'",  # NULL
        "SELECT SUM(amount) FROM expenses WHERE category = 'food' AND date LIKE '2026-11-%'",
    )
    ans = ask("How much did I spend on food this month?", ledger, model, today="2026-11-20", retries=2)
    assert ans.ok and ans.retries == 2 and ans.rows == [(2262.0,)] and ans.problems == []
    assert [a.problems != [] for a in ans.attempts] == [True, True, False]
    second, third = model.requests[1].messages[-1].content, model.requests[2].messages[-1].content
    assert "no such column: price" in second and second.endswith("Write a corrected query. Answer with JSON only.")
    assert "only NULL" in third
    assert model.requests[0].schema["required"] == ["sql"]  # asked for structured output
    assert "Today is 2026-11-20" in model.requests[0].messages[0].content
    assert len(ans.calls) == 3 and ans.messages == model.requests[2].messages  # the exact final messages


def test_retry_budget_is_respected(ledger):
    model = scripted("SELECT nope FROM expenses")
    ans = ask("這個月花了多少？", ledger, model, today="2026-11-20", retries=1)
    assert not ans.ok and len(ans.attempts) == 2 and len(model.requests) == 2
    assert ans.rows == [] and "no such column: nope" in ans.problems[0]


def test_a_retry_that_is_not_json_keeps_the_last_query(ledger):
    good = "SELECT COUNT(*) FROM expenses WHERE merchant = 'Uber'"
    model = ScriptedModel([{"sql": "SELECT SUM(amount) FROM expenses WHERE merchant = 'uber'"}, "not json"])
    ans = ask("how many Uber rides?", ledger, model, today="2026-11-20", retries=1)
    assert ans.attempts[1].sql is None and "not the JSON object" in ans.attempts[1].problems[0]
    assert ans.sql.endswith("merchant = 'uber'") and not ans.ok  # the last query, still with its problem
    model = ScriptedModel(["not json", {"sql": good}])
    ans = ask("how many Uber rides?", ledger, model, today="2026-11-20", retries=1)
    assert ans.ok and ans.sql == good and ans.rows[0][0] > 0


def test_injected_sql_from_the_model_cannot_change_the_ledger(ledger, state):
    before = state(ledger)
    model = scripted("DELETE FROM expenses", "DROP TABLE expenses", "SELECT 1; DROP TABLE expenses")
    ans = ask("delete all my expenses", ledger, model, retries=2)
    assert not ans.ok and all(a.problems for a in ans.attempts)
    assert "not authorized" in ans.attempts[0].problems[0]
    assert state(ledger) == before and before[1] == 146


def test_a_model_with_its_own_prompt_gets_exactly_that_prompt(ledger):
    from ladder.models.base import Message

    own = [Message(role="system", content="Task: ledger-sql."), Message(role="user", content="question: q")]
    model = scripted("SELECT COUNT(*) FROM expenses")
    ask("q", ledger, model, today="2026-11-20", retries=0, prompt=own)
    assert model.requests[0].messages == own


@pytest.mark.slow
def test_real_model_runs_the_loop_in_the_sandbox(ledger, state, smollm2):
    before = state(ledger)
    ans = ask("How much did I spend on food this month?", ledger, smollm2, today="2026-11-20", retries=1,
              max_tokens=80)
    assert 1 <= len(ans.attempts) <= 2 and len(ans.calls) == len(ans.attempts)
    for a in ans.attempts:  # each attempt is either a query the sandbox ran, or a problem
        assert a.sql is not None or a.problems
    assert ans.calls[0].prompt and "CREATE TABLE expenses" in ans.calls[0].prompt
    assert ans.ok == (ans.problems == [])
    assert state(ledger) == before


def test_rows_are_formatted_for_people():
    assert [format_value(v) for v in (2262.0, 12.5, 1234567, None, "全家")] == ["2,262", "12.5", "1,234,567",
                                                                            "NULL", "全家"]
    assert format_rows([(1, "a")] * 3, limit=2) == "  1 | a\n  1 | a\n  ..."


def test_sql_knows_no_particular_database_and_imports_no_upper_layer():
    """The ledger's columns, its student and its phrases live in the app; sql imports
    neither the app nor distillation."""
    code = ("import sys, ladder.sql; print(sorted(m for m in sys.modules if m.startswith(("
            "'ladder.distill', 'ladder.apps', 'ladder.cli', 'ladder.server', 'ladder.rag'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    import ladder.sql

    for name in ("LEDGER_COLUMNS", "STUDENTS", "ledger_student", "ledger_examples", "demo_ledger", "language",
                 "answer_text"):
        assert not hasattr(ladder.sql, name), name
