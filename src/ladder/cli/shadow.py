"""`ladder shadow report`: the upstream vs its routed student on the same shadowed requests."""

from __future__ import annotations

import click


@click.group("shadow")
def shadow():
    """Compare a student with the upstream it shadows (`ladder serve --route UP=STUDENT --shadow`).

    \b
    Examples:
      ladder shadow report --tag expenses
      ladder shadow report --tag expenses --json
    """


@shadow.command("report")
@click.option("--tag", required=True, help="The tag of the shadowed calls.")
@click.option("--since", default=None, help="Only requests since a date, a time, or an age (12h, 7d).")
@click.option("--task", "task", default=None,
              help="Score agreement by this task's metric (default: the task the student answered for, else exact/JSON-equal).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, with every pair.")
def report_cmd(tag, since, task, as_json):
    """Agreement, latency and tokens of upstream and student, side by side.

    \b
    Examples:
      ladder serve --upstream openai:gpt-4o-mini --route gpt-4o-mini=expenses-student --task expenses --shadow
      ladder shadow report --tag expenses
      ladder shadow report --tag expenses --since 1d --json
    """
    import json

    from ..capture.shadow import print_report, shadow_report

    report = shadow_report(tag, since=since, task=task)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report, click.echo)


COMMANDS = (shadow,)
