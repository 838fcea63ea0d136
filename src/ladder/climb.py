"""The climb: run every (model, rung) pair on one Task, rank them, recommend the
cheapest that passes.

"Cheapest" is measured, not assumed: CPU-seconds per 1,000 items for local models
(latency x threads), or dollars when token prices are given; prompt tokens break
ties; costs in different units (CPU-seconds, dollars) are never compared unless
``cpu_hour_usd`` converts them. A rung passes when its quality (the mean of the task's metric: for the
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

from .errors import ConfigError
from .evals import consistency, evaluate
from .evals.report import print_table, write_html
from .log import data_dir
from .models.base import Model
from .rungs import DEFAULT_LADDER, build_rung
from .tasks import Example, Task


@dataclass
class ClimbResult:
    """A climb: one summary row per (model, rung), the recommendation, and the report's path."""

    task: str
    model: str  # the climbed models' names, comma-separated
    rows: list[dict]  # one summary per (model, rung), grouped by model, in ladder order
    recommendation: dict  # {"rung", "model", "meets_bar", "reason", ...}
    report: Path | None = None
    notes: list[str] = field(default_factory=list)


def cost_of(row: dict, cpu_hour_usd: float | None = None) -> tuple[str, float] | None:
    """(unit, cost per 1k items) — "usd" for a row with token prices, "cpu-s" for a local
    model (or "usd" when ``cpu_hour_usd`` converts it); None for a remote row without
    prices, whose cost is unknown. Costs in different units are never compared."""
    if "usd_per_1k" in row:
        return "usd", row["usd_per_1k"]
    if row.get("local", True):
        if cpu_hour_usd is not None:
            return "usd", row["cpu_s_per_1k"] / 3600 * cpu_hour_usd
        return "cpu-s", row["cpu_s_per_1k"]
    return None


def _label(row: dict) -> str:
    return row.get("label") or row["rung"]


def _score(row: dict, pass_on: str) -> float:
    return row["quality_ci"][0] if pass_on == "lower" else row["quality"]


