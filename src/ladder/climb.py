"""The climb: run every rung on one Task, rank them, recommend the cheapest that passes.

"Cheapest" is measured, not assumed: CPU-seconds per 1,000 items for local models
(latency x threads), or dollars when token prices are given; prompt tokens break
ties. A rung passes when its quality (the mean of the task's metric: for the
``fields`` metric, the share of items with every field right) meets the bar and, if
a latency budget is given, its p50 latency fits it. When none passes, the report says so and
names the next rung to try — fine-tuning — with the reason (the best rung's score
and its weakest fields).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .evals import consistency, evaluate
from .evals.report import print_table, write_html
from .log import data_dir
from .models.base import Model
from .rungs import DEFAULT_LADDER, build_rung
from .tasks import Example, Task


@dataclass
class ClimbResult:
    task: str
    model: str
    rows: list[dict]  # one summary per rung, in ladder order
    recommendation: dict  # {"rung", "model", "meets_bar", "reason", ...}
    report: Path | None = None
    notes: list[str] = field(default_factory=list)


def cost_of(row: dict) -> float:
    return row.get("usd_per_1k", row["cpu_s_per_1k"])


def recommend(rows: Sequence[dict], bar: float, budget_latency_ms: float | None = None) -> dict:
    """The cheapest row meeting the bar (and budget), or why none does."""
    scored = [r for r in rows if r.get("quality") is not None]
    if not scored:
        return {"rung": None, "model": None, "meets_bar": False, "reason": "no rung produced a scored result"}
    passing = [r for r in scored if r["quality"] >= bar]
    fitting = [r for r in passing if budget_latency_ms is None or r["p50_ms"] <= budget_latency_ms]
    if fitting:
        pick = min(fitting, key=lambda r: (cost_of(r), r["prompt_tokens"]))
        reason = (f"{pick['rung']} is the cheapest rung meeting the bar of {bar:.0%}: "
                  f"quality {pick['quality']:.1%} at {pick['p50_ms']:.0f} ms p50, "
                  f"{pick['prompt_tokens']:.0f} prompt tokens per item")
        others = [r["rung"] for r in fitting if r is not pick]
        if others:
            reason += f" (also passing, but costlier: {', '.join(others)})"
        return {"rung": pick["rung"], "model": pick["model"], "meets_bar": True, "quality": pick["quality"],
                "reason": reason + "."}
    best = max(scored, key=lambda r: r["quality"])
    lo, hi = best["quality_ci"]
    if passing:  # the bar is met, only not within the latency budget
        fastest = min(passing, key=lambda r: r["p50_ms"])
        return {"rung": None, "model": None, "meets_bar": False, "best": best["rung"],
                "best_model": best["model"], "quality": best["quality"],
                "reason": (f"{len(passing)} rung(s) meet the bar of {bar:.0%} but none within the "
                           f"{budget_latency_ms:.0f} ms budget (fastest passing: {fastest['rung']} at "
                           f"{fastest['p50_ms']:.0f} ms p50). Next rung to try: fine-tuning a small "
                           "student (ladder distill) for a short prompt and low latency.")}
    weak = sorted(best["field_acc"].items(), key=lambda kv: kv[1])[:3]
    weak_txt = f"; weakest fields: {', '.join(f'{f} {a:.0%}' for f, a in weak)}" if weak else ""
    if any(r["rung"].startswith("student") for r in scored):
        nxt = ("A student is already on the ladder: next, train it longer (ladder distill without "
               "--preset quick), on more or better-labelled examples (a stronger teacher: --teacher "
               "openai:<model>), or on a bigger base model.")
    else:
        nxt = ("Next rung to try: fine-tuning (ladder distill), which teaches the format and the "
               "rules to a small model instead of prompting for them.")
    return {"rung": None, "model": None, "meets_bar": False, "best": best["rung"], "best_model": best["model"],
            "quality": best["quality"],
            "reason": (f"No rung meets the bar of {bar:.0%}: the best, {best['rung']}, has quality "
                       f"{best['quality']:.1%} (95% CI {lo:.0%}-{hi:.0%}){weak_txt}. " + nxt)}


def climb(task: Task, model: Model, examples: Sequence[Example], *, rungs: Sequence[str] = DEFAULT_LADDER,
          bar: float = 0.8, budget_latency_ms: float | None = None, seed: int = 0, progress: bool = True,
          consistency_n: int = 0, prices: tuple[float, float] | None = None, out: str | Path | None = None,
          data: str = "", console=None, resume: bool = False, jobs: int = 1) -> ClimbResult:
    """Evaluate each rung on ``examples``; recommend; write report.html into ``out``."""
    rows, notes = [], []
    started = time.perf_counter()
    for spec in rungs:
        rung = build_rung(spec)
        result = evaluate(task, rung, model, examples, data=data, seed=seed, progress=progress, prices=prices,
                          resume=resume, jobs=jobs)
        row = result.summary
        if consistency_n:
            row["consistency"] = consistency(task, rung, model, examples[:consistency_n], seed=seed,
                                             pairs=task.paraphrase_pairs()[:consistency_n])
        rows.append(row)
    rec = recommend(rows, bar, budget_latency_ms)
    rec["bar"], rec["task"] = bar, task.name
    notes.append(f"{len(examples)} items ({data or 'given examples'}), seed {seed}, model {model.name}; "
                 f"climb took {time.perf_counter() - started:.0f} s. Quality and tokens are reproducible "
                 "with the same seed; latencies are measured on this machine.")
    notes.append(f"Quality is the mean of the task's metric ({describe_metric(task)}) over the items.")
    for row in rows:
        if row.get("errors"):
            notes.append(f"{row['rung']}: {row['errors']} item(s) failed and count as wrong and invalid "
                         f"(e.g. {row['error_examples'][0][:200]}); `ladder climb --resume` tries them once more.")
    report = None
    if out is not None:
        report = write_html(Path(out) / "report.html", f"Climb: {task.name} on {model.name}", rows,
                            rec["reason"], rec.get("rung"), notes)
    save_recommendation(task.name, rec, rows)
    if progress:
        print_table(rows, title=f"{task.name}: {len(examples)} items, bar {bar:.0%}", console=console)
    return ClimbResult(task.name, model.name, rows, rec, report, notes)


def describe_metric(task: Task) -> str:
    m = task.metric
    kind = getattr(m, "type", "")
    return {"fields": "fields: 1 when every field is right", "execution": "execution: 1 when the query returns "
            "the expected rows", "text": "text: similarity to the reference", "judge": "judge: an LLM "
            "judge's score scaled to 0-1"}.get(kind, kind or "custom")


def student_rungs(task: Task) -> list[str]:
    """Student rungs with a registered model for this task (after `ladder distill`)."""
    from .models import registered

    names = registered()
    return [suffix for suffix in ("student", "student-gold") if f"{task.name}-{suffix}" in names]


def _climbs_dir() -> Path:
    path = data_dir() / "climbs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_recommendation(task_name: str, rec: dict, rows: Sequence[dict]) -> Path:
    path = _climbs_dir() / f"{task_name}.json"
    path.write_text(json.dumps({"recommendation": rec, "rows": list(rows), "ts": time.time()},
                               indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def recommended(task_name: str) -> dict | None:
    """The rung to use for a task after its last climb: {"rung", "model", "meets_bar"} —
    the recommendation, or the best-scoring rung when none met the bar; None before
    any climb."""
    path = _climbs_dir() / f"{task_name}.json"
    if not path.is_file():
        return None
    rec = json.loads(path.read_text(encoding="utf-8"))["recommendation"]
    if rec.get("rung"):
        return {"rung": rec["rung"], "model": rec["model"], "meets_bar": True}
    if rec.get("best"):
        return {"rung": rec["best"], "model": rec.get("best_model"), "meets_bar": False}
    return None


def pick(task: Task | str, default: str = "zero-shot") -> tuple[str, str | None]:
    """(rung spec, model name or None for the default model): which rung and model serve
    this task. The one answer the CLI (`ladder eval` without --rung), the server
    (/v1/tasks/NAME) and the apps use:

    1. the last climb's recommendation, or its best rung when none met the bar;
    2. else a student trained for the task (`ladder distill`): ``<task>-student-gold``
       (gold labels, checked), then ``<task>-student`` (teacher labels), with its rung;
    3. else ``default`` on the default model.
    """
    name = task if isinstance(task, str) else task.name
    rec = recommended(name)
    if rec and rec.get("rung"):
        return rec["rung"], rec.get("model")
    from .models import registered

    names = registered()
    for suffix in ("student-gold", "student"):
        if f"{name}-{suffix}" in names:
            return suffix, f"{name}-{suffix}"
    return default, None
