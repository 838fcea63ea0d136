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


def _examples(task, split, data, limit, seed):
    """The items to run: a split or a JSONL file, optionally a seeded random subset."""
    import random

    examples = task.load(data) if data else task.split(split)
    if limit and limit < len(examples):
        examples = random.Random(seed).sample(examples, limit)
    return examples


def _prices(price_in, price_out):
    return (price_in, price_out) if price_in is not None or price_out is not None else None


@cli.command("eval")
@click.option("-t", "--task", "task_name", required=True, help="Bundled task name or task.yaml path.")
@click.option("-r", "--rung", "rung_spec", default=None,
              help="Rung spec, e.g. few-shot-4, retrieved-few-shot-4+self-check-2 "
                   "(default: the last climb's pick for the task, else zero-shot).")
@click.option("-m", "--model", "model_name", default=None, help="Model name or path (default: smollm2).")
@click.option("--split", default="test", show_default=True, help="Split from the task file.")
@click.option("--data", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Any JSONL file in the task's format (instead of --split).")
@click.option("--limit", type=int, default=None, help="Evaluate a seeded random subset of N items.")
@click.option("--seed", default=0, show_default=True)
@click.option("--consistency", "consistency_n", default=0, show_default=True,
              help="Also measure consistency on N items (same input twice at temperature 0.7) "
                   "and N paraphrase pairs.")
@click.option("--price-in", type=float, default=None, help="USD per 1M prompt tokens (remote models).")
@click.option("--price-out", type=float, default=None, help="USD per 1M completion tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--resume", is_flag=True, help="Keep the items an earlier (killed) run with the same settings finished.")
def eval_cmd(task_name, rung_spec, model_name, split, data, limit, seed, consistency_n, price_in, price_out,
             as_json, resume):
    """Run one rung on a split or a JSONL file; store every item's record; print metrics.

    \b
    Examples:
      ladder eval --task expenses --rung few-shot-4 --limit 20
      ladder eval --task expenses --rung zero-shot --data my_cases.jsonl --json
      ladder eval --task expenses --rung retrieved-few-shot-4+self-check-2 --model gemma3-270m
    """
    from .evals import consistency, evaluate
    from .evals.report import print_table
    from .models import get_model
    from .rungs import build_rung
    from .tasks import load_task

    task = load_task(task_name)
    examples = _examples(task, split, data, limit, seed)
    if rung_spec is None:
        from .climb import recommended

        pick = recommended(task.name) or {}
        rung_spec = pick.get("rung") or "zero-shot"
        if pick and model_name is None:
            model_name = pick.get("model")
        click.echo(f"rung: {rung_spec}" + (" (the last climb's pick; --rung to choose)" if pick else ""), err=True)
    rung, model = build_rung(rung_spec), get_model(model_name)
    result = evaluate(task, rung, model, examples, data=data or split, seed=seed, progress=not as_json,
                      prices=_prices(price_in, price_out), resume=resume)
    if consistency_n:
        result.summary["consistency"] = consistency(task, rung, model, examples[:consistency_n], seed=seed,
                                                    pairs=task.paraphrase_pairs()[:consistency_n])
    if as_json:
        click.echo(json.dumps(result.summary, indent=1, ensure_ascii=False))
        return
    print_table([result.summary], title=f"{task.name} · {len(examples)} items · run {result.run_id}")
    s = result.summary
    click.echo("per field: " + ", ".join(f"{f} {a:.0%}" for f, a in s["field_acc"].items()))
    if "consistency" in s:
        from .evals.report import fmt_consistency

        click.echo(f"consistency: {fmt_consistency(s)} (same input twice at T=0.7 / paraphrase pairs)")
    click.echo(f"records: {result.run_id} in the runs database (ladder runs --show {result.run_id})")


@cli.command()
@click.option("--task", "task_name", default=None, help="Only runs of this task.")
@click.option("--show", "run_id", default=None, help="Print every record of one run as JSON lines.")
@click.option("-n", "count", default=20, show_default=True)
def runs(task_name, run_id, count):
    """List evaluation runs, or show one run's records (exact prompts, outputs, scores).

    \b
    Examples:
      ladder runs --task expenses
      ladder runs --show 3f2a9c1b0d4e | head -3
    """
    from .evals import RunStore

    store = RunStore()
    if run_id:
        for rec in store.records(run_id):
            click.echo(json.dumps(rec, ensure_ascii=False))
        return
    for r in store.runs(task_name, count):
        s = r["summary"] or {}
        q = f"{s['quality']:.1%}" if s.get("quality") is not None else "-"
        click.echo(f"{r['id']}  {r['task']:<12} {r['rung']:<42} {r['model']:<14} n={r['n']:<4} exact={q}")


@cli.command("climb")
@click.option("-t", "--task", "task_name", required=True, help="Bundled task name or task.yaml path.")
@click.option("-m", "--model", "model_name", default=None, help="Model name or path (default: smollm2).")
@click.option("--bar", default=0.8, show_default=True, help="Quality bar: all-fields-exact rate to meet.")
@click.option("--budget-latency-ms", type=float, default=None, help="p50 latency a rung must fit.")
@click.option("--rungs", default=None, help="Comma-separated rung specs (default: the full ladder).")
@click.option("--split", default="test", show_default=True)
@click.option("--data", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Any JSONL file in the task's format (instead of --split).")
@click.option("--limit", type=int, default=None, help="Climb on a seeded random subset of N items.")
@click.option("--quick", is_flag=True, help="The demo preset: 5 rungs on 24 items (a few minutes).")
@click.option("--seed", default=0, show_default=True)
@click.option("--consistency", "consistency_n", default=0, show_default=True,
              help="Also measure consistency on N items per rung.")
@click.option("--price-in", type=float, default=None, help="USD per 1M prompt tokens (remote models).")
@click.option("--price-out", type=float, default=None, help="USD per 1M completion tokens.")
@click.option("--out", type=click.Path(file_okay=False), default="ladder-report", show_default=True,
              help="Folder for report.html.")
@click.option("--resume", is_flag=True, help="Keep the items earlier (killed) runs with the same settings finished.")
def climb_cmd(task_name, model_name, bar, budget_latency_ms, rungs, split, data, limit, quick, seed,
              consistency_n, price_in, price_out, out, resume):
    """Run every rung on a task, rank them, and recommend the cheapest that meets the bar.

    Students trained with `ladder distill` for the task join the ladder as the
    `student` (teacher labels) and `student-gold` (gold labels) rungs.

    \b
    Examples:
      ladder climb --task expenses --quick
      ladder climb --task expenses --bar 0.9 --budget-latency-ms 800
      ladder climb --task expenses --rungs zero-shot,few-shot-4 --limit 50
      ladder climb --task my_task.yaml --model openai:gpt-4o-mini --price-in 0.15 --price-out 0.6
      ladder climb --task expenses --resume           # after Ctrl-C: finished items are kept
    """
    from .climb import climb, student_rungs
    from .models import get_model
    from .rungs import DEFAULT_LADDER, QUICK_LADDER
    from .tasks import load_task

    task = load_task(task_name)
    if quick and limit is None:
        limit = 24
    specs = [s.strip() for s in rungs.split(",")] if rungs else \
        list(QUICK_LADDER if quick else DEFAULT_LADDER) + student_rungs(task)
    examples = _examples(task, split, data, limit, seed)
    result = climb(task, get_model(model_name), examples, rungs=specs, bar=bar,
                   budget_latency_ms=budget_latency_ms, seed=seed, consistency_n=consistency_n,
                   prices=_prices(price_in, price_out), out=out, data=data or split, resume=resume)
    click.secho(result.recommendation["reason"], bold=True)
    click.echo(f"report: {result.report}")


@cli.command()
@click.option("--full", is_flag=True, help="The whole ladder on the whole test split (hours on 2 cores).")
@click.option("--no-student", is_flag=True, help="Skip training the quick student.")
@click.option("--out", type=click.Path(file_okay=False), default="ladder-report", show_default=True)
def demo(full, no_student, out):
    """Climb the bundled `expenses` task on the embedded model and print the report.

    \b
    Steps: (1) unless one exists, fine-tune a small student on the gold training labels
    with the quick preset (LoRA, 64 steps) and register it as expenses-student-gold;
    (2) climb the prompting rungs and the student on 24 test items; (3) print the table,
    the recommendation and the path of report.html.

    \b
    Examples:
      ladder demo            # the quick preset
      ladder demo --no-student
      ladder demo --full
    """
    from .climb import student_rungs
    from .tasks import load_task

    task = load_task("expenses")
    if not no_student and "student-gold" not in student_rungs(task):
        from .distill import TrainConfig
        from .distill.cli import PRESETS
        from .distill.recipe import distill

        click.secho("Fine-tuning a small student on the gold training labels (quick preset)...", bold=True)
        distill(task, source="gold", config=TrainConfig(**PRESETS["quick"]), evaluate_after=False)
    click.get_current_context().invoke(climb_cmd, task_name="expenses", quick=not full, out=out)


@cli.command()
@click.option("--data", type=click.Path(dir_okay=False, exists=True), required=True,
              help='JSONL of {"question", "answer", "reference", "human_score"} lines.')
@click.option("-m", "--model", "model_name", default=None, help="Judge model (default: smollm2).")
@click.option("--rubric", default=None, help="Scoring rubric (default: a 1-5 correctness rubric).")
@click.option("--json", "as_json", is_flag=True)
def judge(data, model_name, rubric, as_json):
    """Measure an LLM judge's agreement with human scores on a labelled set.

    \b
    Examples:
      ladder judge --data examples/judge/labelled.jsonl
      ladder judge --data labelled.jsonl --model openai:gpt-4o-mini --json
    """
    from .evals.judge import DEFAULT_RUBRIC, Judge, agreement, load_labelled
    from .models import get_model

    result = agreement(Judge(get_model(model_name), rubric or DEFAULT_RUBRIC), load_labelled(data))
    if as_json:
        click.echo(json.dumps(result, indent=1))
        return
    rho = "n/a" if result["spearman"] is None else f"{result['spearman']:.2f}"
    click.echo(f"{result['n']} items: exact agreement {result['exact']:.0%}, within one point "
               f"{result['within_1']:.0%}, Spearman {rho}")


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# Command groups that live with their packages. One line each:
# cli.add_command(<click command or group>)
# -- subcommands --
from .distill.cli import distill as _d, train_cmd as _t; cli.add_command(_d); cli.add_command(_t)  # noqa: E402,E702
cli.add_command(__import__('ladder.app', fromlist=['cli']).cli)
cli.add_command(__import__('ladder.rag.cli', fromlist=['rag']).rag)
cli.add_command(__import__('ladder.sql', fromlist=['cli']).cli)
from .server.cli import serve_command; cli.add_command(serve_command)  # noqa: E402,E702


def main():
    cli()


if __name__ == "__main__":
    main()