def recommend(rows: Sequence[dict], bar: float, budget_latency_ms: float | None = None, *,
              pass_on: str = "point", cpu_hour_usd: float | None = None) -> dict:
    """The cheapest (model, rung) row meeting the bar (and budget), or why none does.

    ``pass_on``: "point" compares the quality itself with the bar, "lower" the lower
    end of its 95% CI (a rung passes only when the bar is inside what was measured)."""
    if pass_on not in ("point", "lower"):
        raise ConfigError(f"pass_on={pass_on!r}: use 'point' or 'lower' (the CI's lower bound).")
    scored = [r for r in rows if r.get("quality") is not None]
    if not scored:
        return {"rung": None, "model": None, "meets_bar": False, "reason": "no rung produced a scored result"}
    passing = [r for r in scored if _score(r, pass_on) >= bar]
    fitting = [r for r in passing if budget_latency_ms is None or r["p50_ms"] <= budget_latency_ms]
    what = "quality" if pass_on == "point" else "the CI's lower bound of quality"
    if fitting:
        by_unit: dict[str, list[dict]] = {}
        for r in fitting:
            unit = (cost_of(r, cpu_hour_usd) or ("unknown", 0.0))[0]
            by_unit.setdefault(unit, []).append(r)
        # one unit decides: local CPU-seconds first (offline by default), then dollars, then unknown
        unit = next(u for u in ("cpu-s", "usd", "unknown") if u in by_unit)
        pool = by_unit[unit]
        pick = min(pool, key=lambda r: ((cost_of(r, cpu_hour_usd) or ("", r["p50_ms"]))[1], r["prompt_tokens"]))
        reason = (f"{_label(pick)} is the cheapest rung meeting the bar of {bar:.0%} on {what}: "
                  f"quality {pick['quality']:.1%} at {pick['p50_ms']:.0f} ms p50, "
                  f"{pick['prompt_tokens']:.0f} prompt tokens per item")
        others = [_label(r) for r in pool if r is not pick]
        if others:
            reason += f" (also passing, but costlier: {', '.join(others)})"
        rest = [_label(r) for u, rs in by_unit.items() if u != unit for r in rs]
        if rest:
            reason += (f"; also passing, with costs in other units and not compared: {', '.join(rest)} "
                       "(give --cpu-hour-usd and token prices to compare them)")
        if unit == "unknown":
            reason += "; its cost is unknown (remote, no --price-in/--price-out), so the fastest was taken"
        return {"rung": pick["rung"], "model": pick["model"], "meets_bar": True, "quality": pick["quality"],
                "cost_unit": unit, "reason": reason + "."}
    best = max(scored, key=lambda r: r["quality"])
    lo, hi = best["quality_ci"]
    if passing:  # the bar is met, only not within the latency budget
        fastest = min(passing, key=lambda r: r["p50_ms"])
        return {"rung": None, "model": None, "meets_bar": False, "best": best["rung"],
                "best_model": best["model"], "quality": best["quality"],
                "reason": (f"{len(passing)} rung(s) meet the bar of {bar:.0%} but none within the "
                           f"{budget_latency_ms:.0f} ms budget (fastest passing: {_label(fastest)} at "
                           f"{fastest['p50_ms']:.0f} ms p50). Next rung to try: fine-tuning a small "
                           "student (ladder distill) for a short prompt and low latency.")}
    # weakest fields only when there are several: one field (an execution or text metric's
    # whole answer) is the quality itself
    fields = best.get("field_acc") or {}
    weak = sorted(fields.items(), key=lambda kv: kv[1])[:3] if len(fields) > 1 else []
    weak_txt = f"; weakest fields: {', '.join(f'{f} {a:.0%}' for f, a in weak)}" if weak else ""
    if any(r["rung"].startswith("student") for r in scored):
        nxt = ("A student is already on the ladder: next, train it longer (ladder distill without "
               "--preset quick), on more or better-labelled examples (a stronger teacher: --teacher "
               "qwen2.5-coder-1.5b, the default, or openai:<model>), or on a bigger base model.")
    else:
        nxt = ("Next rung to try: fine-tuning (ladder distill), which teaches the format and the "
               "rules to a small model instead of prompting for them.")
    return {"rung": None, "model": None, "meets_bar": False, "best": best["rung"], "best_model": best["model"],
            "quality": best["quality"],
            "reason": (f"No rung meets the bar of {bar:.0%} on {what}: the best, {_label(best)}, has quality "
                       f"{best['quality']:.1%} (95% CI {lo:.0%}-{hi:.0%}){weak_txt}. " + nxt)}


def _is_student(spec: str) -> bool:
    return spec.split("+")[0].strip().startswith("student")


