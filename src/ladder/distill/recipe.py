"""``ladder distill`` end to end, top to bottom:

    synth     optionally, the teacher writes ``synthetic`` new inputs from seed inputs
              (synth.py: deduplicated, none overlapping dev/test, diversity measured)
    label     the teacher (a model + a rung pipeline) labels the train inputs (or a JSONL
              of unlabelled inputs) and the synthetic ones, ``jobs`` at once, filtered
              (teacher.py); gold labels are read only to report the kept labels' accuracy
    dataset   chat SFT rows: short instruction + raw input -> teacher's answer
    train     LoRA on the student base (resumable)
    export    GGUF LoRA + Modelfile, registered as "<task>-student"
    evaluate  teacher pipeline (``jobs`` items at once) vs student on the test split
              -> savings report

With ``source="gold"`` the label step is skipped and the student learns the task's
own labels (plain fine-tuning), registered as "<task>-student-gold".
Every step writes into ``out`` and is skipped or resumed on a rerun: labels already in
the file are not asked again, a training checkpoint of the same rows continues.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..models.base import Model
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
    labels: dict | None = None  # LabelStats as a dict, with "accuracy" (label_accuracy) and "synthetic"
    teacher_summary: dict | None = None
    student_summary: dict | None = None
    extra_summaries: list[dict] = field(default_factory=list)
    report: dict | None = None


DEFAULT_TEACHER = "qwen2.5-coder-1.5b"  # the strongest bundled model (bench/RESULTS.md, the model x rung grid)
DEFAULT_TEACHER_RUNG = "retrieved-few-shot-4+self-check-2"


def teacher_rung(task: Task, teacher: str, rung: str | None, labels: Path) -> tuple[str, str]:
    """(rung spec, why): the rung asked for; else the one an earlier (killed) labelling of
    this student used, so a resumed labels file never mixes pipelines; else the best
    prompting rung the task's last climb measured on the teacher model; else the default."""
    from ..climb import best_rung
    from .teacher import read_labels

    if rung:
        return rung, "given"
    done = [r["teacher"]["rung"] for r in read_labels(labels) if r.get("teacher", {}).get("model") == teacher]
    if done:
        return done[-1], f"the rung of the {len(done)} labels already in {labels.name}"
    best = best_rung(task.name, teacher)
    if best:
        return best["rung"], f"the best rung on {teacher} in the last climb ({best['quality']:.1%})"
    return DEFAULT_TEACHER_RUNG, f"the default (no climb of {task.name} on {teacher} yet)"


