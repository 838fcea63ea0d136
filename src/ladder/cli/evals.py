"""`ladder eval`, `ladder runs`, `ladder judge`: one rung measured, its records, judge agreement."""

from __future__ import annotations

import json

import click

from .common import examples as _examples
from .common import prices as _prices


@click.command("eval")
@click.option("-t", "--task", "task_name", required=True, help="Bundled task name or task.yaml path.")
@click.option("-r", "--rung", "rung_spec", default=None,
              help="Rung spec, e.g. few-shot-4, retrieved-few-shot-4+self-check-2 "
                   "(default: the last climb's pick for the task, else its trained student, else zero-shot).")
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
@click.option("--resume", is_flag=True, help="Keep the items an earlier (killed) run with the same settings finished; "
                                            "failed items are tried once more.")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Items run concurrently (remote models; the records are the same as sequential).")
def eval_cmd(task_name, rung_spec, model_name, split, data, limit, seed, consistency_n, price_in, price_out,
             as_json, resume, jobs):
    """Run one rung on a split or a JSONL file; store every item's record; print metrics.

    \b
    Examples:
      ladder eval --task expenses --rung few-shot-4 --limit 20
      ladder eval --task expenses --rung zero-shot --data my_cases.jsonl --json
      ladder eval --task expenses --rung retrieved-few-shot-4+self-check-2 --model gemma3-270m
      ladder eval --task my_task.yaml --model openai:gpt-4o-mini --jobs 8
    """
    from ..evals import consistency, evaluate
    from ..evals.report import print_table
    from ..models import get_model
    from ..rungs import build_rung
    from ..tasks import load_task

    task = load_task(task_name)
    examples = _examples(task, split, data, limit, seed)
    if rung_spec is None:
        from ..climb import pick

        rung_spec, picked_model = pick(task)
        model_name = model_name or picked_model
        click.echo(f"rung: {rung_spec}" + (f" on {picked_model}" if picked_model else "")
                   + " (ladder.climb.pick: the last climb's pick, else the task's student, else zero-shot; "
                   "--rung to choose)", err=True)
    rung, model = build_rung(rung_spec), get_model(model_name)
    _student_is_there(task, rung_spec, model)
    result = evaluate(task, rung, model, examples, data=data or split, seed=seed, progress=not as_json,
                      prices=_prices(price_in, price_out), resume=resume, jobs=jobs)
    if consistency_n:
        result.summary["consistency"] = consistency(task, rung, model, examples[:consistency_n], seed=seed,
                                                    pairs=task.paraphrase_pairs()[:consistency_n])
    if as_json:
        click.echo(json.dumps(result.summary, indent=1, ensure_ascii=False))
        return
    print_table([result.summary], title=f"{task.name} · {len(examples)} items · run {result.run_id}")
    s = result.summary
    from ..climb import describe_metric

    click.echo(f"quality: the mean of the task's metric ({describe_metric(task)}) over {s['n']} items")
    if s["field_acc"]:
        click.echo("per field: " + ", ".join(f"{f} {a:.0%}" for f, a in s["field_acc"].items()))
    if s.get("fixed_rate"):
        base = s["rung"].split("+")[0]
        alone = f"; `--rung {base}-raw` measures the model alone" if base in ("student", "student-gold") else ""
        click.echo(f"task fixes: the validators' fixes set a value in {s['fixed_rate']:.0%} of the answers "
                   f"(each record's \"fixed\" says which){alone}")
    judge = (s.get("judge") or {}).get("agreement")
    if judge:
        click.echo(f"judge agreement with people ({judge['n']} labelled items): {judge['exact']:.0%} exact, "
                   f"{judge['within_1']:.0%} within one point, Spearman "
                   + (f"{judge['spearman']:.2f}" if judge.get("spearman") is not None else "-"))
    if s["errors"]:
        click.echo(f"errors: {s['errors']} item(s) failed (counted wrong), e.g. {s['error_examples'][0][:300]}"
                   " — `--resume` tries them once more", err=True)
    if "consistency" in s:
        from ..evals.report import fmt_consistency

        click.echo(f"consistency: {fmt_consistency(s)} (same input twice at T=0.7 / paraphrase pairs)")
    click.echo(f"records: {result.run_id} in the runs database (ladder runs --show {result.run_id})")


@click.command()
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
    from ..evals import RunStore

    store = RunStore()
    if run_id:
        for rec in store.records(run_id):
            click.echo(json.dumps(rec, ensure_ascii=False))
        return
    for r in store.runs(task_name, count):
        s = r["summary"] or {}
        q = f"{s['quality']:.1%}" if s.get("quality") is not None else "-"
        click.echo(f"{r['id']}  {r['task']:<12} {r['rung']:<42} {r['model']:<14} n={r['n']:<4} quality={q}")


@click.command()
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
    from ..evals.judge import DEFAULT_RUBRIC, Judge, agreement, load_labelled
    from ..models import get_model

    result = agreement(Judge(get_model(model_name), rubric or DEFAULT_RUBRIC), load_labelled(data))
    if as_json:
        click.echo(json.dumps(result, indent=1))
        return
    rho = "n/a" if result["spearman"] is None else f"{result['spearman']:.2f}"
    click.echo(f"{result['n']} items: exact agreement {result['exact']:.0%}, within one point "
               f"{result['within_1']:.0%}, Spearman {rho}")


COMMANDS = (eval_cmd, runs, judge)


def _student_is_there(task, spec: str, model) -> None:
    """A student rung with no student to run is one error before any item, not 0 % quality
    over items that each failed."""
    from ..distill.student import Student

    base = spec.split("+")[0].strip()
    if base.startswith("student"):
        rung = Student(base.removesuffix("-raw"))
        if rung.named(task, model) is None:
            rung.registered_name(task)  # ConfigError with the fix when there is none (loads nothing)
