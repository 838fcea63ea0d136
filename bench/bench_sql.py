"""NL-to-SQL execution accuracy on the demo ledger, every strategy in one run.

    python bench/bench_sql.py                     # smollm2, 1 thread, all 16 demo questions, 24 test items
    python bench/bench_sql.py --model gemma3-270m --limit 64 --threads 2

Part 1 — `ladder sql` loop on examples/ledger/questions.jsonl (16 questions written by us):
  execution accuracy of the first attempt (no self-check) and after up to --retries
  retries with the error / empty result fed back (self-check), retries per question.
Part 2 — the `ledger-sql` task (examples/ledger-sql, test split, seeded subset) through
  the prompt rungs, scored by execution accuracy (metric type: execution); the
  `+self-check-2` rung feeds execution problems back (the task's validators.py).
Ratios are against zero-shot in the same run. Accuracy only; latencies on a shared
machine are reported for orientation, not compared across runs.
"""

from __future__ import annotations

import argparse
import json
import time

from ladder.evals import evaluate
from ladder.models import get_model
from ladder.rungs import build_rung
from ladder.apps.expenses import ledger_examples, seed_path
from ladder.sql import evaluate as sql_evaluate, load_questions, summarize
from ladder.tasks import bundled_tasks_dir, load_task


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads (1 is fastest on a shared machine)")
    ap.add_argument("--limit", type=int, default=24, help="ledger-sql test items (seeded subset)")
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--rungs", default="zero-shot,few-shot-4,retrieved-few-shot-4,retrieved-few-shot-4+self-check-2")
    ap.add_argument("--skip-questions", action="store_true")
    ap.add_argument("--shots", default="0", help="comma-separated: demo questions with N retrieved ledger-sql pairs")
    args = ap.parse_args()
    model = get_model(args.model, n_threads=args.threads)
    results = {}
    for shots in ([] if args.skip_questions else [int(n) for n in args.shots.split(",")]):
        t = time.time()
        questions = load_questions(bundled_tasks_dir() / "ledger" / "questions.jsonl")
        examples = (lambda q, d, k=shots: ledger_examples(q, d, k)) if shots else ()
        items = sql_evaluate(seed_path(), questions, model, retries=args.retries, examples=examples)
        s = summarize(items)
        results[f"questions_shots_{shots}"] = {**s, "seconds": round(time.time() - t)}
        for i in items:
            print(json.dumps({"q": i.question, "first": i.correct_first, "final": i.correct_final,
                              "retries": i.retries, "sql": i.final_sql}, ensure_ascii=False), flush=True)
        print(f"demo questions ({s['questions']}, {shots} retrieved examples): execution accuracy "
              f"{s['accuracy_without_retry']:.1%} without self-check, {s['accuracy_with_retry']:.1%} with up to "
              f"{args.retries} retries; {s['retries_per_question']:.2f} retries/question", flush=True)
    task = load_task("ledger-sql")
    import random

    examples = list(task.split("test"))
    random.Random(0).shuffle(examples)
    examples = examples[: args.limit]
    rows = []
    for spec in [r for r in args.rungs.split(",") if r]:
        r = evaluate(task, build_rung(spec), model, examples, progress=False).summary
        rows.append(r)
        print(f"{spec:40s} exec acc {r['quality']:.1%}  CI {r['quality_ci'][0]:.0%}-{r['quality_ci'][1]:.0%}  "
              f"valid {r['valid_rate']:.0%}  retries {r['retries']:.2f}  p50 {r['p50_ms'] / 1000:.1f}s", flush=True)
    if not rows:
        print(json.dumps(results, ensure_ascii=False))
        return
    base = rows[0]["quality"] or 0
    print(f"\nledger-sql test, {len(examples)} items, model {args.model}, threads {args.threads}")
    for r in rows:
        ratio = f"{r['quality'] / base:.2f}x" if base else "n/a (zero-shot scored 0)"
        print(f"  {r['rung']:40s} {r['quality']:.1%}  vs zero-shot: {ratio}")
    results["ledger_sql"] = [{k: r[k] for k in ("rung", "n", "quality", "quality_ci", "valid_rate", "retries")}
                             for r in rows]
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
