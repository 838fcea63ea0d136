"""Teacher labelling: a Model or a whole rung pipeline labels inputs for the student.

A teacher is ``(model, rung spec)``: a remote model through the OpenAI-compatible
backend with ``zero-shot``, or the bundled model with an expensive pipeline such
as ``retrieved-few-shot-4+self-check-2+self-consistency-5``. Gold labels are never
read here: the teacher sees only inputs.

Each input gives one JSONL record (kept or not), so the file is the provenance:

    {"input": {...}, "expected": {...} | null, "kept": true,
     "answer": {...} | null,            # the teacher's first answer, before any filter
     "rejected_by": null | "no valid output" | "schema" | "validator: <kind>" | "agreement",
     "teacher": {"model": "smollm2", "rung": "retrieved-few-shot-4+self-check-2"},
     "prompt": "<exact final prompt text or messages>", "score": 1.0,
     "problems": [], "prompt_tokens": 812, "completion_tokens": 41, "latency_s": 1.9}

First the task's fixes (``Task.repair``: a value its validators name, such as the date a
plain "昨天" means) are set on the teacher's answer: the record keeps the raw ``answer``, the
label is the fixed one, and ``fixed`` lists what was fixed. Then the filters, in order (the
first that fails names ``rejected_by``):

1. the teacher gave a valid output at all (a rung that validates JSON against the schema
   itself returns none for an invalid answer: "no valid output");
2. it passes the output schema;
3. it passes the task's validators (``validators.py``). This is where task knowledge
   lives: ledger-sql's validators run the query on the ledger, so "the query runs and
   returns rows (not only NULL)" is this filter, and distill needs no SQL. A task's own
   rules are also what its self-check rung feeds back, so one definition serves both;
4. with ``agree=n`` the teacher is sampled n - 1 more times (temperature 0.7) and the
   label is kept only when at least ``min_agreement`` of the n answers agree with the
   first (``score``). Agreement is judged by the task's own metric (``agrees``): for
   ledger-sql's execution metric two queries agree when they return the same rows; for
   ``fields``, when every field is right under the task's comparators.

``label_accuracy`` is the one place gold labels meet teacher labels, and only for the
report: how often the raw answers and the kept labels are right, never a filter.

Resumable: records are appended and flushed one by one; a rerun skips inputs
already in the file (a torn last line is cut first). With ``recheck`` a rerun first
runs filters 1-3 (the current schema and validators) over the answers already in the
file and labels again the inputs they reject: improve ``validators.py``, and only the
labels it now finds wrong cost teacher calls (the self-check rung also feeds the new
problems back to the teacher).

``jobs`` > 1 labels that many inputs at once (threads; worth it for remote teachers,
local llama.cpp calls serialize on the model's lock anyway). Records are written in
input order, so the file is the same as a sequential run's (latencies aside); a
remote teacher's OpenAI backend also caps requests in flight per endpoint.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..models.base import Model
from ..progress import Progress
from ..tasks import Example, Task


@dataclass
class LabelStats:
    """Counts of one ``label`` call (the records themselves are in ``path``)."""

    path: Path
    total: int  # inputs asked for
    labelled: int  # records in the file now
    kept: int  # kept records in the file now
    skipped_existing: int  # already in the file (resumed)
    rejected: int  # rejected in this call
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    reasons: dict[str, int] = field(default_factory=dict)  # rejected_by -> records in the file
    rechecked: int = 0  # records the current filters rejected, labelled again (recheck)


def read_labels(path: str | Path) -> list[dict]:
    """Records of a labels file; a torn last line (killed mid-write) is ignored."""
    path = Path(path)
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def append_to(path: Path):
    """``path`` opened for appending records, after cutting a torn last line (a run killed
    mid-write), so the next record starts on a line of its own."""
    if path.is_file():
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with path.open("r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)
    return path.open("a", encoding="utf-8")


def agrees(task: Task, input: dict, reference: Any, other: Any) -> bool:
    """Do two teacher answers agree? ``other`` scored against ``reference`` by the task's
    metric gets full marks (equal answers agree without asking the metric). A reference
    the metric cannot use (an execution metric's query that fails) agrees with nothing."""
    if other is None:
        return False
    if other == reference:
        return True
    try:
        return task.metric(input, reference, other).value >= 1.0
    except ConfigError:
        return False


def label(task: Task, inputs: list[dict], model: Model, rung: str, out: str | Path, *,
          agree: int = 1, min_agreement: float = 1.0, jobs: int = 1, progress: bool = True,
          run_id: str | None = None, recheck: bool = False) -> LabelStats:
    """Label ``inputs`` with the teacher ``rung`` on ``model``, appending to ``out``;
    ``recheck``: first drop the records whose answer the current filters reject."""
    import time

    from ..rungs import build_rung
    from ..models.base import Sampling

    if jobs < 1:
        raise ConfigError(f"jobs={jobs}: give 1 (sequential) or more inputs labelled at once.")
    if agree < 1 or not 0 < min_agreement <= 1:
        raise ConfigError(f"agree={agree}, min_agreement={min_agreement}: give agree >= 1 samples and a "
                          "min_agreement in (0, 1] (1.0: every sample agrees).")
    teacher = build_rung(rung)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    dropped = _drop_rejected_answers(task, out) if recheck else 0
    done = {input_key(r["input"]) for r in read_labels(out)}
    todo = [x for x in inputs if input_key(x) not in done]
    start = time.perf_counter()
    counts = {"kept": 0, "rejected": 0, "prompt": 0, "completion": 0}

    def one(input: dict) -> dict:
        pred = teacher(task, input, model, run_id=run_id)
        calls = list(pred.calls)
        output, fixed = task.repair(input, pred.output)  # the task's fixes: a label, not a rejection
        problems, rejected_by = _filter(task, input, output, pred.error)
        score = None
        if not problems and agree > 1:
            same = 1
            for i in range(agree - 1):
                sampler = Sampling(model, 0.7, 1 + i)
                other = teacher(task, input, sampler, run_id=run_id)
                calls += other.calls
                same += agrees(task, input, output, task.repair(input, other.output)[0])
            score = same / agree
            if score < min_agreement:
                problems, rejected_by = [f"teacher samples agree {score:.2f} < {min_agreement}"], "agreement"
        prompt = pred.calls[-1].prompt if pred.calls and pred.calls[-1].prompt else \
            [m.model_dump(exclude_none=True) for m in pred.messages]
        return {"input": input, "expected": output if not problems else None, "kept": not problems,
                "answer": pred.output, "fixed": fixed, "rejected_by": rejected_by,
                "teacher": {"model": getattr(model, "name", str(model)), "rung": rung},
                "prompt": prompt, "score": score if score is not None else (1.0 if not problems else 0.0),
                "problems": problems, "prompt_tokens": sum(c.prompt_tokens for c in calls),
                "completion_tokens": sum(c.completion_tokens for c in calls),
                "latency_s": round(sum(c.latency_s for c in calls), 3)}

    # pool.map yields in input order, whatever finishes first: records land in the file
    # exactly as a sequential run writes them
    with append_to(out) as f, ThreadPoolExecutor(jobs) as pool, \
            Progress("teacher labelling", len(todo), enabled=progress and bool(todo)) as bar:
        for rec in pool.map(one, todo):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            counts["kept" if rec["kept"] else "rejected"] += 1
            counts["prompt"] += rec["prompt_tokens"]
            counts["completion"] += rec["completion_tokens"]
            bar.advance(postfix=f"kept {counts['kept']}")
    records = read_labels(out)
    return LabelStats(out, len(inputs), len(records), sum(r["kept"] for r in records), len(inputs) - len(todo),
                      counts["rejected"], counts["prompt"], counts["completion"],
                      round(time.perf_counter() - start, 1), rejection_reasons(records), dropped)


def _drop_rejected_answers(task: Task, path: Path) -> int:
    """Rewrite ``path`` (atomically) without the records whose answer filters 1-3 reject now,
    and with the task's current fixes set on the labels kept (no teacher call for those)."""
    records, keep, changed = read_labels(path), [], False
    for r in records:
        answer, fixed = task.repair(r["input"], r.get("answer"))
        if _filter(task, r["input"], answer, None)[0]:
            continue
        if r.get("kept") and answer != r.get("expected"):
            r = {**r, "expected": answer, "fixed": fixed}
            changed = True
        keep.append(r)
    if changed or len(keep) < len(records):
        tmp = path.with_suffix(".recheck.tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in keep), encoding="utf-8")
        tmp.replace(path)
    return len(records) - len(keep)


def _filter(task: Task, input: dict, output: Any, error: str | None) -> tuple[list[str], str | None]:
    """(problems, rejected_by) of filters 1-3 of the module docstring; ([], None) = kept so far."""
    from ..schema import validate

    if output is None:
        return [error or "no output"], "no valid output"
    problems = task.check(input, output)
    if not problems:
        return [], None
    if validate(task.schema, json.dumps(output, ensure_ascii=False))[1]:
        return problems, "schema"
    return problems, problem_kind(problems[0])


def problem_kind(problem: str) -> str:
    """A validator problem's kind, for counting: its first clause with numbers and quoted
    text masked. "The query failed: no such column x" -> "validator: The query failed";
    "amount 204 does not appear in the text (numbers there: 4, 1540)" -> "validator: amount
    … does not appear in the text". A validator that names other values in its first
    clause gets one kind per value: the counts are then finer, never wrong."""
    first = re.split(r"[:;(\n]|\.(?:\s|$)", problem.strip(), maxsplit=1)[0]
    first = re.sub(r"'[^']*'|\"[^\"]*\"|\d[\d,.:/-]*", "…", first)
    first = " ".join(first.split())[:60]
    return f"validator: {first}" if first else "validator"


def rejection_reasons(records: list[dict]) -> dict[str, int]:
    """{rejected_by: count} over the rejected records, most frequent first (records
    written before ``rejected_by`` existed count as "unrecorded")."""
    c = Counter(r.get("rejected_by") or "unrecorded" for r in records if not r.get("kept"))
    return dict(c.most_common())


def label_accuracy(task: Task, records: list[dict], gold: list[Example]) -> dict | None:
    """How right the teacher is where gold exists (report only; nothing is filtered by it).

    Each record whose input has a gold label is scored with the task's metric (the mean
    score, as a run's quality is): every raw answer (before filters and fixes; a missing
    answer scores 0) for ``raw_accuracy``, the kept records' labels with the task's current
    fixes (what the student trains on) for ``kept_accuracy``;
    ``rejected_right`` counts the fully right answers the filters threw away. None when
    no record has gold.

        {"items": 200, "raw_accuracy": 0.61, "kept": 150, "kept_accuracy": 0.74,
         "rejected": 50, "rejected_right": 3}
    """
    refs = {input_key(ex.input): ex.expected for ex in gold if ex.expected is not None}
    scored = []  # (kept, the raw answer's score, the label's score: after the task's fixes)
    for r in records:
        key = input_key(r["input"])
        if key not in refs:
            continue
        answer = r.get("answer", r.get("expected"))  # records written before "answer" existed
        raw = task.metric(r["input"], refs[key], answer).value
        kept = bool(r.get("kept"))
        # a kept label with the task's current fixes: what SFT trains on (sft.build_sft)
        label = task.metric(r["input"], refs[key], task.repair(r["input"], r["expected"])[0]).value if kept else raw
        scored.append((kept, raw, label))
    if not scored:
        return None
    labels = [v for k, _, v in scored if k]
    return {"items": len(scored), "raw_accuracy": round(sum(v for _, v, _ in scored) / len(scored), 4),
            "kept": len(labels), "kept_accuracy": round(sum(labels) / len(labels), 4) if labels else None,
            "rejected": len(scored) - len(labels), "rejected_right": sum(v >= 1.0 for k, v, _ in scored if not k)}


def input_key(input: dict) -> str:
    """One input as a comparable string (resume: which inputs the file already has)."""
    return json.dumps(input, sort_keys=True, ensure_ascii=False)
