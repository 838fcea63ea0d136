"""`ladder optimize`: search a task's instructions and demos on dev; keep them as a rung."""

from __future__ import annotations

import click


@click.command("optimize")
@click.option("-t", "--task", "task_name", required=True, help="Bundled task name or task.yaml path.")
@click.option("-m", "--model", "model_name", default=None, help="The model the prompt is for (default: smollm2).")
@click.option("-p", "--proposer", "proposer_name", default=None,
              help="The model that rewrites the instructions from the failures it is shown (default: --model; "
                   "a bigger one helps, e.g. qwen2.5-coder-1.5b or openai:gpt-4o-mini).")
@click.option("-b", "--budget", default=150, show_default=True, type=click.IntRange(1),
              help="Metric calls: every (candidate, item) scored, dev and train minibatches alike.")
@click.option("-n", "--name", default=None, help="The rung becomes optimized:NAME (default: <task>-<model>).")
@click.option("--limit", type=int, default=None,
              help="Score candidates on a seeded random subset of N dev items (more iterations per budget).")
@click.option("--retrieve", default=0, show_default=True, type=click.IntRange(0),
              help="Also show the K nearest training examples after the searched demos (as retrieved-few-shot-K).")
@click.option("--max-demos", default=4, show_default=True, type=click.IntRange(0),
              help="At most this many searched demos (0: search the instructions only).")
@click.option("--minibatch", default=3, show_default=True, type=click.IntRange(1),
              help="Training items the proposer learns from per iteration.")
@click.option("--proposal", type=click.Choice(["add-rules", "rewrite"]), default="add-rules", show_default=True,
              help="add-rules: the proposer writes the rules the failures show are missing (small proposers); "
                   "rewrite: it rewrites the whole instructions (gepa's prompt; a strong proposer).")
@click.option("--seed", default=0, show_default=True)
@click.option("--resume", is_flag=True, help="Continue a killed (or finished, with a bigger --budget) search of NAME.")
@click.option("--json", "as_json", is_flag=True, help="Print the artifact as JSON.")
def optimize_cmd(task_name, model_name, proposer_name, budget, name, limit, retrieve, max_demos, minibatch,
                 proposal, seed, resume, as_json):
    """Search the instructions and demos of a prompt on the dev split, scored by the
    task's own metric, within a budget of metric calls (gepa's reflective search).

    The result is the rung optimized:NAME, usable wherever a rung is: `ladder eval
    --rung`, `ladder climb` (added for its task automatically), `ladder distill --rung`
    (as the teacher pipeline) and `ladder serve --rung`. Every candidate's prompt and
    scores are kept in <data dir>/optimized/NAME/; Ctrl-C and --resume lose nothing
    already scored.

    \b
    Examples:
      ladder optimize --task expenses --model qwen2.5-coder-0.5b --proposer qwen2.5-coder-1.5b \\
          --budget 120 --limit 16 --retrieve 4 --name expenses-0.5b
      ladder optimize --task expenses --model qwen2.5-coder-0.5b --name expenses-0.5b --resume
      ladder eval --task expenses --model qwen2.5-coder-0.5b --rung optimized:expenses-0.5b
      ladder climb --task expenses --model qwen2.5-coder-0.5b --rungs retrieved-few-shot-4,optimized:expenses-0.5b
    """
    from ..models import get_model
    from ..optimize import optimize
    from ..tasks import load_task
    from .common import examples as _examples

    task = load_task(task_name)
    dev = _examples(task, "dev", None, limit, seed)
    model = get_model(model_name)
    proposer = get_model(proposer_name) if proposer_name and proposer_name != model.name else None
    art = optimize(task, model, dev, proposer=proposer, budget=budget, name=name, resume=resume, retrieve=retrieve,
                   max_demos=max_demos, minibatch=minibatch, seed=seed, proposal=proposal, progress=not as_json)
    if as_json:
        import json
        from dataclasses import asdict

        click.echo(json.dumps(asdict(art), indent=1, ensure_ascii=False))
        return
    seed_txt = f"{art.seed_dev_score:.1%}" if art.seed_dev_score is not None else "?"
    p = art.provenance
    click.secho(f"optimized:{art.name}: dev {art.dev_score:.1%} (starting prompt {seed_txt}) on {len(dev)} items, "
                f"{p.get('metric_calls')} metric calls, {p.get('candidates')} candidates, {p.get('wall_s', 0):.0f} s",
                bold=True)
    click.echo(f"demos: {len(art.demos)}" + (f" + {art.retrieve} retrieved" if art.retrieve else ""))
    click.echo(f"instructions:\n{art.instructions}")
    click.echo(f"next: ladder eval --task {task_name} --model {model.name} --rung optimized:{art.name}")


COMMANDS = (optimize_cmd,)
