"""`ladder distill` and `ladder train`: thin click commands over ladder.distill."""

from __future__ import annotations

import json
from pathlib import Path

import click

PRESETS = {  # name -> TrainConfig overrides
    # make demo: one pass over 512 examples (64 steps of 8, ~4.5 s/step on 2 idle cores)
    "quick": {"epochs": 1, "max_steps": 64, "save_every": 16, "lr": 1e-3},
    "default": {},
}


def _config(base, method, epochs, batch_size, r, lr, max_steps, preset, seed, device=None):
    from ..distill import TrainConfig

    if device:  # also the llama.cpp models this command loads (teacher, student eval): LADDER_DEVICE
        import os

        os.environ["LADDER_DEVICE"] = device
    opts = dict(PRESETS[preset])
    given = dict(base=base, method=method, epochs=epochs, batch_size=batch_size, r=r, lr=lr, max_steps=max_steps,
                 seed=seed, device=device)
    opts.update({k: v for k, v in given.items() if v is not None})
    return TrainConfig(**opts)


_train_options = [
    click.option("--student", "base", default=None,
                 help="Student base: gemma3-270m (default; `ladder distill` takes the task file's `student:` first), "
                      "smollm2, qwen2.5-coder-0.5b, a .gguf or an HF dir."),
    click.option("--method", type=click.Choice(["lora", "dora", "ia3", "full"]), default=None,
                 help="PEFT method (default lora; dora/ia3 export merged weights, not a GGUF LoRA)."),
    click.option("--epochs", type=int, default=None, help="Epochs (default 3)."),
    click.option("--batch-size", type=int, default=None, help="Batch size (default 8)."),
    click.option("-r", "--rank", "r", type=int, default=None, help="LoRA rank (default 16)."),
    click.option("--lr", type=float, default=None, help="Learning rate (default by method)."),
    click.option("--max-steps", type=int, default=None, help="Stop after this many steps."),
    click.option("--preset", type=click.Choice(sorted(PRESETS)), default="default", show_default=True,
                 help="quick: 64 steps at a higher learning rate (the demo)."),
    click.option("--seed", type=int, default=None, help="Random seed (default 0)."),
    click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
                 help="Train (and offload llama.cpp) on: auto = CUDA when torch sees one (default; "
                      "$LADDER_DEVICE), cpu, or cuda."),
    click.option("--resume", is_flag=True, help="Continue an interrupted run in the same --out."),
]


def train_options(f):
    for opt in reversed(_train_options):
        f = opt(f)
    return f


@click.command()
@click.option("--task", "task_name", required=True, help="Task name or task.yaml path.")
@click.option("--teacher", default="qwen2.5-coder-1.5b", show_default=True,
              help="Teacher model: a local name, or openai:<model> for any OpenAI-compatible endpoint.")
@click.option("--rung", default=None,
              help="Teacher pipeline (a rung spec). Default: the best prompting rung the task's last climb "
                   "measured on the teacher, else retrieved-few-shot-4+self-check-2.")
@click.option("--source", type=click.Choice(["teacher", "gold", "mix"]), default="teacher", show_default=True,
              help="Train on the teacher's labels, the task's gold labels (plain fine-tuning), or both.")
