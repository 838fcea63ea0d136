"""Another student base on the same teacher labels: its savings report beside the first one.

`ladder distill` measures the teacher on the test split each time it writes a report (20 min
for the 1.5B teacher on 60 ledger-sql items here). To compare a second base trained on the
same labels (``ladder distill ... --student qwen2.5-coder-0.5b --name N --out D --no-eval``
after copying labels.jsonl into D), this reuses the first report's teacher row (same
teacher, rung and items), measures the new student with distill's own functions (timed
evaluation, consistency) and writes D/savings.{md,json,html} with the first student beside it.

    python bench/bench_student_base.py --task ledger-sql --student ledger-sql-student-qwen05 \
        --first <data dir>/students/ledger-sql-student --out <data dir>/students/ledger-sql-student-qwen05
"""

import argparse
import json
from pathlib import Path

from ladder.distill.recipe import _timed, label_notes
from ladder.distill.report import print_savings, write_report
from ladder.distill.student import Student
from ladder.evals import consistency
from ladder.models import get_model
from ladder.tasks import load_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", required=True)
    ap.add_argument("--student", required=True, help="the registered model of the second base")
    ap.add_argument("--first", required=True, type=Path, help="the first run's out dir (savings.json, distill.json)")
    ap.add_argument("--out", required=True, type=Path, help="the second run's out dir")
    ap.add_argument("--test-limit", type=int, default=60)
    ap.add_argument("--consistency-n", type=int, default=10)
    args = ap.parse_args()

    task = load_task(args.task)
    first = json.loads((args.first / "savings.json").read_text())
    teacher, other = first["teacher"], dict(first["student"])
    other["rung"] = f"first student ({json.loads((args.first / 'distill.json').read_text())['student']})"
    model = get_model(args.student)
    rung = Student(model=model)
    rung.name = "student"
    test = task.split("test")[:args.test_limit]
    res = _timed(task, rung, model, test, data="test")
    res.summary["consistency"] = consistency(task, rung, model, test[:args.consistency_n]) or None
    train = json.loads((args.out / "student" / "train.json").read_text())
    notes = [f"test items: {len(test)}; the teacher row is the first run's measurement of the same teacher on "
             f"the same items; consistency: same input twice at temperature 0.7, first {args.consistency_n} items",
             f"student {args.student}: {train['steps']} steps, {train['seconds_per_step']:.1f} s/step"]
    notes += label_notes(json.loads((args.first / "distill.json").read_text())["labels"])
    paths = write_report(args.out, teacher, res.summary, [other], notes)
    print_savings(teacher, res.summary, [other])
    print({k: str(v) for k, v in paths.items()})


if __name__ == "__main__":
    main()