def distill(task: Task, *, teacher: str = DEFAULT_TEACHER, rung: str | None = None,
            source: Source = "teacher", inputs: str | Path | None = None, out: str | Path | None = None,
            config: TrainConfig | None = None, limit: int | None = None, test_limit: int | None = 60,
            consistency_n: int = 10, name: str | None = None, resume: bool = False, agree: int = 1,
            min_agreement: float = 1.0, synthetic: int = 0, seeds: int = 8, jobs: int = 1,
            evaluate_after: bool = True, progress: bool = True, recheck: bool = False) -> DistillResult:
    """Distill a teacher pipeline into a small student: label, build SFT data, train, export, compare.

    Each step writes into ``out``; a rerun skips or resumes finished steps (``resume``, the
    CLI's --resume, says so; it is what a rerun does anyway).
    ``source="gold"`` skips labelling and fine-tunes on the task's own labels.
    ``rung=None`` picks the teacher pipeline by ``teacher_rung``.
    ``synthetic=N`` adds N teacher-written inputs (``seeds`` seed inputs shown per request)
    to the inputs the teacher labels; ``agree``/``min_agreement`` are the agreement filter;
    ``recheck`` labels again the labels already there that the current validators reject.
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
    if synthetic and source == "gold":
        raise ConfigError("synthetic inputs need a teacher to label them: use --source teacher or mix.")
    if source in ("teacher", "mix"):
        rung, why = teacher_rung(task, teacher, rung, labels_path)
        if progress:
            print(f"teacher: {teacher} with {rung} ({why})")
        stats = teacher_labels(task, get_model(teacher), rung, out, inputs=inputs, limit=limit, agree=agree,
                               min_agreement=min_agreement, synthetic=synthetic, seeds=seeds, seed=config.seed,
                               jobs=jobs, progress=progress, recheck=recheck)

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
    rows = read_jsonl(out / "sft.jsonl")
    result = train(rows, dev_rows, out / "student", config, resume=resume_training(out / "student", rows, dev_rows),
                   progress=progress)

    # export
    # Served as merged q8_0 GGUF when llama.cpp's converter is at hand (`make` installs it):
    # on CPU a runtime LoRA over the Q4_1 base decoded ~30x slower per token here.
    from .export import has_converter

    exported = export_student(result, name, student_instruction(task),
                              merged_gguf="q8_0" if has_converter() and result.method == "lora" else None)
    done = DistillResult(out, name, result, exported, stats)

    # evaluate
    if evaluate_after:
        rung = rung or teacher_rung(task, teacher, None, labels_path)[0]
        compare(task, done, teacher=teacher, rung=rung, test_limit=test_limit, consistency_n=consistency_n,
                progress=progress, jobs=jobs)
    else:
        write_summary(done)
    return done


def resume_training(student_dir: Path, rows: list[dict], dev_rows: list[dict]) -> bool:
    """Continue the training run in ``student_dir``? Yes when its checkpoint was trained on
    these rows (a killed run); when the rows changed (more labels, ``recheck``) the old
    checkpoint is dropped and training starts over: resuming it would keep a student of
    other data. The rows' digest is stamped in ``data.sha256``; a run without one resumes."""
    digest = hashlib.sha256(json.dumps([rows, dev_rows], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    stamp, ckpt = student_dir / "data.sha256", student_dir / "checkpoint" / "last.pt"
    if ckpt.exists() and stamp.is_file() and stamp.read_text().strip() != digest:
        print(f"training data changed since {ckpt}: training the student again from the start")
        ckpt.unlink()
    student_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return ckpt.exists()


def teacher_labels(task: Task, model: Model, rung: str, out: Path, *, inputs: str | Path | None = None,
                   limit: int | None = None, agree: int = 1, min_agreement: float = 1.0, synthetic: int = 0,
                   seeds: int = 8, seed: int = 0, jobs: int = 1, progress: bool = True,
                   recheck: bool = False) -> dict:
    """The label step: the pool (train inputs or ``inputs``, plus ``synthetic`` teacher-written
    ones in out/synthetic.jsonl) labelled into out/labels.jsonl; LabelStats as a dict with
    "accuracy" (the kept labels vs gold, where the pool has gold) and "synthetic" (SynthStats)."""
    from .teacher import input_key, label, label_accuracy, read_labels

    examples = task.load(inputs, labelled=False) if inputs else task.train
    examples = examples[:limit] if limit else examples
    pool = [ex.input for ex in examples]  # inputs only: .expected is read for the report alone
    synth = made = None
    if synthetic:
        from .synth import as_dict, synthesize

        made = synthesize(task, model, pool, synthetic, out / "synthetic.jsonl", avoid=_held_out_inputs(task),
                          k=seeds, seed=seed, progress=progress)
        made.inputs = made.inputs[:synthetic]  # a file from a bigger earlier run keeps its extra inputs
        pool += made.inputs
        synth = as_dict(made)
    labels_path = out / "labels.jsonl"
    stats = label(task, pool, model, rung, labels_path, agree=agree, min_agreement=min_agreement,
                  jobs=jobs, progress=progress, recheck=recheck).__dict__
    stats["path"] = str(stats["path"])
    records = read_labels(labels_path)
    # gold meets the teacher's labels here only, after filtering, for the report
    stats["accuracy"] = label_accuracy(task, records, [ex for ex in examples if ex.expected is not None])
    if made is not None:
        mine = {input_key(x) for x in made.inputs}
        synth["labelled_kept"] = sum(bool(r.get("kept")) for r in records if input_key(r["input"]) in mine)
    stats["synthetic"] = synth
    return stats


def compare(task: Task, done: DistillResult, *, teacher: str, rung: str, test_limit: int | None = 60,
            consistency_n: int = 10, progress: bool = True, jobs: int = 1) -> None:
    """Teacher pipeline vs student (and any other student of the task) on the test split."""
    from ..evals import consistency
    from ..models import get_model, registered
    from ..rungs import build_rung
    from .report import print_savings, write_report
    from .student import Student

    test = task.split("test")
    test = test[:test_limit] if test_limit else test
    teacher_model = get_model(teacher)
    summaries = []
    # the labels were the teacher's answers with the task's fixes set (teacher.label), and the
    # student rung sets them too: the teacher is measured the same way
    teacher_rung = rung if rung.replace(" ", "").endswith("+repair") else f"{rung}+repair"
    for r, model in ((build_rung(teacher_rung), teacher_model), (Student(model=get_model(done.student)), None)):
        if model is None:
            r.name = "student" if done.student.endswith("-student") else done.student
        # a remote teacher answers jobs items at once; the student is local (llama.cpp runs one at a time)
        res = _timed(task, r, model or teacher_model, test, data="test", progress=progress,
                     jobs=jobs if model is not None else 1)
        c = consistency(task, r, model or teacher_model, test[:consistency_n]) if consistency_n else {}
        res.summary["consistency"] = c or None
        summaries.append(res.summary)
    extra = []
    other = f"{task.name}-student-gold" if not done.student.endswith("-gold") else f"{task.name}-student"
    if other in registered() and other != done.student:
        r = Student(model=get_model(other))
        r.name = other.removeprefix(f"{task.name}-")
        res = _timed(task, r, teacher_model, test, data="test", progress=progress)
        c = consistency(task, r, teacher_model, test[:consistency_n]) if consistency_n else {}
        res.summary["consistency"] = c or None
        extra.append(res.summary)
    done.teacher_summary, done.student_summary, done.extra_summaries = summaries[0], summaries[1], extra
    notes = [f"test items: {len(test)}; consistency: same input twice at temperature 0.7, first "
             f"{consistency_n} items", f"student training: {done.train.steps} steps, "
             f"{done.train.seconds_per_step:.1f} s/step, peak RSS {done.train.peak_rss_mb:.0f} MB"]
    notes += label_notes(done.labels)
    done.report = {k: str(v) for k, v in write_report(done.out, summaries[0], summaries[1], extra, notes).items()}
    if progress:
        print_savings(summaries[0], summaries[1], extra)
    write_summary(done)


def write_summary(done: DistillResult) -> Path:
    """distill.json: the student, its exports, the labelling stats (kept/rejected, reasons,
    accuracy where gold exists, synthetic inputs), the report's paths, the training."""
    path = done.out / "distill.json"
    path.write_text(json.dumps(
        {"student": done.student, "exported": done.exported, "labels": done.labels, "report": done.report,
         "train": json.loads((Path(done.train.out) / "train.json").read_text())}, indent=1, ensure_ascii=False))
    return path


def label_notes(labels: dict | None) -> list[str]:
    """The labelling stats in a few lines (the savings report's notes and the CLI's output)."""
    if not labels:
        return []
    rejected = labels["labelled"] - labels["kept"]
    why = ", ".join(f"{k} {v}" for k, v in (labels.get("reasons") or {}).items())
    out = [f"teacher labels kept: {labels['kept']} of {labels['labelled']}"
           + (f"; rejected {rejected} ({why})" if rejected else "")]
    if labels.get("rechecked"):
        out.append(f"recheck: {labels['rechecked']} labels the current validators reject were labelled again")
    acc = labels.get("accuracy")
    if acc:
        kept = f"{acc['kept_accuracy']:.1%}" if acc["kept_accuracy"] is not None else "n/a"
        out.append(f"teacher labels vs gold on {acc['items']} inputs: kept labels {kept} right "
                   f"({acc['kept']} kept), all raw answers {acc['raw_accuracy']:.1%}; "
                   f"{acc['rejected_right']} right answers rejected")
    syn = labels.get("synthetic")
    if syn:
        d = syn["diversity"]
        fmt = (lambda v: "n/a" if v is None else f"{v:.2f}")
        why = "".join(f", {k} {v}" for k, v in syn["reasons"].items())
        out.append(f"synthetic inputs: {syn['kept']} of {syn['requested']} asked ({syn['requests']} requests{why}); "
                   f"{syn.get('labelled_kept', 0)} kept after labelling; distinct 3-grams "
                   f"{fmt(d['distinct_3grams'])} (seeds {fmt(d['seeds_distinct_3grams'])}); mean nearest-seed "
                   f"similarity {fmt(d['nn_similarity_to_seeds'])}, nearest-synthetic {fmt(d['nn_similarity_within'])}")
    return out


def _held_out_inputs(task: Task) -> list[dict]:
    """The dev and test inputs a synthetic input must not overlap (the splits the task has)."""
    return [ex.input for name in ("dev", "test") if getattr(task.spec.data, name, None)
            for ex in task.split(name)]


def _timed(task, rung, model, items, **kw):
    """``evaluate`` with the measured throughput (items per wall-clock second) in its summary."""
    import time

    from ..evals import evaluate

    start = time.perf_counter()
    res = evaluate(task, rung, model, items, **kw)
    res.summary["items_per_s"] = round(len(items) / max(time.perf_counter() - start, 1e-9), 4)
    return res


def gold_examples(task: Task, limit: int | None) -> list[Example]:
    ex = task.train
    if not ex:
        raise ConfigError(f"Task {task.name!r} has no train split for gold fine-tuning.")
    return ex[:limit] if limit else ex
