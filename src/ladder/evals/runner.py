"""Run a rung over a dataset; keep one record per item in SQLite; summarize.

Each record keeps what a reader needs to ask "why did item 17 fail?": the input,
the exact messages and prompt text sent, the raw output, the per-field score,
tokens, latency and retries, in the runs database (``store.py``).

Everything that decides a number is seeded (item order, sampling seeds, the
bootstrap), so the same seed gives the same quality and token columns; latencies
are measured and vary with the machine.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import ConfigError
from ..models.base import Model
from ..progress import Progress
from ..rungs.base import Prediction, Rung
from ..tasks import Example, Task
from .metrics import bootstrap_ci, percentile
from .store import RunStore


@dataclass
class EvalResult:
    """One evaluation run: its id in the run store, the summary row, and every item's record."""

    run_id: str
    summary: dict
    records: list[dict] = field(default_factory=list)


def score_item(task: Task, input: dict, expected: Any, output: Any) -> dict:
    """Score one item by the task's metric: {"value" in [0, 1], "fields", "reason",
    "exact" (value == 1), "valid" (a schema-valid output came back)}."""
    s = task.metric(input, expected, output)
    return {"value": float(s.value), "fields": dict(s.fields), "reason": s.reason,
            "exact": s.value >= 1.0, "valid": output is not None}


def _record(ex: Example, pred: Prediction, task: Task, failed: bool = False, attempts: int = 1) -> dict:
    last = pred.calls[-1] if pred.calls else None
    rec = {
        "source": ex.source, "input": ex.input, "expected": ex.expected, "output": pred.output,
        "text": pred.text, "messages": [m.model_dump(exclude_none=True) for m in pred.messages],
        "prompt": last.prompt if last else None, "score": None,
        "prompt_tokens": pred.prompt_tokens, "completion_tokens": pred.completion_tokens,
        "cached_tokens": pred.cached_tokens, "ttft_ms": pred.ttft_s * 1000,
        "latency_ms": pred.latency_s * 1000, "retries": pred.retries, "error": pred.error,
        "model": last.model if last else "", "failed": failed, "attempts": attempts, "fixed": pred.fixed,
    }
    if ex.expected is not None:
        if failed:
            rec["score"] = {"value": 0.0, "fields": {}, "reason": f"failed: {pred.error}", "exact": False,
                            "valid": False}
        else:
            rec["score"] = score_item(task, ex.input, ex.expected, pred.output)
    return rec


def run_item(task: Task, rung: Rung, model: Model, ex: Example, run_id: str | None = None,
             attempts: int = 1) -> dict:
    """One item's record. An item that fails — the prompt overflows the context, a
    remote call errors, a validator or the metric raises — is a result, not a crash:
    recorded with its error, counted wrong and invalid, and the run goes on."""
    started = time.perf_counter()
    try:
        pred = rung(task, ex.input, model, run_id=run_id)
        return _record(ex, pred, task, attempts=attempts)
    except Exception as e:  # noqa: BLE001 — any failure of one item is that item's result
        pred = Prediction(None, error=f"{type(e).__name__}: {e}")
        rec = _record(ex, pred, task, failed=True, attempts=attempts)
        rec["latency_ms"] = (time.perf_counter() - started) * 1000
        rec["model"] = getattr(model, "name", "")
        return rec


def summarize(task: Task, rung_name: str, records: list[dict], *, seed: int = 0, threads: int = 1,
              prices: tuple[float, float] | None = None) -> dict:
    """Aggregate records: quality (the task metric's mean) with a 95% bootstrap CI,
    per-field accuracy, validity, errors, latency percentiles, tokens per item,
    retries, cost per 1k items."""
    n = len(records)
    scored = [r for r in records if r["score"] is not None]
    values = [float(r["score"]["value"]) for r in scored]
    lat = [r["latency_ms"] for r in records]
    mean = lambda k: sum(r[k] for r in records) / n if n else 0.0  # noqa: E731
    models = Counter(r.get("model", "") for r in records)
    fields: dict[str, list[float]] = {}
    for r in scored:
        for f, v in (r["score"].get("fields") or {}).items():
            fields.setdefault(f, []).append(float(v))
    failed = [r for r in records if r.get("failed")]
    summary = {
        "rung": rung_name, "model": models.most_common(1)[0][0] if models else "", "n": n,
        "metric": getattr(task.metric, "type", ""),
        "quality": sum(values) / len(values) if values else None,
        "quality_ci": bootstrap_ci(values, seed=seed) if values else None,
        "field_acc": {f: sum(v) / len(v) for f, v in fields.items()},
        "valid_rate": sum(r["output"] is not None for r in records) / n if n else 0.0,
        "errors": len(failed),
        "fixed_rate": sum(bool(r.get("fixed")) for r in records) / n if n else 0.0,  # the task's fixes applied
        "error_examples": sorted({r["error"] for r in failed})[:3],
        "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
        "ttft_p50_ms": percentile([r["ttft_ms"] for r in records], 50),
        "prompt_tokens": mean("prompt_tokens"), "completion_tokens": mean("completion_tokens"),
        "cached_tokens": mean("cached_tokens"), "retries": mean("retries"),
        # local models: CPU-seconds (latency x threads) per 1,000 items
        "cpu_s_per_1k": mean("latency_ms") / 1000 * threads * 1000,
    }
    if prices:
        p_in, p_out = prices  # USD per 1M tokens
        summary["usd_per_1k"] = (mean("prompt_tokens") * p_in + mean("completion_tokens") * p_out) / 1000
    return summary


