"""`ladder serve`: the OpenAI-compatible server over models, task rungs and apps."""

from __future__ import annotations

import click


@click.command("serve")
@click.option("-m", "--model", "models", multiple=True, help="Model to serve (repeatable; default: smollm2).")
@click.option("-t", "--task", "tasks", multiple=True, help="Task to serve at /v1/tasks/NAME (repeatable).")
@click.option("--rung", default=None, help="Rung spec for the tasks (default: ladder.climb.pick: the last climb's pick, else the task's student, else zero-shot).")
@click.option("--app", "apps", multiple=True, type=click.Choice(["expenses"]),
              help="Serve an app at /v1/apps/NAME (the bookkeeping app: expenses).")
@click.option("--ledger", type=click.Path(dir_okay=False), default=None,
              help="The expenses app's SQLite ledger (default: <data dir>/ledger.db).")
@click.option("--currency", default="TWD", show_default=True, help="The expenses app's currency when none is named.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address; anything but loopback needs an API key.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--api-key", envvar="LADDER_API_KEY", default=None, help="Require 'Authorization: Bearer KEY' (env LADDER_API_KEY).")
@click.option("--max-queue", default=16, show_default=True, help="Waiting requests per model before 429.")
@click.option("--max-tokens-cap", default=2048, show_default=True, help="Largest max_tokens a request may ask for.")
@click.option("--max-body-bytes", default=1_000_000, show_default=True, help="Largest request body.")
@click.option("--timeout", "timeout_s", default=300.0, show_default=True, help="Seconds per request, queue wait included.")
@click.option("--upstream", default=None, metavar="openai:MODEL|URL",
              help="Forward chat completions to this OpenAI-compatible upstream and log each call (capture).")
@click.option("--route", "routes", multiple=True, metavar="UPSTREAM_MODEL=LOCAL",
              help="Answer requests for UPSTREAM_MODEL with the local model LOCAL (a student); repeatable.")
@click.option("--shadow", is_flag=True, help="With --route: also ask the upstream, return its answer, log both.")
@click.option("--redact", is_flag=True, help="Replace e-mails, phones, card/ID numbers before a request leaves the machine.")
@click.option("--redact-patterns", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Extra redaction patterns: a YAML file of NAME: REGEX.")
@click.option("--log-original", is_flag=True, help="With --redact: keep the original text in the local log.")
@click.option("--max-audio-bytes", default=25_000_000, show_default=True, help="Largest audio upload (413 above).")
@click.option("--max-audio-seconds", "max_audio_s", default=120.0, show_default=True, help="Longest audio (400 above).")
def serve_command(models, tasks, rung, apps, ledger, currency, host, port, api_key, max_queue, max_tokens_cap, max_body_bytes,
                  timeout_s, upstream, routes, shadow, redact, redact_patterns, log_original, max_audio_bytes, max_audio_s):
    """Serve models (and task rungs) over the OpenAI HTTP API.

    \b
    Examples:
      ladder serve                                   # smollm2 on http://127.0.0.1:8000/v1
      ladder serve --model smollm2 --task expenses   # + POST /v1/tasks/expenses
      ladder serve --host 0.0.0.0 --api-key "$KEY"   # beyond loopback: a key is required
      ladder serve --app expenses --ledger my.db     # + POST /v1/apps/expenses {"text": "昨天午餐 180"}
      ladder serve --upstream openai:gpt-4o-mini --redact          # proxy: capture tagged calls (X-Ladder-Tag)
      ladder serve --upstream http://127.0.0.1:9000/v1 --task expenses --shadow --route gpt-4o-mini=expenses-student-gold
                                                     # the student answers too; `ladder shadow report`
    \b
    Then, with the official client:
      OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused").chat.completions.create(
          model="smollm2", messages=[{"role": "user", "content": "hi"}])
    """
    from ..server import ServerConfig, serve

    bad = [r for r in routes if "=" not in r or not all(r.split("=", 1))]
    if bad:
        raise click.BadParameter(f"{bad[0]!r}: write --route UPSTREAM_MODEL=LOCAL_MODEL, e.g. "
                                 "--route gpt-4o-mini=expenses-student.", param_hint="--route")
    route_map = dict(r.split("=", 1) for r in routes)
    serve(ServerConfig(models=_served(models, upstream, route_map), tasks=list(tasks), rung=rung, apps=list(apps),
                       ledger=ledger, currency=currency, host=host, port=port,
                       api_key=api_key, max_queue=max_queue, max_tokens_cap=max_tokens_cap,
                       max_body_bytes=max_body_bytes, timeout_s=timeout_s, upstream=upstream, routes=route_map,
                       shadow=shadow, redact=redact, redact_patterns=redact_patterns, log_original=log_original,
                       max_audio_bytes=max_audio_bytes, max_audio_s=max_audio_s))


def _served(models, upstream, routes: dict) -> list[str]:
    """The local models: those given (default smollm2, none in front of an upstream) plus
    every --route target."""
    chosen = list(models) or ([] if upstream else ["smollm2"])
    return chosen + [m for m in dict.fromkeys(routes.values()) if m not in chosen]


COMMANDS = (serve_command,)
