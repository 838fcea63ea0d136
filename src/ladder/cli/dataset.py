"""`ladder dataset from-log`: captured proxy traffic as a task-format dataset."""

from __future__ import annotations

import click


@click.group("dataset")
def dataset():
    """Datasets from what the proxy captured (`ladder serve --upstream ...`).

    \b
    Examples:
      ladder dataset from-log --tag expenses --out expenses.jsonl
      ladder dataset from-log --tag expenses --since 7d --out recent.jsonl
    """


@dataset.command("from-log")
@click.option("--tag", required=True, help="The tag the calls carried (X-Ladder-Tag header or metadata tag).")
@click.option("--since", default=None, help="Only calls since a date (2026-03-01), a time, or an age (12h, 7d).")
@click.option("--model", default=None, help="Only calls that asked for this model name.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="The JSONL to write; provenance goes to <name>.provenance.jsonl beside it.")
def from_log_cmd(tag, since, model, out):
    """Turn the captured calls of one tag into {"input", "expected"} rows.

    Input: the call's template variables (metadata input.NAME), else the last user
    message as "text". Expected: the upstream's answer, parsed and validated against
    the call's response_format schema when it had one. Duplicate inputs keep the latest
    answer; each row's call id, time and model are in the provenance file.

    \b
    Examples:
      ladder dataset from-log --tag expenses --out expenses.jsonl
      ladder dataset from-log --tag expenses --since 7d --model gpt-4o-mini --out recent.jsonl
      ladder init --from-log expenses                # the same rows, as a task directory
    """
    from ..capture.dataset import from_log, write_dataset

    built = from_log(tag, since=since, model=model)
    path, side = write_dataset(built, out)
    click.echo(f"Wrote {path}: {built.summary()}")
    click.echo(f"  output: {built.kind}" + (" (validated against the calls' schema)" if built.schema else ""))
    click.echo(f"  provenance: {side}")


COMMANDS = (dataset,)
