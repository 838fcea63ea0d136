"""The `ladder` command: a thin layer over the library, one module per command group.

    __init__.py  the `ladder` group, its error handling, and the registration below
    common.py    what several commands share (the items to run, token prices)
    init.py      init (start here)
    models.py    models, prompt, chat        logs.py     logs
    evals.py     eval, runs, judge           climb.py    climb, demo
    distill.py   distill, train              rag.py      rag ingest|search|ask|eval
    serve.py     serve                       sql.py      sql ask|eval|demo-ledger
    app.py       app expenses                dataset.py  dataset from-log
    shadow.py    shadow report

Registration is one way: each module in ``COMMAND_MODULES`` exposes ``COMMANDS``, a
tuple of click commands or groups, and they are added to the group in that order. A
command module imports only click at module level; the library is imported inside
each command, so `ladder --help` never loads a model backend. Each command parses
options, calls library functions and prints; a library error (LadderError) is one
clear line and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..errors import LadderError

# The command modules, in `ladder --help` order (click sorts the listing by name).
COMMAND_MODULES = ("init", "models", "logs", "evals", "climb", "optimize", "distill", "rag", "sql", "app", "serve", "speech",
                   "dataset", "shadow")


class LadderGroup(click.Group):
    """Turn library errors into a one-line message and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LadderError as e:
            click.secho(f"Error: {e}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=LadderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ladder")
@click.option("--log-db", envvar="LADDER_LOG_DB", type=click.Path(dir_okay=False),
              help="SQLite file for the call log (default: <data dir>/logs.db; env LADDER_LOG_DB).")
def cli(log_db):
    """llm-ladder: measure which LLM strategy your task needs, then run it locally.

    \b
    Start here, with a CSV or JSONL file of your own examples:
      ladder init reviews.csv                # -> reviews/task.yaml + train/dev/test
      ladder eval --task reviews/task.yaml --rung zero-shot --limit 20
      ladder climb --task reviews/task.yaml --quick

    \b
    Examples:
      ladder models                          # what can run here
      ladder prompt "Say hi in Japanese"     # one call to the default local model
      ladder chat --model gemma3-270m        # interactive, streaming
      ladder logs -n 5                       # what was sent, exactly
    """
    if log_db:
        from ..log import use_log_path

        use_log_path(log_db)  # this process's log; the environment stays as it was


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(f"{__name__}.{_name}").COMMANDS:
        cli.add_command(_command)


def main():
    cli()


__all__ = ["cli", "main", "COMMAND_MODULES"]
