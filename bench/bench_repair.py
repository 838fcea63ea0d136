"""What the task's fixes add: stored runs scored as answered and after ``Task.repair``.

A validator that knows the right value returns it as a fix (expenses: the date a plain
"昨天" means, the currency "円" means); the student rung and ``+repair`` set it. Repair is
deterministic and asks no model, so the same records give both numbers — one run, two
scorings, no second model call. Each run's records are re-scored with the task's metric:
``raw`` is the output as stored by a rung without fixes (a run of the plain ``student`` rung
from before the fixes existed, or ``student-raw``), ``repaired`` the same output after the
fixes. The difference is what the fixes add on those items; a 95 % paired bootstrap CI of
it is printed with it.

    python bench/bench_repair.py --task expenses --db <data dir>/runs.db 61f3b315a022=v3-test 13ff585fa233=v3-hard
"""

import argparse
import json
import random
import sqlite3

from ladder.evals.runner import score_item
from ladder.tasks import load_task


def paired_ci(deltas: list[float], n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(deltas, k=len(deltas))) / len(deltas) for _ in range(n_boot))
    return means[int(0.025 * n_boot)], means[int(0.975 * n_boot) - 1]


def rescore(task, db: sqlite3.Connection, run_id: str) -> dict:
    rows = db.execute("SELECT input, expected, output FROM records WHERE run_id = ? ORDER BY idx", (run_id,)).fetchall()
    if not rows:
        raise SystemExit(f"run {run_id}: no records in this database (`ladder runs` lists the runs)")
    raw, fixed, deltas, changed = [], [], [], 0
    wrong: dict[str, list[int]] = {}  # field -> [wrong as answered, wrong after the fixes]
    for inp, exp, out in rows:
        inp, exp = json.loads(inp), json.loads(exp)
        out = json.loads(out) if out else None
        repaired, done = task.repair(inp, out)
        changed += bool(done)
        a, b = score_item(task, inp, exp, out), score_item(task, inp, exp, repaired)
        raw.append(a["value"])
        fixed.append(b["value"])
        deltas.append(b["value"] - a["value"])
        for i, s in enumerate((a, b)):
            for f, v in s["fields"].items():
                wrong.setdefault(f, [0, 0])[i] += v < 1
    n = len(rows)
    return {"n": n, "raw": sum(raw) / n, "repaired": sum(fixed) / n, "changed": changed,
            "ci": paired_ci(deltas), "wrong": wrong}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", required=True)
    ap.add_argument("--db", required=True, help="a runs database (<data dir>/runs.db)")
    ap.add_argument("runs", nargs="+", help="RUN_ID or RUN_ID=label")
    args = ap.parse_args()
    task = load_task(args.task)
    db = sqlite3.connect(args.db)
    print("| run | items | quality as answered | after the task's fixes | gain (95 % CI) | answers changed | "
          "wrong fields, answered → fixed |")
    print("|---|---|---|---|---|---|---|")
    for spec in args.runs:
        run_id, _, label = spec.partition("=")
        r = rescore(task, db, run_id)
        lo, hi = r["ci"]
        wrong = ", ".join(f"{f} {a}→{b}" for f, (a, b) in r["wrong"].items() if a or b)
        print(f"| {label or run_id} | {r['n']} | {r['raw']:.1%} | {r['repaired']:.1%} | "
              f"{(r['repaired'] - r['raw']) * 100:+.1f} ({lo * 100:+.1f} to {hi * 100:+.1f}) | {r['changed']} | {wrong} |")


if __name__ == "__main__":
    main()
