"""Another student base on the same teacher labels: its savings report beside the first one.

`ladder distill` measures the teacher on the test split each time it writes a report (20 min
for the 1.5B teacher on 60 ledger-sql items here). To compare a second base trained on the
same labels (``ladder distill ... --student qwen2.5-coder-0.5b --name N --out D --no-eval``
after copying labels.jsonl into D), this reuses the first report's teacher row (same
teacher, rung and items), measures the new student with distill's own functions (timed
evaluation, consistency) and writes D/savings.{md,json,html} with the first student beside it.

When the teacher itself changed (a task's validators improved: its self-check feeds them
back), ``--measure-teacher`` measures the first report's teacher model and rung again on
the same items instead, into D/teacher_summary.json (kept: a rerun reuses it), and the
report puts the first report's teacher row beside it; ``--teacher-only`` stops there
(run it while the student trains).

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
    ap.add_argument("--measure-teacher", action="store_true", help="measure the teacher again (see above)")
    ap.add_argument("--teacher-only", action="store_true", help="with --measure-teacher: stop after the teacher")
    args = ap.parse_args()

    task = load_task(args.task)
    first = json.loads((args.first / "savings.json").read_text())
    teacher, other = first["teacher"], dict(first["student"])
    other["rung"] = f"first student ({json.loads((args.first / 'distill.json').read_text())['student']})"
    test = task.split("test")[:args.test_limit]
    others = [other]
    if args.measure_teacher:
        others.append({**teacher, "rung": f"teacher as first measured ({teacher['rung']})"})
        teacher = measured_teacher(task, teacher, test, args.out / "teacher_summary.json", args.consistency_n)
        if args.teacher_only:
            print(json.dumps({k: teacher[k] for k in ("model", "rung", "n", "quality", "p50_ms")}))
            return
    model = get_model(args.student)
    rung = Student(model=model)
    rung.name = "student"
    summary = measure(task, rung, model, test, args.consistency_n)
    train = json.loads((args.out / "student" / "train.json").read_text())
    how = ("measured again (--measure-teacher), the first report's teacher row beside it" if args.measure_teacher
           else "the first run's measurement of the same teacher on the same items")
    notes = [f"test items: {len(test)}; the teacher row is {how}; "
             f"consistency: same input twice at temperature 0.7, first {args.consistency_n} items",
             f"student {args.student}: {train['steps']} steps, {train['seconds_per_step']:.1f} s/step"]
    notes += label_notes(json.loads((args.first / "distill.json").read_text())["labels"])
    paths = write_report(args.out, teacher, summary, others, notes)
    print_savings(teacher, summary, others)
    print({k: str(v) for k, v in paths.items()})


def measured_teacher(task, first: dict, test: list, path: Path, consistency_n: int) -> dict:
    """The first report's teacher (model, rung) measured on ``test``; cached in ``path``."""
    from ladder.rungs import build_rung

    if path.is_file():
        return json.loads(path.read_text())
    summary = measure(task, build_rung(first["rung"]), get_model(first["model"]), test, consistency_n)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str))
    return summary


def measure(task, rung, model, test: list, consistency_n: int) -> dict:
    """distill's own timed evaluation and consistency (first ``consistency_n`` items), as in its report."""
    summary = _timed(task, rung, model, test, data="test").summary
    summary["consistency"] = consistency(task, rung, model, test[:consistency_n]) if consistency_n else None
    return summary


if __name__ == "__main__":
    main()
