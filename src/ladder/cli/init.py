"""`ladder init`: scaffold a task from a CSV or JSONL file of examples (start here), or from captured traffic."""

from __future__ import annotations

import click


def _columns(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


@click.command("init")
@click.argument("examples", type=click.Path(dir_okay=False), required=False)
@click.option("--from-log", "from_log", default=None, metavar="TAG",
              help="Scaffold from the proxy's captured calls of this tag instead of a file (ladder serve --upstream).")
@click.option("--since", default=None, help="With --from-log: only calls since a date, a time or an age (7d).")
@click.option("--model", default=None, help="With --from-log: only calls that asked for this model name.")
@click.option("-o", "--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the task (default: the file's name without extension, here).")
@click.option("--input", "inputs", default=None, metavar="A,B", help="Input columns (default: every non-output column).")
@click.option("--output", "outputs", default=None, metavar="C",
              help="Output column(s) (default: one named label/answer/output/expected..., else the last).")
@click.option("--name", default=None, help="Task name (default: the folder's name).")
@click.option("--seed", default=0, show_default=True, help="Seed of the train/dev/test split.")
@click.option("--force", is_flag=True, help="Overwrite task files already in the folder.")
def init(examples, from_log, since, model, out, inputs, outputs, name, seed, force):
    """Start here: turn a CSV or JSONL file of examples into a task.

    Guesses the input and output columns, an output JSON Schema (a column with a few
    distinct values becomes an enum) and a metric, splits the rows 70/15/15 into
    train/dev/test with a seed, and writes task.yaml, schema.json and the three
    .jsonl files. Every guess is a comment in task.yaml: read it, then edit.

    \b
    Examples:
      ladder init reviews.csv                          # -> reviews/task.yaml
      ladder init tickets.jsonl --out tasks/tickets --input subject,body --output queue
      ladder init qa.csv --output answer --seed 1 --force
      ladder init --from-log expenses --since 7d        # captured traffic -> expenses/task.yaml
    """
    import json
    from pathlib import Path

    if bool(examples) == bool(from_log):
        raise click.UsageError("Give a file of examples or --from-log TAG (one of them).")
    if from_log:
        if inputs or outputs:
            raise click.UsageError("--input/--output do not apply to --from-log: the calls' template "
                                   "variables (or user message) are the input, the upstream's answer the output.")
        from ..capture.dataset import scaffold_from_log

        made = scaffold_from_log(from_log, out, since=since, model=model, name=name, seed=seed, force=force)
    else:
        if since or model:
            raise click.UsageError("--since and --model go with --from-log TAG.")
        from ..scaffold import scaffold

        target = Path(out) if out else Path(Path(examples).stem)
        made = scaffold(examples, target, inputs=_columns(inputs), outputs=_columns(outputs), name=name,
                        seed=seed, force=force)
    d = made.draft
    click.echo(f"Wrote {made.root}/: task.yaml, schema.json, "
               + ", ".join(f"{k}.jsonl ({n})" for k, n in made.counts.items()))
    click.echo(f"  inputs: {', '.join(d.inputs)}")
    for note in d.notes:
        click.echo(f"  {note}")
    click.echo(f"  metric: {json.dumps(d.metric)}")
    click.echo("\nNext:")
    for command in made.next_commands():
        click.echo(f"  {command}")


COMMANDS = (init,)
