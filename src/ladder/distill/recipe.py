"""``ladder distill`` end to end, top to bottom:

    label     the teacher (a model + a rung pipeline) labels the train inputs
              (or a JSONL of unlabelled inputs), ``jobs`` at once; gold labels are not read
    dataset   chat SFT rows: short instruction + raw input -> teacher's answer
    train     LoRA on the student base (resumable)
    export    GGUF LoRA + Modelfile, registered as "<task>-student"
    evaluate  teacher pipeline (``jobs`` items at once) vs student on the test split
              -> savings report

With ``source="gold"`` the label step is skipped and the student learns the task's
own labels (plain fine-tuning), registered as "<task>-student-gold".
Every step writes into ``out`` and is skipped or resumed on a rerun with ``resume``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..tasks import Example, Task
from .sft import Source, build_sft, read_jsonl, student_instruction, write_jsonl
from .train import TrainConfig, TrainResult, train


@dataclass
class DistillResult:
    """What ``distill`` made: the registered student, its training, exports, labels and report."""

    out: Path
    student: str  # registered model name
    train: TrainResult
    exported: dict
    labels: dict | None = None  # LabelStats as a dict
    teacher_summary: dict | None = None
    student_summary: dict | None = None
    extra_summaries: list[dict] = field(default_factory=list)
    report: dict | None = None


def distill(task: Task, *, teacher: str = "smollm2", rung: str = "retrieved-few-shot-4+self-check-2",
            source: Source = "teacher", inputs: str | Path | None = None, out: str | Path | None = None,
            config: TrainConfig | None = None, limit: int | None = None, test_limit: int | None = 60,
            consistency_n: int = 10, name: str | None = None, resume: bool = False, agree: int = 1,
            jobs: int = 1, evaluate_after: bool = True, progress: bool = True) -> DistillResult:
    """Distill a teacher pipeline into a small student: label, build SFT data, train, export, compare.

    Each step writes into ``out``; with ``resume`` a rerun skips or resumes finished steps.
    ``source="gold"`` skips labelling and fine-tunes on the task's own labels.
    """
    from ..log import data_dir
    from ..models import get_model
    from .export import export_student

    config = config or TrainConfig()
    suffix = "student-gold" if source == "gold" else "student"
    name = name or f"{task.name}-{suffix}"
    out = Path(out or data_dir() / "students" / name)
    out.mkdir(parents=True, exist_ok=True)

    # label
    stats = None
    labels_path = out / "labels.jsonl"
    if source in ("teacher", "mix"):
        from .teacher import label

        if inputs:
            pool = [ex.input for ex in task.load(inputs, labelled=False)]
        else:
            pool = [ex.input for ex in task.train]  # inputs only: .expected is never read
        pool = pool[:limit] if limit else pool
        stats = label(task, pool, get_model(teacher), rung, labels_path, agree=agree,
                      jobs=jobs, progress=progress).__dict__
        stats["path"] = str(stats["path"])

    # dataset
    gold = task.train[:limit] if limit else task.train
    rows = build_sft(task, source=source, labels=labels_path if source != "gold" else None, gold=gold)
    if source == "teacher":  # hold out 10% of the teacher's labels: gold dev labels stay unused
        random.Random(config.seed).shuffle(rows)
        n_dev = max(1, len(rows) // 10) if len(rows) >= 10 else 0
        dev_rows, rows = rows[:n_dev], rows[n_dev:]
    else:
        dev_rows = build_sft(task, source="gold", gold=task.split("dev"))
    write_jsonl(rows, out / "sft.jsonl")
    write_jsonl(dev_rows, out / "sft_dev.jsonl")

    # train
    result = train(read_jsonl(out / "sft.jsonl"), dev_rows, out / "student", config,
                   resume=resume or (out / "student" / "checkpoint" / "last.pt").exists(), progress=progress)

    # export
    # Served as merged q8_0 GGUF when llama.cpp's converter is at hand (`make` installs it):
    # on CPU a runtime LoRA over the Q4_1 base decoded ~30x slower per token here.
    from .export import has_converter

    exported = export_student(result, name, student_instruction(task),
                              merged_gguf="q8_0" if has_converter() and result.method == "lora" else None)
    done = DistillResult(out, name, result, exported, stats)

    # evaluate
    if evaluate_after:
        compare(task, done, teacher=teacher, rung=rung, test_limit=test_limit, consistency_n=consistency_n,
                progress=progress, jobs=jobs)
    return done


def compare(task: Task, done: DistillResult, *, teacher: str, rung: str, test_limit: int | None = 60,
            consistency_n: int = 10, progress: bool = True, jobs: int = 1) -> None:
    """Teacher pipeline vs student (and any other student of the task) on the test split."""
    from ..evals import consistency, evaluate
    from ..models import get_model, registered
    from ..rungs import build_rung
    from .report import print_savings, write_report
    from .student import Student

    test = task.split("test")
    test = test[:test_limit] if test_limit else test
    teacher_model = get_model(teacher)
    summaries = []
    for r, model in ((build_rung(rung), teacher_model), (Student(model=get_model(done.student)), None)):
        if model is None:
            r.name = "student" if done.student.endswith("-student") else done.student
        # a remote teacher answers jobs items at once; the student is local (llama.cpp runs one at a time)
        res = evaluate(task, r, model or teacher_model, test, data="test", progress=progress,
                       jobs=jobs if model is not None else 1)
        c = consistency(task, r, model or teacher_model, test[:consistency_n]) if consistency_n else {}
        res.summary["consistency"] = c or None
        summaries.append(res.summary)
    extra = []
    other = f"{task.name}-student-gold" if not done.student.endswith("-gold") else f"{task.name}-student"
    if other in registered() and other != done.student:
        r = Student(model=get_model(other))
        r.name = other.removeprefix(f"{task.name}-")
        res = evaluate(task, r, teacher_model, test, data="test", progress=progress)
        c = consistency(task, r, teacher_model, test[:consistency_n]) if consistency_n else {}
        res.summary["consistency"] = c or None
        extra.append(res.summary)
    done.teacher_summary, done.student_summary, done.extra_summaries = summaries[0], summaries[1], extra
    notes = [f"test items: {len(test)}; consistency: same input twice at temperature 0.7, first "
             f"{consistency_n} items", f"student training: {done.train.steps} steps, "
             f"{done.train.seconds_per_step:.1f} s/step, peak RSS {done.train.peak_rss_mb:.0f} MB"]
    if done.labels:
        notes.append(f"teacher labels kept: {done.labels['kept']} of {done.labels['labelled']}")
    done.report = {k: str(v) for k, v in write_report(done.out, summaries[0], summaries[1], extra, notes).items()}
    if progress:
        print_savings(summaries[0], summaries[1], extra)
    (done.out / "distill.json").write_text(json.dumps(
        {"student": done.student, "exported": done.exported, "labels": done.labels, "report": done.report,
         "train": json.loads((Path(done.train.out) / "train.json").read_text())}, indent=1, ensure_ascii=False))


def gold_examples(task: Task, limit: int | None) -> list[Example]:
    ex = task.train
    if not ex:
        raise ConfigError(f"Task {task.name!r} has no train split for gold fine-tuning.")
    return ex[:limit] if limit else ex
