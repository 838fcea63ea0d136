"""Prompt optimization (issue 17): `ladder optimize` on dev, then the optimized rung against
the best hand-written prompting rung for the same model on the same test items, one climb.

    LADDER_HOME=/root/opt-home LADDER_THREADS=1 nice -n 10 .venv/bin/python bench/bench_optimize.py
    .venv/bin/python bench/bench_optimize.py --task ledger-sql --peer retrieved-few-shot-4 --budget 120

Both steps resume (`--resume`): rerun the same command after a kill and nothing already
scored runs again. Prints the dev scores, the test quality of both rungs, the gain in
points, and the cost of the search (metric calls, proposer calls, wall time).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def ladder(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "ladder.cli", *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"ladder {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", default="expenses")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--proposer", default="qwen2.5-coder-1.5b")
    ap.add_argument("--peer", default="retrieved-few-shot-4",
                    help="the best hand-written prompting rung for --model (bench/RESULTS.md's grid)")
    ap.add_argument("--budget", type=int, default=160)
    ap.add_argument("--dev-limit", type=int, default=20)
    ap.add_argument("--retrieve", type=int, default=4)
    ap.add_argument("--test-limit", type=int, default=60)
    ap.add_argument("--name", default=None)
    a = ap.parse_args()
    name = a.name or f"{a.task}-{a.model}"

    t0 = time.time()
    art = json.loads(ladder("optimize", "--task", a.task, "--model", a.model, "--proposer", a.proposer,
                            "--budget", str(a.budget), "--limit", str(a.dev_limit), "--retrieve", str(a.retrieve),
                            "--name", name, "--resume", "--json"))
    t1 = time.time()
    out = json.loads(ladder("climb", "--task", a.task, "--model", a.model, "--rungs",
                            f"{a.peer},optimized:{name}", "--limit", str(a.test_limit), "--resume", "--json",
                            "--out", "ladder-report-optimize"))
    rows = {r["rung"]: r for r in out["rows"]}
    peer, opt = rows[a.peer], rows[f"optimized:{name}"]
    p = art["provenance"]
    print(f"dev ({p['dev_items']} items): starting prompt {art['seed_dev_score']:.3f} -> optimized "
          f"{art['dev_score']:.3f}; {p['metric_calls']} metric calls, {p['candidates']} candidates, search wall "
          f"{p['wall_s']:.0f} s (this invocation {t1 - t0:.0f} s)")
    for label, r in ((a.peer, peer), (f"optimized:{name}", opt)):
        lo, hi = r["quality_ci"]
        print(f"test ({r['n']} items) {label}: {r['quality']:.3f} (95% CI {lo:.2f}-{hi:.2f}), "
              f"p50 {r['p50_ms']:.0f} ms, {r['prompt_tokens']:.0f} prompt tokens, fields {r.get('field_acc')}")
    print(f"gain on test: {100 * (opt['quality'] - peer['quality']):+.1f} points")


if __name__ == "__main__":
    main()
