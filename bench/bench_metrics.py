"""Metrics on three small tasks of the kind a new user writes, with the bundled model:

- sentiment: a plain string-enum classifier (the ``fields`` metric, whole value);
- answers: short free-text answers against references (``text``, token F1);
- examples/judge: short answers scored by an LLM judge, with its agreement with people.

    LADDER_THREADS=1 python bench/bench_metrics.py [--model smollm2]

Prints one row per task: n, quality with its 95% CI, valid rate, wall time; and the
judge's agreement. Runs go to a throwaway runs.db.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from ladder.evals import RunStore, evaluate
from ladder.models import get_model
from ladder.rungs import build_rung
from ladder.tasks import bundled_tasks_dir, load_task

SENTIMENT = """name: sentiment
instructions: Classify the sentiment of the review.
inputs: {text: a short movie review}
output_schema: {type: string, enum: [positive, negative, neutral]}
data: {test: test.jsonl}
"""
REVIEWS = [("最高の映画でした", "positive"), ("What a waste of two hours.", "negative"),
           ("It was fine, nothing special.", "neutral"), ("I loved every minute of it!", "positive"),
           ("這部電影太無聊了", "negative"), ("The plot was okay.", "neutral"),
           ("A masterpiece, truly moving.", "positive"), ("I want my money back.", "negative")]
ANSWERS = """name: answers
instructions: Answer the question in a few words.
inputs: [question]
output_schema: {type: string, maxLength: 80}
metric: {type: text, measure: token-f1}
data: {test: test.jsonl}
"""
QUESTIONS = [("What is the capital of Japan?", ["Tokyo"]), ("What color is the sky on a clear day?", ["blue"]),
             ("How many legs does a spider have?", ["eight", "8"]), ("日本の首都はどこですか？", ["東京"]),
             ("中国的首都是哪里？", ["北京"]), ("Who wrote Hamlet?", ["William Shakespeare", "Shakespeare"])]


def write_task(root: Path, yaml: str, field: str, rows) -> Path:
    root.mkdir(parents=True)
    (root / "task.yaml").write_text(yaml, encoding="utf-8")
    lines = [json.dumps({"input": {field: x}, "expected": y}, ensure_ascii=False) for x, y in rows]
    (root / "test.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2")
    args = ap.parse_args()
    model = get_model(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tasks = [write_task(tmp / "sentiment", SENTIMENT, "text", REVIEWS),
                 write_task(tmp / "answers", ANSWERS, "question", QUESTIONS), bundled_tasks_dir() / "judge"]
        store = RunStore(tmp / "runs.db")
        print("| task (metric) | n | quality (95% CI) | valid % | wall s |\n|---|---|---|---|---|")
        for path in tasks:
            task = load_task(path)
            started = time.perf_counter()
            s = evaluate(task, build_rung("zero-shot"), model, task.split("test"), progress=False, store=store).summary
            lo, hi = s["quality_ci"]
            print(f"| {task.name} ({s['metric']}) | {s['n']} | {s['quality']:.1%} ({lo:.1%}–{hi:.1%}) | "
                  f"{s['valid_rate']:.0%} | {time.perf_counter() - started:.0f} |")
            if "judge" in s:
                print(f"judge {s['judge']['model']}: agreement with people {json.dumps(s['judge'].get('agreement'))}")


if __name__ == "__main__":
    main()
