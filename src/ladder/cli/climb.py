"""`ladder climb` and `ladder demo`: every rung on a task, ranked, with a recommendation."""

from __future__ import annotations

import click

from .common import examples as _examples
from .common import prices as _prices


@click.command("climb")
@click.option("-t", "--task", "task_name", required=True, help="Bundled task name or task.yaml path.")
@click.option("-m", "--model", "model_name", default=None, help="Model name or path (default: smollm2).")
@click.option("--models", "model_names", default=None,
              help="Comma-separated models for a model x rung grid, e.g. smollm2,qwen2.5-coder-1.5b,openai:gpt-4o-mini.")
@click.option("--bar", default=0.8, show_default=True, help="Quality bar: the task metric's mean to meet (fields: share of items with every field right).")
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
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Items run concurrently (remote models; the records are the same as sequential).")
@click.option("--pass-on", type=click.Choice(["point", "lower"]), default="point", show_default=True,
              help="Compare the bar with the quality itself, or with the lower end of its 95% CI.")
@click.option("--cpu-hour-usd", type=float, default=None,
              help="Dollars per CPU-hour: puts local (CPU-seconds) and priced remote rows on one scale.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows and the recommendation as JSON.")
def climb_cmd(task_name, model_name, model_names, bar, budget_latency_ms, rungs, split, data, limit, quick, seed,
              consistency_n, price_in, price_out, out, resume, jobs, pass_on, cpu_hour_usd, as_json):
    """Run every rung on a task, rank them, and recommend the cheapest that meets the bar.

    Students trained with `ladder distill` for the task join the ladder as the
    `student` (teacher labels) and `student-gold` (gold labels) rungs, and prompts
    searched with `ladder optimize` for the task and a climbed model as `optimized:NAME`.

    \b
    Examples:
      ladder climb --task expenses --quick
      ladder climb --task expenses --bar 0.9 --budget-latency-ms 800
      ladder climb --task expenses --rungs zero-shot,few-shot-4 --limit 50
      ladder climb --task my_task.yaml --model openai:gpt-4o-mini --price-in 0.15 --price-out 0.6
      ladder climb --task expenses --resume           # after Ctrl-C: finished items are kept
      ladder climb --task expenses --models smollm2,gemma3-270m,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b --limit 60
      ladder climb --task expenses --models smollm2,qwen2.5-coder-0.5b --rungs zero-shot --limit 4 --json
    """
    from ..climb import climb, student_rungs
    from ..models import get_model
    from ..optimize.rung import optimized_rungs
    from ..rungs import DEFAULT_LADDER, QUICK_LADDER
    from ..tasks import load_task

    task = load_task(task_name)
    if quick and limit is None:
        limit = 24
    examples = _examples(task, split, data, limit, seed)
    if model_names and model_name:
        raise click.UsageError("Give --model or --models, not both.")
    names = [n.strip() for n in model_names.split(",") if n.strip()] if model_names else [model_name]
    models = [get_model(n) for n in names]
    specs = [s.strip() for s in rungs.split(",")] if rungs else \
        list(QUICK_LADDER if quick else DEFAULT_LADDER) + student_rungs(task) + \
        optimized_rungs(task, [m.name for m in models])
    result = climb(task, models, examples, rungs=specs, bar=bar,
                   budget_latency_ms=budget_latency_ms, seed=seed, consistency_n=consistency_n,
                   prices=_prices(price_in, price_out), out=out, data=data or split, resume=resume,
                   jobs=jobs, progress=not as_json, pass_on=pass_on, cpu_hour_usd=cpu_hour_usd)
    if as_json:
        import json

        click.echo(json.dumps({"rows": result.rows, "recommendation": result.recommendation,
                               "report": str(result.report)}, indent=1, ensure_ascii=False))
        return
    click.secho(result.recommendation["reason"], bold=True)
    click.echo(f"report: {result.report}")


# The demo's model comparison: the bundled 135M model against the bundled 1.5B one, each
# zero-shot and with retrieved few-shot, then the student. Chosen to fit ~15 minutes on 2
# cores with the student's training (bench/RESULTS.md, "The demo"); --full climbs everything.
DEMO_MODELS = ("smollm2", "qwen2.5-coder-1.5b")
DEMO_RUNGS = ("zero-shot", "retrieved-few-shot-4")
DEMO_ITEMS = 24


@click.command()
@click.option("--full", is_flag=True, help="The whole ladder on the whole test split (hours on 2 cores).")
@click.option("--no-student", is_flag=True, help="Skip training the quick student.")
@click.option("--out", type=click.Path(file_okay=False), default="ladder-report", show_default=True)
def demo(full, no_student, out):
    """Climb the bundled `expenses` task: two bundled models and a student, compared.

    \b
    Steps: (1) unless one exists, fine-tune a small student on the gold training labels
    with the quick preset (LoRA, 64 steps) and register it as expenses-student-gold;
    (2) climb smollm2 (135M) and qwen2.5-coder-1.5b, each zero-shot and with retrieved
    few-shot, plus the student, on 24 seeded test items; (3) print the table, the
    recommendation and the path of report.html (with the quality-vs-cost picture).

    \b
    Examples:
      ladder demo            # the quick preset (~15 min on 2 cores, training included)
      ladder demo --no-student
      ladder demo --full     # every rung x the two models on the whole test split
    """
    from ..climb import student_rungs
    from ..rungs import DEFAULT_LADDER
    from ..tasks import load_task

    task = load_task("expenses")
    if not no_student and "student-gold" not in student_rungs(task):
        from ..distill import TrainConfig
        from ..distill.recipe import distill
        from .distill import PRESETS

        click.secho("Fine-tuning a small student on the gold training labels (quick preset)...", bold=True)
        distill(task, source="gold", config=TrainConfig(**PRESETS["quick"]), evaluate_after=False)
    rungs = list(DEFAULT_LADDER if full else DEMO_RUNGS) + student_rungs(task)
    click.get_current_context().invoke(climb_cmd, task_name="expenses", model_names=",".join(DEMO_MODELS),
                                       rungs=",".join(rungs), limit=None if full else DEMO_ITEMS, out=out)


COMMANDS = (climb_cmd, demo)
