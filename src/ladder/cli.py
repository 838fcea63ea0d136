"""The `ladder` command: a thin layer over the library.

Each command parses options, calls one library function and prints. Errors from
the library (LadderError) are shown as one clear line, never as a traceback.
"""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .errors import LadderError


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
    Examples:
      ladder models                          # what can run here
      ladder prompt "Say hi in Japanese"     # one call to the default local model
      ladder chat --model gemma3-270m        # interactive, streaming
      ladder logs -n 5                       # what was sent, exactly
    """
    if log_db:
        import os

        os.environ["LADDER_LOG_DB"] = log_db


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models(as_json):
    """List the models you can use, and why one is unavailable.

    \b
    Examples:
      ladder models
      ladder models --json
    """
    from .models import list_models

    infos = list_models()
    if as_json:
        click.echo(json.dumps([i.__dict__ for i in infos], indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "backend", "available", "description")
    for i in infos:
        name = i.name + (f" ({', '.join(i.aliases)})" if i.aliases else "")
        table.add_row(name, i.backend, "yes" if i.available else f"no: {i.why}", i.description)
    Console().print(table)


@cli.command()
@click.argument("text")
@click.option("-m", "--model", "model_name", default=None, help="Model name or path (default: smollm2).")
@click.option("-s", "--system", default=None, help="System prompt.")
@click.option("--schema", type=click.Path(dir_okay=False), default=None,
              help="JSON Schema file: the output is constrained/validated to it.")
@click.option("--max-tokens", default=256, show_default=True)
@click.option("--temperature", default=0.0, show_default=True)
@click.option("--seed", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the whole Response as JSON.")
def prompt(text, model_name, system, schema, max_tokens, temperature, seed, as_json):
    """Send one prompt and print the answer (streamed).

    \b
    Examples:
      ladder prompt "Name three fruits"
      ladder prompt "Lunch 12 dollars at Subway" --schema examples/expenses/schema.json
      ladder prompt "hi" --model gemma3-270m --json
    """
    from .models import get_model

    model = get_model(model_name)
    opts = dict(max_tokens=max_tokens, temperature=temperature, seed=seed)
    if schema or as_json:
        r = model.generate(text, system=system, schema=schema, **opts)
        if as_json:
            click.echo(json.dumps(r.__dict__, indent=2, ensure_ascii=False))
        else:
            click.echo(r.text)
        return
    for piece in model.stream(text, system=system, **opts):
        click.echo(piece, nl=False)
    click.echo()


@cli.command()
@click.option("-m", "--model", "model_name", default=None, help="Model name or path (default: smollm2).")
@click.option("-s", "--system", default=None, help="System prompt.")
@click.option("--max-tokens", default=512, show_default=True)
@click.option("--temperature", default=0.0, show_default=True)
def chat(model_name, system, max_tokens, temperature):
    """Chat interactively with a model (streaming). Type 'exit' or Ctrl-D to quit.

    \b
    Examples:
      ladder chat
      ladder chat --model gemma3-270m --system "Answer in French"
    """
    from .models import get_model

    model = get_model(model_name)
    history = [{"role": "system", "content": system}] if system else []
    click.echo(f"Chatting with {model.name}. 'exit' or Ctrl-D to quit.", err=True)
    while True:
        try:
            line = input("> ")
        except EOFError:
            break
        if line.strip() in {"exit", "quit"}:
            break
        if not line.strip():
            continue
        history.append({"role": "user", "content": line})
        stream = model.stream(history, max_tokens=max_tokens, temperature=temperature)
        for piece in stream:
            click.echo(piece, nl=False)
        click.echo()
        history.append({"role": "assistant", "content": stream.response.text})


@cli.command()
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
    from .log import get_log, log_path

    rows = get_log().latest(count, run_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("time", "model", "prompt → response", "tokens in/out (cached)", "ttft/total ms",
                  title=f"{log_path()}")
    import datetime

    for r in rows:
        last = r["messages"][-1]["content"] if r["messages"] else ""
        table.add_row(datetime.datetime.fromtimestamp(r["ts"]).strftime("%m-%d %H:%M:%S"), r["model"],
                      f"{_short(last)} → {_short(r['response'])}",
                      f"{r['prompt_tokens']}/{r['completion_tokens']} ({r['cached_tokens']})",
                      f"{r['ttft_ms']:.0f}/{r['latency_ms']:.0f}")
    Console().print(table)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# Command groups that live with their packages. One line each:
# cli.add_command(<click command or group>)
# -- subcommands --


def main():
    cli()


if __name__ == "__main__":
    main()
