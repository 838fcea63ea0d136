"""`ladder models`, `ladder prompt`, `ladder chat`: what can run here, and talking to it."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models(as_json):
    """List the models you can use (chat and speech), and why one is unavailable.

    \b
    Examples:
      ladder models
      ladder models --json
    """
    from ..models import list_models
    from ..speech import list_speech_models

    infos = list_models() + list_speech_models()  # speech models: `ladder transcribe`, /v1/audio/transcriptions
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


@click.command()
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
    from ..models import get_model

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


@click.command()
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
    from ..models import get_model

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


COMMANDS = (models, prompt, chat)
