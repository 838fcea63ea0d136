"""`ladder sql ask|eval|demo-ledger`: plain-language questions to a SQLite database."""

from __future__ import annotations

import json

import click


def _pick_model(db: str, model_name: str | None, no_student: bool):
    """(model, is it a ledger-sql student): the model asked for, else the registered
    student when ``db`` is a ledger, else ``DEFAULT_SQL_MODEL`` (chosen by measurement)."""
    from ..apps.expenses.questions import is_student, ledger_student
    from ..models import get_model
    from ..sql import DEFAULT_SQL_MODEL, sandbox_for

    if model_name:
        return get_model(model_name), is_student(model_name)
    if not no_student:
        name = ledger_student(sandbox_for(db))
        if name:
            click.echo(f"using the ledger-sql student {name!r} (--no-student: prompt {DEFAULT_SQL_MODEL} with "
                       "the schema)", err=True)
            return get_model(name), True
    return get_model(DEFAULT_SQL_MODEL), False


def _shots(db: str, shots: int | None, student: bool) -> int:
    """Retrieved ledger-sql pairs for the prompt: as asked; by default 4 on a ledger
    (0/16 -> 3/16 demo questions for smollm2, bench/RESULTS.md), none for a student
    (it has its own prompt) or another schema (the pairs are about the ledger)."""
    from ..apps.expenses.questions import is_ledger
    from ..sql import sandbox_for

    if student:
        return 0
    if shots is not None:
        return shots
    return 4 if is_ledger(sandbox_for(db)) else 0


@click.group("sql")
def sql():
    """Ask questions of a SQLite database in plain language (read-only sandbox).

    \b
    Examples:
      ladder sql demo-ledger ledger.db
      ladder sql ask --db ledger.db "How much did I spend on food this month?"
      ladder sql ask --db ledger.db "上個月在星巴克花了多少？" --today 2026-11-20 --json
      ladder sql eval --db examples/ledger/seed.sql --data examples/ledger/questions.jsonl
    """


def _model_options(f):
    """--model and --no-student, the same for ask and eval."""
    f = click.option("--no-student", is_flag=True,
                     help="Prompt the model with the schema even if a student exists.")(f)
    return click.option("-m", "--model", "model_name", default=None,
                        help="Model name (default: a trained ledger-sql student on a ledger, else "
                             "qwen2.5-coder-1.5b, the most accurate bundled model; smollm2 is the fast one).")(f)


_shots_option = click.option("--shots", type=int, default=None,
                             help="Add the N nearest question/SQL pairs of the ledger-sql task (default: 4 on a "
                                  "ledger without a student, else 0).")


@sql.command("ask")
@click.argument("question")
@click.option("--db", required=True, type=click.Path(dir_okay=False), help="SQLite file (or .sql seed).")
@_model_options
@click.option("--retries", default=2, show_default=True, help="Retries after an error or empty result.")
@click.option("--today", default=None, help="Today's date, YYYY-MM-DD (default: the real date).")
@_shots_option
@click.option("--json", "as_json", is_flag=True, help="Print the SQL, rows and every attempt as JSON.")
def ask_cmd(question, db, model_name, no_student, retries, today, shots, as_json):
    """Answer QUESTION with one SELECT, retrying with the error fed back.

    On a ledger (the app's `expenses` table), a ledger-sql student trained with
    `ladder distill --task ledger-sql --source gold` is used when there is one.

    \b
    Examples:
      ladder sql ask --db ledger.db "How much did I spend on food this month?"
      ladder sql ask --db shop.db "Which customer ordered most?" --shots 0 --json
    """
    import datetime as dt

    from ..apps.expenses.i18n import answer_sentence
    from ..apps.expenses.questions import ledger_examples, student_prompt
    from ..sql import ask

    today = today or dt.date.today().isoformat()
    model, student = _pick_model(db, model_name, no_student)
    shots = _shots(db, shots, student)
    examples = ledger_examples(question, today, shots) if shots else ()
    ans = ask(question, db, model, today=today, retries=retries, examples=examples,
              prompt=student_prompt(question, today) if student else None)
    answer = answer_sentence(question, ans.rows, ans.problems)
    if as_json:
        click.echo(json.dumps({
            "question": question, "answer": answer, "sql": ans.sql, "columns": ans.columns,
            "rows": ans.rows, "ok": ans.ok,
            "attempts": [{"sql": a.sql, "problems": a.problems} for a in ans.attempts],
        }, ensure_ascii=False, indent=2))
        return
    click.echo(answer)
    click.secho(f"SQL: {ans.sql}  ({len(ans.attempts)} attempt(s))", dim=True)


@sql.command("eval")
@click.option("--db", required=True, type=click.Path(dir_okay=False), help="SQLite file (or .sql seed).")
@click.option("--data", required=True, type=click.Path(dir_okay=False),
              help='JSONL: {"question": ..., "gold_sql": ..., "today"?: ...} per line.')
@_model_options
@click.option("--retries", default=2, show_default=True)
@click.option("--today", default=None, help="Default for lines without 'today'.")
@_shots_option
@click.option("--json", "as_json", is_flag=True, help="Print every item as JSON.")
def eval_cmd(db, data, model_name, no_student, retries, today, shots, as_json):
    """Execution accuracy with and without the retry loop, and retries per question.

    \b
    Examples:
      ladder sql eval --db examples/ledger/seed.sql --data examples/ledger/questions.jsonl
      ladder sql eval --db ledger.db --data my_questions.jsonl --retries 0 --json
    """
    from ..apps.expenses.questions import ledger_examples, student_prompt
    from ..sql import evaluate, load_questions, summarize

    model, student = _pick_model(db, model_name, no_student)
    shots = _shots(db, shots, student)
    examples = (lambda q, d: ledger_examples(q, d, shots)) if shots else ()
    items = evaluate(db, load_questions(data), model, retries=retries, today=today,
                     examples=examples, prompt=student_prompt if student else None)
    summary = summarize(items)
    if as_json:
        click.echo(json.dumps({"summary": summary, "items": [i.__dict__ for i in items]},
                              ensure_ascii=False, indent=2))
        return
    for i in items:
        mark = "✓" if i.correct_final else "✗"
        click.echo(f"{mark} {'✓' if i.correct_first else '✗'} r={i.retries} {i.question}\n    {i.final_sql}")
    click.echo(f"model: {model.name}{' (student prompt)' if student else ''}")
    click.echo(f"execution accuracy: {summary['accuracy_without_retry']:.1%} without retry, "
               f"{summary['accuracy_with_retry']:.1%} with up to {retries} retries; "
               f"{summary['retries_per_question']:.2f} retries/question ({summary['questions']} questions)")


@sql.command("demo-ledger")
@click.argument("path", type=click.Path(dir_okay=False))
def demo_cmd(path):
    """Write the bundled demo ledger (146 expenses, Aug–Nov 2026) to PATH.

    \b
    Examples:
      ladder sql demo-ledger ledger.db
    """
    from ..apps.expenses.ledger import demo_ledger

    click.echo(f"wrote {demo_ledger(path)}")


COMMANDS = (sql,)
