"""`ladder shadow report`: the upstream and its student on the same requests, side by side.

Under ``ladder serve --route UP=STUDENT --shadow`` every request for UP is answered by
both; the capture store holds the two answers with one ``pair_id``. This report pairs
them and measures, per pair, whether the student agrees with the upstream:

- with a task (``--task DIR``, else the one the proxy recorded for the student's
  prompt): the task's metric, the upstream's answer as the reference and the student's
  as the output, both parsed against the task's schema (an unparsable student answer
  scores 0);
- without one: 1 when the two answers are equal as JSON values (both parse), else when
  the texts are equal after trimming whitespace.

An object task's metric also scores each field: the report gives the per-field
agreement too (a student may match every date and amount and miss categories, which
an all-fields score hides).

Latency (mean, p50, p95) and tokens (mean prompt and completion tokens) are shown for
both sides; student failures count as disagreement. The upstream's latency is the proxy's
wall time from the request's arrival; the student's is its own answer's, from the moment
its turn came (shadow answers run one at a time in the background, and the wait behind
earlier ones is the shadow's artefact, not the student's latency). On one machine the
two sides share its CPU while they overlap; against a remote upstream they do not.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError
from .dataset import parse_since
from .store import get_store
from .template import call_input


def shadow_report(tag: str, *, since=None, task: str | Path | None = None, store=None) -> dict:
    """The paired comparison of one tag's shadowed requests (see the module docstring)."""
    from ..evals.metrics import percentile

    store = store or get_store()
    rows = [r for r in store.rows(tag, since=parse_since(since)) if r["pair_id"]]
    pairs: dict[str, dict] = {}
    for r in rows:
        pairs.setdefault(r["pair_id"], {})[r["served_by"]] = r
    complete = [p for p in pairs.values() if "upstream" in p and "student" in p and p["upstream"]["status"] == 200]
    if not complete:
        raise ConfigError(f"No shadowed requests tagged {tag!r} in {store.path}: serve with "
                          "`ladder serve --upstream ... --route UP=STUDENT --shadow` and send tagged requests "
                          "(X-Ladder-Tag or metadata tag) for UP.")
    loaded = _task(task or next((p["student"]["task"] for p in complete if p["student"]["task"]), None))
    scores, items, fields = [], [], {}
    for p in complete:
        up, st = p["upstream"], p["student"]
        per_field: dict[str, float] = {}
        if st["status"] != 200:
            score, how = 0.0, f"student failed: {st['error']}"
        elif loaded is not None:
            score, how, per_field = _task_score(loaded, up, st)
        else:
            score, how = _equal(up["response"], st["response"])
        scores.append(score)
        for k, v in per_field.items():
            fields.setdefault(k, []).append(v)
        items.append({"pair_id": up["pair_id"], "time": up["ts"], "input": call_input(up["request"], up["metadata"]),
                      "agreement": score, "fields": per_field, "how": how,
                      "upstream": up["response"], "student": st["response"]})
    sides = {}
    for side in ("upstream", "student"):
        ok = [p[side] for p in complete if p[side]["status"] == 200]
        lat = [r["latency_ms"] for r in ok]
        sides[side] = {
            "model": ok[0]["backend"] if ok else None, "answers": len(ok),
            "failures": sum(p[side]["status"] != 200 for p in complete),
            "latency_ms_mean": round(sum(lat) / len(lat), 1) if lat else None,
            "latency_ms_p50": round(percentile(lat, 50), 1) if lat else None,
            "latency_ms_p95": round(percentile(lat, 95), 1) if lat else None,
            "prompt_tokens_mean": round(sum(r["prompt_tokens"] or 0 for r in ok) / len(ok), 1) if ok else None,
            "completion_tokens_mean": round(sum(r["completion_tokens"] or 0 for r in ok) / len(ok), 1) if ok else None,
        }
    return {"tag": tag, "pairs": len(complete), "agreement": round(sum(scores) / len(scores), 4),
            "fields": {k: round(sum(v) / len(v), 4) for k, v in fields.items()},  # per-field agreement
            "metric": f"task {loaded.name!r}: {loaded.metric.type}" if loaded is not None else "exact / JSON-equal",
            "upstream": sides["upstream"], "student": sides["student"], "items": items}


def _task(where):
    if not where:
        return None
    from ..tasks import load_task

    return load_task(where)


def _equal(a: str, b: str) -> tuple[float, str]:
    try:
        return float(json.loads(a) == json.loads(b)), "JSON-equal"
    except ValueError:
        return float(a.strip() == b.strip()), "exact"


def _task_score(task, up: dict, st: dict) -> tuple[float, str, dict]:
    from ..schema import validate

    def parsed(text):
        value, err = validate(task.schema, text)
        if err and task.schema.get("type") in ("string", ["string", "null"]):
            return text.strip(), None  # a text task: the answer is the text
        return value, err

    reference, err = parsed(up["response"])
    if err:
        return _equal(up["response"], st["response"])[0], "upstream answer outside the task schema: compared exactly", {}
    output, err = parsed(st["response"])
    if err:
        return 0.0, f"student answer invalid: {err}", {}
    inp = call_input(up["request"], up["metadata"]) or {}
    score = task.metric(inp, reference, output)
    return score.value, score.reason or task.metric.type, dict(score.fields)


def print_report(report: dict, echo) -> None:
    """The report as a table (rich), through ``echo`` for the header lines."""
    from rich.console import Console
    from rich.table import Table

    echo(f"shadow report, tag {report['tag']!r}: {report['pairs']} paired requests; agreement "
         f"{report['agreement']:.1%} ({report['metric']})")
    if report.get("fields"):
        echo("  per field: " + ", ".join(f"{k} {v:.0%}" for k, v in report["fields"].items()))
    up, st = report["upstream"], report["student"]
    table = Table("", f"upstream ({up['model']})", f"student ({st['model']})")
    fmt = (lambda v: "-" if v is None else f"{v:g}")
    for key, label in (("answers", "answers"), ("failures", "failures"), ("latency_ms_mean", "latency ms, mean"),
                       ("latency_ms_p50", "latency ms, p50"), ("latency_ms_p95", "latency ms, p95"),
                       ("prompt_tokens_mean", "prompt tokens, mean"),
                       ("completion_tokens_mean", "completion tokens, mean")):
        table.add_row(label, fmt(up[key]), fmt(st[key]))
    Console(width=100).print(table)
    worst = sorted(report["items"], key=lambda i: i["agreement"])[:3]
    for item in worst:
        if item["agreement"] < 1:
            echo(f"  disagrees ({item['agreement']:.2f}, {item['how']}): upstream {item['upstream'][:70]!r} "
                 f"vs student {item['student'][:70]!r}")
