"""Teacher labelling: a Model or a whole rung pipeline labels inputs for the student.

A teacher is ``(model, rung spec)``: a remote model through the OpenAI-compatible
backend with ``zero-shot``, or the bundled model with an expensive pipeline such
as ``retrieved-few-shot-4+self-check-2+self-consistency-5``. Gold labels are never
read here: the teacher sees only inputs.

Each input gives one JSONL record (kept or not), so the file is the provenance:

    {"input": {...}, "expected": {...} | null, "kept": true,
     "teacher": {"model": "smollm2", "rung": "retrieved-few-shot-4+self-check-2"},
     "prompt": "<exact final prompt text or messages>", "score": 1.0,
     "problems": [], "prompt_tokens": 812, "completion_tokens": 41, "latency_s": 1.9}

Filters: the output exists, passes the schema and the task validators, and with
``agree=n`` the teacher is sampled n more times and the label is kept only when at
least ``min_agreement`` of the samples give the same answer (``score``).

Resumable: records are appended and flushed one by one; a rerun skips inputs
already in the file.

``jobs`` > 1 labels that many inputs at once (threads; worth it for remote teachers,
local llama.cpp calls serialize on the model's lock anyway). Records are written in
input order, so the file is the same as a sequential run's (latencies aside); a
remote teacher's OpenAI backend also caps requests in flight per endpoint.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..models.base import Model
from ..progress import Progress
from ..tasks import Task


@dataclass
class LabelStats:
    """Counts of one ``label`` call (the records themselves are in ``path``)."""

    path: Path
    total: int  # inputs asked for
    labelled: int  # records in the file now
    kept: int
    skipped_existing: int  # already in the file (resumed)
    rejected: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float


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


def label(task: Task, inputs: list[dict], model: Model, rung: str, out: str | Path, *,
          agree: int = 1, min_agreement: float = 1.0, jobs: int = 1, progress: bool = True,
          run_id: str | None = None) -> LabelStats:
    """Label ``inputs`` with the teacher ``rung`` on ``model``, appending to ``out``."""
    import time

    from ..rungs import build_rung
    from ..models.base import Sampling

    if jobs < 1:
        raise ConfigError(f"jobs={jobs}: give 1 (sequential) or more inputs labelled at once.")
    teacher = build_rung(rung)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {_key(r["input"]) for r in read_labels(out)}
    todo = [x for x in inputs if _key(x) not in done]
    start = time.perf_counter()
    counts = {"kept": 0, "rejected": 0, "prompt": 0, "completion": 0}

    def one(input: dict) -> dict:
        pred = teacher(task, input, model, run_id=run_id)
        problems = [pred.error or "no output"] if pred.output is None else task.check(input, pred.output)
        calls = list(pred.calls)
        score = None
        if pred.output is not None and not problems and agree > 1:
            same = 1
            for i in range(agree - 1):
                sampler = Sampling(model, 0.7, 1 + i)
                other = teacher(task, input, sampler, run_id=run_id)
                calls += other.calls
                same += int(other.output == pred.output)
            score = same / agree
            if score < min_agreement:
                problems = [f"teacher samples agree {score:.2f} < {min_agreement}"]
        prompt = pred.calls[-1].prompt if pred.calls and pred.calls[-1].prompt else \
            [m.model_dump(exclude_none=True) for m in pred.messages]
        return {"input": input, "expected": pred.output if not problems else None, "kept": not problems,
                "teacher": {"model": getattr(model, "name", str(model)), "rung": rung},
                "prompt": prompt, "score": score if score is not None else (1.0 if not problems else 0.0),
                "problems": problems, "prompt_tokens": sum(c.prompt_tokens for c in calls),
                "completion_tokens": sum(c.completion_tokens for c in calls),
                "latency_s": round(sum(c.latency_s for c in calls), 3)}

    # pool.map yields in input order, whatever finishes first: records land in the file
    # exactly as a sequential run writes them
    with out.open("a", encoding="utf-8") as f, ThreadPoolExecutor(jobs) as pool, \
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
                      round(time.perf_counter() - start, 1))


def _key(input: dict) -> str:
    return json.dumps(input, sort_keys=True, ensure_ascii=False)