def evaluate(task: Task, rung: Rung, model: Model, examples: Sequence[Example], *, data: str = "",
             seed: int = 0, progress: bool = True, store: RunStore | None = None,
             prices: tuple[float, float] | None = None, description: str | None = None,
             resume: bool = False, jobs: int = 1) -> EvalResult:
    """Run ``rung`` on every example, store each record, return the summary.

    ``resume``: continue the newest run with the same task, rung, model, data, size and
    seed: items it already holds (same input at the same position) are kept, not
    re-run, so a killed evaluation or climb loses only the item in flight; an item
    that failed is tried once more. Kept latencies are the ones measured then.
    ``jobs``: items run concurrently (for remote models; a local model serializes its
    calls). Records are the same as sequential ones: each item is independent and seeded.
    """
    if jobs < 1:
        raise ConfigError(f"jobs={jobs}: use 1 or more concurrent items.")
    store = store or RunStore()
    key = (task.name, rung.name, model.name, data, len(examples), seed)
    run_id = store.latest_run(*key) if resume else None
    done: dict[int, dict] = {}
    retry: dict[int, int] = {}  # idx -> attempt number, for failed items tried again
    if run_id:
        for rec in store.records(run_id):
            i = rec["idx"]
            if i < len(examples) and rec["input"] == examples[i].input:
                if rec.get("failed") and (rec.get("attempts") or 1) < 2:
                    retry[i] = (rec.get("attempts") or 1) + 1
                    continue
                done[i] = {**rec, "model": rec.get("model") or model.name}
    else:
        run_id = uuid.uuid4().hex[:12]
        store.start(run_id, *key)
    records: dict[int, dict] = dict(done)
    todo = [i for i in range(len(examples)) if i not in done]

    def work(i: int) -> tuple[int, dict]:
        rec = run_item(task, rung, model, examples[i], run_id, attempts=retry.get(i, 1))
        store.add(run_id, i, rec)
        return i, rec

    with _progress(progress, description or rung.name, len(examples)) as advance:
        for i in sorted(done):
            advance(done[i])
        if jobs == 1:
            results = map(work, todo)
        else:
            pool = ThreadPoolExecutor(max_workers=jobs)
            futures = [pool.submit(work, i) for i in todo]
            results = (f.result() for f in as_completed(futures))
        try:
            for i, rec in results:
                records[i] = rec
                advance(rec)
        finally:
            if jobs > 1:
                pool.shutdown(wait=True, cancel_futures=True)
    ordered = [records[i] for i in range(len(examples))]
    summary = summarize(task, rung.name, ordered, seed=seed, threads=getattr(model, "n_threads", 1),
                        prices=prices)
    notes = getattr(task.metric, "notes", None)
    if callable(notes):
        summary.update(notes() or {})
    summary["local"] = bool(getattr(model, "local", True))  # cost in CPU-seconds only for local models
    summary["run_id"] = run_id
    store.finish(run_id, summary)
    return EvalResult(run_id, summary, ordered)


def consistency(task: Task, rung: Rung, model: Model, examples: Sequence[Example], *,
                temperature: float = 0.7, seed: int = 0, pairs: Sequence[tuple[dict, dict]] = ()) -> dict:
    """How often the same answer comes back: (a) the same input twice at temperature > 0;
    (b) paraphrase pairs (two wordings of one expense) at the rung's own settings."""
    from ..models.base import Sampling

    def output(inp: dict, m) -> Any:
        try:
            return rung(task, inp, m).output
        except Exception:  # noqa: BLE001 — a failing item counts as inconsistent, the run goes on
            return None

    same = []
    for i, ex in enumerate(examples):
        outs = [output(ex.input, Sampling(model, temperature, seed + i, index=j)) for j in range(2)]
        same.append(outs[0] is not None and outs[0] == outs[1])
    para = []
    for a, b in pairs:
        oa, ob = output(a, model), output(b, model)
        para.append(oa is not None and oa == ob)
    return {
        "repeat": sum(same) / len(same) if same else None, "repeat_n": len(same),
        "paraphrase": sum(para) / len(para) if para else None, "paraphrase_n": len(para),
    }


class _progress:
    """The run's progress bar (ladder.progress), the quality so far as its postfix."""

    def __init__(self, enabled: bool, label: str, total: int):
        self.bar = Progress(f"{label:<40}", total, enabled=enabled)
        self.done, self.total_value, self.errors = 0, 0.0, 0

    def __enter__(self):
        return self.advance

    def advance(self, rec: dict) -> None:
        self.done += 1
        self.total_value += rec["score"]["value"] if rec["score"] else 0.0
        self.errors += bool(rec.get("failed"))
        errors = f" errors {self.errors}" if self.errors else ""
        self.bar.advance(postfix=f"quality {self.total_value / self.done:.0%}{errors}")

    def __exit__(self, *exc):
        self.bar.close()