@click.option("--inputs", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Unlabelled JSONL ({\"input\": {...}} per line) for the teacher (default: train inputs).")
@click.option("--limit", type=int, default=None, help="Use only the first N train inputs.")
@click.option("--test-limit", type=int, default=60, show_default=True, help="Test items in the savings report.")
@click.option("--consistency-n", type=int, default=10, show_default=True,
              help="Test items run twice at temperature 0.7 for the consistency measure (0: skip).")
@click.option("--agree", type=int, default=1, show_default=True,
              help="Sample the teacher N times; keep a label only if the samples agree by the task's metric "
                   "(SQL: the same rows).")
@click.option("--min-agreement", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
              help="With --agree: the share of the N samples that must agree with the first.")
@click.option("--synthetic", type=click.IntRange(min=0), default=0, show_default=True,
              help="The teacher also writes N new inputs (deduplicated, none near a dev/test input) and labels them.")
@click.option("--seeds", type=click.IntRange(min=1), default=8, show_default=True,
              help="With --synthetic: seed inputs from the pool shown per request (another sample each time).")
@click.option("--jobs", "-j", "--concurrency", "jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Teacher inputs labelled at once (remote teachers); the labels equal a sequential run's.")
@click.option("--recheck", is_flag=True,
              help="Run the current validators over the labels already in --out and label again the ones they "
                   "reject (after improving validators.py).")
@click.option("--name", default=None, help="Register the student under this name (default <task>-student[-gold]).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Output dir (default <data dir>/students/<name>).")
@click.option("--no-eval", is_flag=True, help="Skip the savings report.")
@train_options
def distill(task_name, teacher, rung, source, inputs, limit, test_limit, consistency_n, agree, min_agreement, synthetic,
            seeds, jobs, recheck, name, out, no_eval,
            base, method, epochs, batch_size, r, lr, max_steps, preset, seed, device, resume):
    """Teacher labels -> LoRA student -> GGUF export -> savings report, in one command.

    \b
    Examples:
      ladder distill --task expenses --limit 200                       # qwen2.5-coder-1.5b + its best rung as teacher
      ladder distill --task expenses --source gold                     # plain fine-tuning on gold labels
      ladder distill --task expenses --teacher openai:gpt-4o-mini --rung zero-shot --jobs 8
      ladder distill --task expenses --student gemma3-270m --preset quick
      ladder distill --task expenses --resume                          # after Ctrl-C / a kill
      ladder distill --task expenses --recheck                         # validators.py improved: relabel what it rejects, retrain
      ladder distill --task ledger-sql --teacher qwen2.5-coder-1.5b --agree 2   # runs, returns rows, 2 agree
      ladder distill --task expenses --teacher qwen2.5-coder-1.5b --synthetic 300 --seeds 8
    """
    from ..tasks import load_task
    from ..distill.recipe import distill as run, label_notes

    task = load_task(task_name)
    config = _config(base or task.student, method, epochs, batch_size, r, lr, max_steps, preset, seed, device)
    done = run(task, teacher=teacher, rung=rung, source=source, inputs=inputs, out=out,
               config=config, limit=limit, test_limit=test_limit, consistency_n=consistency_n, name=name, resume=resume, agree=agree,
               min_agreement=min_agreement, synthetic=synthetic, seeds=seeds, jobs=jobs, evaluate_after=not no_eval,
               recheck=recheck)
    for line in label_notes(done.labels):  # kept/rejected, why, accuracy vs gold, synthetic inputs
        click.echo(line)
    click.echo(f"Student registered as {done.student!r} (try: ladder prompt --model {done.student} ...)")
    for k, v in done.exported.items():
        click.echo(f"  {k}: {v}")
    if done.report:
        click.echo(f"Savings report: {done.report['html']}")


@click.command("train")
@click.option("--task", "task_name", default=None, help="Fine-tune on this task's gold labels (plain fine-tuning).")
@click.option("--data", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Chat SFT JSONL ({\"messages\": [...]} per line) to train on.")
@click.option("--corpus", type=click.Path(file_okay=False, exists=True), default=None,
              help="Continued pretraining on the .txt/.md files of this directory.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output directory.")
@click.option("--name", default=None, help="Register the result under this name.")
@train_options
def train_cmd(task_name, data, corpus, out, name, base, method, epochs, batch_size, r, lr, max_steps, preset, seed,
              device, resume):
    """Fine-tune a student (LoRA by default) on a task, an SFT file, or raw text.

    \b
    Examples:
      ladder train --task expenses --out runs/gold --name expenses-student-gold
      ladder train --data sft.jsonl --out runs/s1 --method dora
      ladder train --corpus docs/ --out runs/cpt --epochs 1      # prints held-out perplexity before/after
      ladder train --task expenses --out runs/gold --resume      # after a kill
    """
    from ..errors import ConfigError
    from ..distill.sft import build_sft, read_jsonl, student_instruction
    from ..distill import perplexity, train

    if sum(x is not None for x in (task_name, data, corpus)) != 1:
        raise ConfigError("Give exactly one of --task, --data or --corpus.")
    config = _config(base, method, epochs, batch_size, r, lr, max_steps, preset, seed, device)
    system = "Reply with the JSON answer."
    if corpus:
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(corpus).rglob("*"))
                 if p.suffix in {".txt", ".md"}]
        if len(texts) < 2:
            raise ConfigError(f"{corpus} needs at least two .txt/.md files (one is held out for perplexity).")
        held = max(1, len(texts) // 10)
        before = perplexity(config.base, texts[:held], max_length=config.max_length)
        result = train([{"text": t} for t in texts[held:]], [], out, config, resume=resume, corpus=True)
        after = perplexity(config.base, texts[:held], adapter=result.adapter, max_length=config.max_length)
        click.echo(json.dumps({"perplexity_before": round(before, 3), "perplexity_after": round(after, 3),
                               "adapter": str(result.adapter)}))
        return
    if task_name:
        from ..tasks import load_task

        task = load_task(task_name)
        rows = build_sft(task, source="gold")
        dev = build_sft(task, source="gold", gold=task.split("dev")) if task.spec.data.dev else []
        system = student_instruction(task)
    else:
        rows, dev = read_jsonl(data), []
    result = train(rows, dev, out, config, resume=resume)
    click.echo(json.dumps({k: v for k, v in result.__dict__.items() if k in
                           ("steps", "train_loss", "dev_loss", "seconds", "seconds_per_step", "peak_rss_mb")}))
    if name:
        from ..distill.export import export_student

        paths = export_student(result, name, system)
        click.echo(f"Registered {name!r}: {paths}")


COMMANDS = (distill, train_cmd)