def climb(task: Task, model: Model | Sequence[Model], examples: Sequence[Example], *,
          rungs: Sequence[str] = DEFAULT_LADDER, bar: float = 0.8, budget_latency_ms: float | None = None,
          seed: int = 0, progress: bool = True, consistency_n: int = 0, prices: tuple[float, float] | None = None,
          out: str | Path | None = None, data: str = "", console=None, resume: bool = False, jobs: int = 1,
          pass_on: str = "point", cpu_hour_usd: float | None = None) -> ClimbResult:
    """Evaluate each (model, rung) pair on ``examples``; recommend; write report.html
    into ``out``. ``model`` is one Model or several (the model x rung grid); a student
    rung answers with its own model, so it runs once, not once per model."""
    models = [model] if isinstance(model, Model) else list(model)
    if not models:
        raise ConfigError("climb needs at least one model.")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ConfigError(f"The same model is named twice in {names}: list each model once.")
    rows, notes = [], []
    started = time.perf_counter()
    grid = [(m, spec) for m in models for spec in rungs if not _is_student(spec)] + \
           [(models[0], spec) for spec in rungs if _is_student(spec)]
    for m, spec in grid:
        rung = build_rung(spec)
        label = f"{m.name} · {spec}" if len(models) > 1 else None
        result = evaluate(task, rung, m, examples, data=data, seed=seed, progress=progress, prices=prices,
                          resume=resume, jobs=jobs, description=label)
        row = result.summary
        if _is_student(spec):
            row["local"] = True  # the student answers, locally, whatever the climb's model
        if len(models) > 1:
            row["label"] = f"{row['model']} · {spec}"
        if consistency_n:
            row["consistency"] = consistency(task, rung, m, examples[:consistency_n], seed=seed,
                                             pairs=task.paraphrase_pairs()[:consistency_n])
        rows.append(row)
    rec = recommend(rows, bar, budget_latency_ms, pass_on=pass_on, cpu_hour_usd=cpu_hour_usd)
    rec["bar"], rec["task"], rec["models"] = bar, task.name, names
    notes.append(f"{len(examples)} items ({data or 'given examples'}), seed {seed}, models {', '.join(names)}; "
                 f"climb took {time.perf_counter() - started:.0f} s. Quality and tokens are reproducible "
                 "with the same seed; latencies are measured on this machine.")
    notes.append(f"Quality is the mean of the task's metric ({describe_metric(task)}) over the items.")
    units = {(cost_of(r, cpu_hour_usd) or ("unknown",))[0] for r in rows}
    if len(units) > 1:
        notes.append(f"Costs come in different units ({', '.join(sorted(units))}) and are never compared "
                     "with each other; --cpu-hour-usd converts CPU-seconds to dollars.")
    for row in rows:
        if row.get("errors"):
            notes.append(f"{_label(row)}: {row['errors']} item(s) failed and count as wrong and invalid "
                         f"(e.g. {row['error_examples'][0][:200]}); `ladder climb --resume` tries them once more.")
    report = None
    if out is not None:
        report = write_html(Path(out) / "report.html", f"Climb: {task.name} on {', '.join(names)}", rows,
                            rec["reason"], _pick_label(rows, rec), notes, cpu_hour_usd=cpu_hour_usd)
    save_recommendation(task.name, rec, rows)
    if progress:
        print_table(rows, title=f"{task.name}: {len(examples)} items, bar {bar:.0%}", console=console)
    return ClimbResult(task.name, ", ".join(names), rows, rec, report, notes)


def _pick_label(rows: Sequence[dict], rec: dict) -> str | None:
    for r in rows:
        if r["rung"] == rec.get("rung") and r["model"] == rec.get("model"):
            return _label(r)
    return None


def describe_metric(task: Task) -> str:
    m = task.metric
    kind = getattr(m, "type", "")
    fields = "fields: 1 when every field is right" if task.output_fields else "fields: 1 when the answer is right"
    return {"fields": fields, "execution": "execution: 1 when the query returns "
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


def _stored_climb(task_name: str) -> dict | None:
    """The task's last climb as saved by ``save_recommendation``, or None before any."""
    path = _climbs_dir() / f"{task_name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def save_recommendation(task_name: str, rec: dict, rows: Sequence[dict]) -> Path:
    path = _climbs_dir() / f"{task_name}.json"
    path.write_text(json.dumps({"recommendation": rec, "rows": list(rows), "ts": time.time()},
                               indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def recommended(task_name: str) -> dict | None:
    """The rung to use for a task after its last climb: {"rung", "model", "meets_bar"} —
    the recommendation, or the best-scoring rung when none met the bar; None before
    any climb."""
    stored = _stored_climb(task_name)
    if stored is None:
        return None
    rec = stored["recommendation"]
    if rec.get("rung"):
        return {"rung": rec["rung"], "model": rec["model"], "meets_bar": True}
    if rec.get("best"):
        return {"rung": rec["best"], "model": rec.get("best_model"), "meets_bar": False}
    return None


def best_rung(task_name: str, model: str) -> dict | None:
    """The best-scoring prompting row (no student) of the task's last climb on ``model``:
    {"rung", "quality", ...}, or None when no climb measured that model. Ties go to the
    cheaper row (fewer prompt tokens)."""
    stored = _stored_climb(task_name)
    if stored is None:
        return None
    rows = [r for r in stored.get("rows", [])
            if r.get("model") == model and not str(r.get("rung", "")).startswith("student")
            and r.get("quality") is not None]
    return max(rows, key=lambda r: (r["quality"], -(r.get("prompt_tokens") or 0)), default=None)


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
