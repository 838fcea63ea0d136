"""`ladder logs`: what was sent to a model, exactly."""

from __future__ import annotations

import json

import click

from .common import short


@click.command()
@click.option("-n", "count", default=10, show_default=True, help="How many calls.")
@click.option("--run", "run_id", default=None, help="Only calls of this run id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (exact messages, prompt, options).")
def logs(count, run_id, as_json):
    """Show the latest model calls from the call log.

    \b
    Examples:
      ladder logs
      ladder logs -n 1 --json     # the exact prompt of the last call
    """
    from ..log import get_log, log_path

    rows = get_log().latest(count, run_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    import datetime

    from rich.console import Console
    from rich.table import Table

    table = Table("time", "model", "prompt → response", "tokens in/out (cached)", "ttft/total ms",
                  title=f"{log_path()}")
    for r in rows:
        last = r["messages"][-1]["content"] if r["messages"] else ""
        table.add_row(datetime.datetime.fromtimestamp(r["ts"]).strftime("%m-%d %H:%M:%S"), r["model"],
                      f"{short(last)} → {short(r['response'])}",
                      f"{r['prompt_tokens']}/{r['completion_tokens']} ({r['cached_tokens']})",
                      f"{r['ttft_ms']:.0f}/{r['latency_ms']:.0f}")
    Console().print(table)


COMMANDS = (logs,)
