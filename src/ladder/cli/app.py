"""`ladder app expenses`: the bookkeeping app in the terminal."""

from __future__ import annotations

import click


@click.group("app")
def app():
    """Apps built from the ladder's pieces.

    \b
    Examples:
      ladder app expenses                        # chat; the ledger lives in the data dir
      ladder app expenses --ledger my.db --currency JPY
      ladder app expenses --ledger my.db --export my.csv
    """


@app.command("expenses")
@click.option("--ledger", type=click.Path(dir_okay=False), default=None,
              help="SQLite ledger file (default: <data dir>/ledger.db; created if missing).")
@click.option("-m", "--model", "model_name", default=None, help="Model for routing, corrections and SQL (default: smollm2).")
@click.option("--rung", default=None, help="Rung for recording (default: the expenses task's best rung).")
@click.option("--currency", default="TWD", show_default=True, help="Currency when a sentence names none.")
@click.option("--today", default=None, help="Pretend today is YYYY-MM-DD.")
@click.option("--export", "export_to", type=click.Path(dir_okay=False), default=None,
              help="Write the ledger as CSV and exit.")
def expenses(ledger, model_name, rung, currency, today, export_to):
    """Record expenses from plain sentences; ask, correct, undo.

    \b
    > 昨天午餐吃拉麵 180
    > 不對, 是 120
    > how much did I spend on food this month?
    > undo

    \b
    Examples:
      ladder app expenses --ledger my.db --today 2026-11-20
      ladder app expenses --ledger my.db --export my.csv
    """
    import sys
    from pathlib import Path

    from ..apps.expenses import ExpenseApp, Ledger, chat
    from ..log import data_dir
    from ..models import get_model

    path = Path(ledger) if ledger else data_dir() / "ledger.db"
    if export_to:
        n = Ledger(path).export_csv(export_to)
        click.echo(f"exported {n} expenses to {export_to}")
        return
    expense_app = ExpenseApp(path, get_model(model_name), rung=rung, today=today, default_currency=currency)
    click.echo(f"ledger: {path} · recording with {expense_app.rung_spec} on {expense_app.record_model.name}", err=True)
    chat(expense_app, sys.stdin, sys.stdout)


COMMANDS = (app,)
