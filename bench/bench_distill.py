"""Distillation benchmark: teacher pipeline vs its student, in one run.

    1. plain fine-tuning on gold labels (``--limit`` train examples x ``--epochs``):
       training time, seconds/step, peak RSS -> the "500 x 3 epochs <= 16 min" target
    2. distillation: the teacher rung on the bundled model labels ``--label-limit`` train
       *inputs* (gold unused), a student trains on those labels
    3. teacher vs student (and the gold student) on ``--test-limit`` test items:
       quality, prompt tokens, p50 latency -> ratios and the targets

    .venv/bin/python bench/bench_distill.py                       # the full benchmark
    .venv/bin/python bench/bench_distill.py --limit 64 --epochs 2 --label-limit 24 --test-limit 20   # reduced

Prints the savings table and a JSON line; the HTML report lands in --out.

    .venv/bin/python bench/bench_distill.py --teacher-jobs 8     # teacher labelling, jobs 1 vs 8

labels ``--label-limit`` train inputs through a loopback OpenAI-compatible endpoint that
answers the gold label after ``--latency`` seconds (a stand-in for a remote teacher),
sequentially and with ``--teacher-jobs`` at once: wall times, their ratio, and whether
the two label files hold the same records (latencies aside).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--student", default="smollm2")
    ap.add_argument("--limit", type=int, default=500, help="gold train examples")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--label-limit", type=int, default=100, help="train inputs the teacher labels")
    ap.add_argument("--teacher-rung", default="retrieved-few-shot-4+self-check-2")
    ap.add_argument("--test-limit", type=int, default=60)
    ap.add_argument("--consistency-n", type=int, default=10)
    ap.add_argument("--out", default="bench/out/distill")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--teacher-jobs", type=int, default=None, help="only benchmark teacher labelling, jobs 1 vs N")
    ap.add_argument("--latency", type=float, default=0.25, help="seconds the loopback teacher takes per answer")
    args = ap.parse_args(argv)
    if args.teacher_jobs:
        return bench_teacher_jobs(args.teacher_jobs, args.label_limit, args.latency, Path(args.out))

    from ladder.distill import TrainConfig, distill
    from ladder.distill.recipe import compare
    from ladder.tasks import load_task

    task = load_task("expenses")
    out = Path(args.out)
    cores = len(os.sched_getaffinity(0))
    print(f"cores: {cores}; load average: {os.getloadavg()}", flush=True)

    # 1. gold student: the training-speed target
    t0 = time.perf_counter()
    gold = distill(task, source="gold", limit=args.limit, out=out / "gold",
                   config=TrainConfig(base=args.student, epochs=args.epochs, patience=0),
                   evaluate_after=False, resume=args.resume)
    train_min = gold.train.seconds / 60
    print(f"gold fine-tuning: {args.limit} examples x {args.epochs} epochs = {gold.train.steps} steps, "
          f"{train_min:.1f} min, {gold.train.seconds_per_step:.2f} s/step, peak RSS {gold.train.peak_rss_mb:.0f} MB "
          f"(wall incl. load {time.perf_counter() - t0:.0f} s)", flush=True)

    # 2. distilled student from the teacher pipeline's labels
    student = distill(task, source="teacher", teacher="smollm2", rung=args.teacher_rung, limit=args.label_limit,
                      out=out / "teacher", config=TrainConfig(base=args.student, epochs=args.epochs),
                      evaluate_after=False, resume=args.resume)
    print(f"teacher labels: {student.labels}", flush=True)

    # 3. teacher vs students on the test split
    compare(task, student, teacher="smollm2", rung=args.teacher_rung, test_limit=args.test_limit,
            consistency_n=args.consistency_n)
    t, s = student.teacher_summary, student.student_summary
    g = student.extra_summaries[0] if student.extra_summaries else None
    result = {
        "train_examples": args.limit, "epochs": args.epochs, "train_steps": gold.train.steps,
        "train_minutes": round(train_min, 2), "s_per_step": gold.train.seconds_per_step,
        "peak_rss_mb": max(gold.train.peak_rss_mb, student.train.peak_rss_mb), "cores": cores,
        "teacher_quality": t["quality"], "student_quality": s["quality"],
        "gold_student_quality": g["quality"] if g else None,
        "prompt_token_ratio": t["prompt_tokens"] / max(1e-9, s["prompt_tokens"]),
        "p50_ratio": t["p50_ms"] / max(1e-9, s["p50_ms"]),
        "targets": {"quality>=teacher-2pt": (s["quality"] - t["quality"]) * 100 >= -2,
                    "prompt_tokens_ratio>=5": t["prompt_tokens"] / max(1e-9, s["prompt_tokens"]) >= 5,
                    "p50_ratio>=3": t["p50_ms"] / max(1e-9, s["p50_ms"]) >= 3,
                    "500x3_train<=16min": train_min <= 16 if (args.limit, args.epochs) == (500, 3) else None},
        "report": student.report,
    }
    print(json.dumps(result))
    return 0


def bench_teacher_jobs(jobs: int, n: int, latency: float, out: Path) -> int:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from ladder.distill import label, read_labels
    from ladder.models.openai import OpenAIModel
    from ladder.tasks import load_task

    task = load_task("expenses")
    items = task.train[:n]

    class Teacher(BaseHTTPRequestHandler):  # /v1/chat/completions: the gold label, after `latency` s
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            last = body["messages"][-1]["content"]
            answer = next((ex.expected for ex in items if ex.input["text"] in last), {})
            time.sleep(latency)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")  # the backend streams (SSE)
            self.end_headers()
            text = json.dumps(answer, ensure_ascii=False)
            for c in [{"choices": [{"delta": {"content": text}, "finish_reason": "stop"}]},
                      {"choices": [], "usage": {"prompt_tokens": 500, "completion_tokens": 30}}]:
                self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Teacher)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    teacher = OpenAIModel("teacher", base_url=f"http://127.0.0.1:{httpd.server_address[1]}/v1", concurrency=jobs)
    out.mkdir(parents=True, exist_ok=True)
    walls, files = {}, {}
    for j in (1, jobs):
        files[j] = out / f"labels-jobs{j}.jsonl"
        files[j].unlink(missing_ok=True)
        t0 = time.perf_counter()
        label(task, [ex.input for ex in items], teacher, "zero-shot", files[j], jobs=j, progress=False)
        walls[j] = time.perf_counter() - t0
    httpd.shutdown()
    same = [[{k: v for k, v in r.items() if k != "latency_s"} for r in read_labels(files[j])] for j in (1, jobs)]
    result = {"items": len(items), "latency_s": latency, "jobs": jobs, "wall_jobs1_s": round(walls[1], 2),
              f"wall_jobs{jobs}_s": round(walls[jobs], 2), "speedup": round(walls[1] / walls[jobs], 2),
              "same_records": same[0] == same[1], "kept": sum(r["kept"] for r in same[0])}
    print(json.dumps(result))
    return 0 if result["same_records"] else 1


if __name__ == "__main__":
    sys.exit(main())
