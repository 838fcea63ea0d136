"""The savings report: teacher pipeline vs student on the test split.

Metrics come from ``ladder.evals`` (the same code the climb uses): quality with a 95%
CI, schema-valid %, prompt and completion tokens per item, time to first token,
p50/p95 latency, throughput, cost per 1k items (CPU-seconds locally, USD when
prices are given), plus consistency (same input twice at temperature 0.7): the
issue's "use vs develop" table, teacher, teacher-labelled student and gold student
side by side. The report says, target by target, whether the student met it; a
missed target is shown as MISSED with its real value.

Throughput is ``items_per_s`` when the summary carries it (items / wall seconds of
the evaluation, which counts concurrency); otherwise one stream's rate, 1000 / p50
latency in ms, and the row says so. The "student gain" column is how many times
better the student is on that row: teacher / student where lower is better
(tokens, latency, cost), student / teacher for throughput.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Sequence

# The targets (issue 14): name -> (description, check(teacher, student) -> (value, ok))
TARGETS = {
    "quality": ("student quality >= teacher - 2 points",
                lambda t, s: ((s["quality"] - t["quality"]) * 100, (s["quality"] - t["quality"]) * 100 >= -2)),
    "prompt_tokens": ("teacher prompt tokens / student >= 10x",
                      lambda t, s: (_ratio(t["prompt_tokens"], s["prompt_tokens"]),
                                    _ratio(t["prompt_tokens"], s["prompt_tokens"]) >= 10)),
    "p50": ("teacher p50 latency / student >= 5x",
            lambda t, s: (_ratio(t["p50_ms"], s["p50_ms"]), _ratio(t["p50_ms"], s["p50_ms"]) >= 5)),
}

ROWS = [  # (label, key, format, higher is better)
    ("quality (exact %, 95% CI)", "quality", "pct", True), ("schema-valid %", "valid_rate", "pct", True),
    ("answers the task's fixes changed %", "fixed_rate", "pct", True),
    ("prompt tokens / item", "prompt_tokens", "num", False),
    ("completion tokens / item", "completion_tokens", "num", False),
    ("time to first token p50, ms", "ttft_p50_ms", "num", False), ("latency p50, ms", "p50_ms", "num", False),
    ("latency p95, ms", "p95_ms", "num", False), ("consistency (repeat)", "consistency", "pct", True),
    ("throughput, items/s", "items_per_s", "num", True),
    ("cost / 1k items, CPU-s", "cpu_s_per_1k", "num", False),
]


def throughput(summary: dict) -> tuple[float | None, bool]:
    """(items per second, measured?): the summary's ``items_per_s`` (wall clock), else one
    stream's 1000 / p50 ms (measured=False), else None."""
    if summary.get("items_per_s"):
        return float(summary["items_per_s"]), True
    p50 = summary.get("p50_ms")
    return (1000 / p50, False) if p50 else (None, False)


def _get(summary: dict, key: str):
    if key == "items_per_s":
        return throughput(summary)[0]
    v = summary.get(key)
    if key == "consistency" and isinstance(v, dict):  # ladder.evals.consistency's shape
        return v.get("repeat")
    return v


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def _fmt(v, kind: str, s: dict | None = None, key: str = "") -> str:
    if v is None:
        return "-"
    if kind == "pct":
        text = f"{v * 100:.1f}"
        if key == "quality" and s and s.get("quality_ci"):
            lo, hi = s["quality_ci"]
            text += f" ({lo * 100:.0f}-{hi * 100:.0f})"
        return text
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2f}"


def savings_table(teacher: dict, student: dict, extra: Sequence[dict] = ()) -> list[list[str]]:
    """Rows: metric, teacher, student, student gain (x), then any extra columns (e.g. the
    gold student)."""
    out = []
    for label, key, kind, higher in ROWS:
        t, s = _get(teacher, key), _get(student, key)
        gain = f"{(_ratio(s, t) if higher else _ratio(t, s)):.1f}x" if kind == "num" and t and s else ""
        if key == "items_per_s" and not all(throughput(x)[1] for x in (teacher, student, *extra)):
            label += " (1 stream: 1000 / p50)"
        out.append([label, _fmt(t, kind, teacher, key), _fmt(s, kind, student, key), gain,
                    *[_fmt(_get(e, key), kind, e, key) for e in extra]])
    return out


def check_targets(teacher: dict, student: dict) -> list[dict]:
    out = []
    for name, (desc, fn) in TARGETS.items():
        try:
            value, ok = fn(teacher, student)
        except (TypeError, KeyError):
            value, ok = None, False
        out.append({"target": name, "description": desc, "value": value, "met": bool(ok)})
    return out


def markdown(teacher: dict, student: dict, extra: Sequence[dict] = ()) -> str:
    head = ["metric", f"teacher: {teacher['rung']} on {teacher['model']}", f"student: {student['model']}",
            "student gain", *[f"{e['rung']} ({e['model']})" for e in extra]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in savings_table(teacher, student, extra)]
    lines.append("")
    for t in check_targets(teacher, student):
        v = "-" if t["value"] is None else f"{t['value']:.2f}"
        lines.append(f"- {t['description']}: {v} — {'met' if t['met'] else 'MISSED'}")
    return "\n".join(lines)


def print_savings(teacher: dict, student: dict, extra: Sequence[dict] = (), console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("metric", f"teacher\n{teacher['rung']}", f"student\n{student['model']}", "student gain",
                  *[f"{e['rung']}\n{e['model']}" for e in extra], title="Savings: teacher vs student (test split)")
    for row in savings_table(teacher, student, extra):
        table.add_row(*row)
    console = console or Console(width=140)
    console.print(table)
    for t in check_targets(teacher, student):
        v = "-" if t["value"] is None else f"{t['value']:.2f}"
        console.print(f"  {'✓' if t['met'] else '✗'} {t['description']}: {v}")


def write_report(out_dir: str | Path, teacher: dict, student: dict, extra: Sequence[dict] = (),
                 notes: Sequence[str] = ()) -> dict[str, Path]:
    """``savings.md``, ``savings.json`` and ``savings.html`` (charts from ladder.evals.report)."""
    from ..evals.report import write_html

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "savings.md"
    md.write_text(markdown(teacher, student, extra) + "\n", encoding="utf-8")
    js = out_dir / "savings.json"
    js.write_text(json.dumps({"teacher": teacher, "student": student, "extra": list(extra),
                              "targets": check_targets(teacher, student)}, indent=1, ensure_ascii=False))
    rows = [teacher, student, *extra]
    table = savings_table(teacher, student, extra)
    head = ["metric", "teacher", "student", "student gain", *[e["rung"] for e in extra]]
    extra_html = ("<h2>Savings</h2><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
                  + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in table)
                  + "</table>")
    met = check_targets(teacher, student)
    verdict = "; ".join(f"{t['description']}: {'met' if t['met'] else 'missed'}" for t in met)
    page = write_html(out_dir / "savings.html", "Distillation: teacher vs student", rows, verdict,
                      highlight=student["rung"], notes=notes, extra_html=extra_html)
    return {"markdown": md, "json": js, "html": page}
