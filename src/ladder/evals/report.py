"""Reports: a terminal table and a self-contained HTML page with inline SVG charts.

No JavaScript and no CDN: the HTML opens offline and can be attached to an email.
Charts: quality vs p50 latency, quality vs prompt tokens (both scatter, with the
95% CI as a vertical bar), and per-field accuracy per rung (grouped bars).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Sequence

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac"]


def fmt_quality(s: dict) -> str:
    if s.get("quality") is None:
        return "-"
    lo, hi = s["quality_ci"]
    return f"{s['quality'] * 100:.1f} ({lo * 100:.0f}-{hi * 100:.0f})"


def fmt_consistency(s: dict) -> str:
    c = s.get("consistency")
    if not c:
        return "-"
    pct = lambda v: "-" if v is None else f"{v * 100:.0f}"  # noqa: E731
    return f"{pct(c['repeat'])}/{pct(c['paraphrase'])}"


def fmt_cost(s: dict) -> str:
    if "usd_per_1k" in s:
        return f"${s['usd_per_1k']:.3f}"
    if not s.get("local", True):
        return "? (remote: give prices)"
    return f"{s['cpu_s_per_1k']:.0f} cpu-s"


def label(s: dict) -> str:
    """How a row is named in charts: "rung", or "model · rung" in a model x rung grid."""
    return s.get("label") or s["rung"]


def pareto(rows: Sequence[dict], cost) -> list[dict]:
    """The rows no other row beats on both quality (higher) and ``cost(row)`` (lower)."""
    pts = [(cost(r), r["quality"] or 0.0, r) for r in rows if cost(r) is not None]
    front = [r for c, q, r in pts if not any((c2 <= c and q2 >= q) and (c2 < c or q2 > q) for c2, q2, _ in pts)]
    return sorted(front, key=cost)


def table_rows(rows: Sequence[dict]) -> list[list[str]]:
    out = []
    for s in rows:
        cost = fmt_cost(s)
        out.append([s["rung"], s["model"], fmt_quality(s), f"{s['valid_rate'] * 100:.0f}", str(s.get("errors", 0)),
                    f"{s['p50_ms']:.0f}/{s['p95_ms']:.0f}",
                    f"{s['prompt_tokens']:.0f}/{s['completion_tokens']:.0f}", f"{s['retries']:.2f}", cost,
                    fmt_consistency(s)])
    return out


HEADERS = ["rung", "model", "quality % (95% CI)", "valid %", "errors", "p50/p95 ms", "tokens in/out", "retries",
           "cost / 1k items", "consistent % repeat/para"]


def print_table(rows: Sequence[dict], title: str = "", console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*HEADERS, title=title)
    for r in table_rows(rows):
        table.add_row(*r)
    if console is None:
        console = Console()
        if not console.is_terminal:  # piped (make demo | tee): don't squeeze to 80 columns
            console = Console(width=180)
    console.print(table)


# -- SVG charts ------------------------------------------------------------------
W, H, PAD = 560, 320, 48


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"


def _scale(v, lo, hi, a, b):
    return a + (b - a) * ((v - lo) / (hi - lo) if hi > lo else 0.5)


def scatter(rows: Sequence[dict], x_key: str, x_label: str, log_x: bool = False, front: Sequence[dict] = ()) -> str:
    import math

    pts = [(r[x_key], r["quality"] or 0.0, r.get("quality_ci") or (0, 0), label(r)) for r in rows]
    xs = [math.log10(max(p[0], 1e-3)) if log_x else p[0] for p in pts]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0, 1)
    span = (x_hi - x_lo) or 1
    x_lo, x_hi = x_lo - span * 0.08, x_hi + span * 0.08
    parts = [f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="quality vs {x_label}">',
             f'<rect x="{PAD}" y="10" width="{W - PAD - 10}" height="{H - PAD - 10}" fill="#fafafa" stroke="#ccc"/>']
    for q in (0, 0.25, 0.5, 0.75, 1.0):
        y = _scale(q, 0, 1, H - PAD, 10)
        parts.append(f'<line x1="{PAD}" x2="{W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{PAD - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{q * 100:.0f}%</text>')
    if len(front) > 1:  # the Pareto front: the best quality for its cost, as a line
        where = {id(r): i for i, r in enumerate(rows)}
        path = " ".join(f"{_scale(xs[where[id(r)]], x_lo, x_hi, PAD, W - 10):.1f},"
                        f"{_scale(r['quality'] or 0.0, 0, 1, H - PAD, 10):.1f}" for r in front if id(r) in where)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#59a14f" stroke-width="1.5" '
                     'stroke-dasharray="4 3"><title>Pareto front</title></polyline>')
    for i, ((x_raw, q, (lo, hi), name), x) in enumerate(zip(pts, xs)):
        cx = _scale(x, x_lo, x_hi, PAD, W - 10)
        color = PALETTE[i % len(PALETTE)]
        y, y_lo, y_hi = (_scale(v, 0, 1, H - PAD, 10) for v in (q, lo, hi))
        parts.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y_lo:.1f}" y2="{y_hi:.1f}" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="5" fill="{color}"><title>{html.escape(name)}: '
                     f'{q * 100:.1f}% at {x_raw:.0f} {html.escape(x_label)}</title></circle>')
        right = cx > W * 0.7  # keep labels inside the plot near the right edge
        parts.append(f'<text x="{cx + (-7 if right else 7):.1f}" y="{y - 6 - 11 * (i % 2):.1f}" font-size="10" '
                     f'text-anchor="{"end" if right else "start"}">{html.escape(name)}</text>')
    for k in range(4):  # x ticks
        xv = x_lo + (x_hi - x_lo) * (k + 0.5) / 4
        tx = _scale(xv, x_lo, x_hi, PAD, W - 10)
        tick = 10 ** xv if log_x else xv
        parts.append(f'<text x="{tx:.1f}" y="{H - PAD + 14}" font-size="10" text-anchor="middle">{_num(tick)}</text>')
    parts.append(f'<text x="{(W + PAD) / 2}" y="{H - 12}" font-size="12" text-anchor="middle">'
                 f'{html.escape(x_label)}{" (log scale)" if log_x else ""}</text>')
    parts.append(f'<text x="12" y="{H / 2}" font-size="12" transform="rotate(-90 12 {H / 2})" '
                 'text-anchor="middle">quality %</text></svg>')
    return "".join(parts)


def field_bars(rows: Sequence[dict]) -> str:
    fields = list(rows[0]["field_acc"]) if rows and rows[0].get("field_acc") else []
    if not fields:
        return ""
    group_w = (W - PAD - 10) / len(fields)
    bar_w = max(2.0, group_w * 0.8 / len(rows))
    parts = [f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="per-field accuracy">']
    for q in (0, 0.5, 1.0):
        y = _scale(q, 0, 1, H - PAD, 10)
        parts.append(f'<line x1="{PAD}" x2="{W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{PAD - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{q * 100:.0f}%</text>')
    for fi, f in enumerate(fields):
        x0 = PAD + fi * group_w + group_w * 0.1
        for ri, r in enumerate(rows):
            acc = r["field_acc"].get(f, 0.0)
            y = _scale(acc, 0, 1, H - PAD, 10)
            parts.append(f'<rect x="{x0 + ri * bar_w:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{H - PAD - y:.1f}" fill="{PALETTE[ri % len(PALETTE)]}">'
                         f'<title>{html.escape(label(r))} · {f}: {acc * 100:.1f}%</title></rect>')
        parts.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{H - PAD + 16}" font-size="12" '
                     f'text-anchor="middle">{html.escape(f)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def legend(rows: Sequence[dict]) -> str:
    return " ".join(f'<span class="key"><i style="background:{PALETTE[i % len(PALETTE)]}"></i>'
                    f'{html.escape(label(r))}</span>' for i, r in enumerate(rows))


def html_table(rows: Sequence[dict], highlight: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
    body = []
    for s, cells in zip(rows, table_rows(rows)):
        cls = ' class="pick"' if label(s) == highlight else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


CSS = """body{font:14px/1.45 system-ui,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
td:first-child,th:first-child,td:nth-child(2){text-align:left}tr.pick{background:#eaf6ea;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{text-align:center;color:#555}.key{margin-right:12px;white-space:nowrap}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px}.verdict{font-size:16px;padding:10px;
background:#f4f4f8;border-left:4px solid #4e79a7}code{background:#f3f3f3;padding:1px 4px}"""


def _cost_chart(rows: Sequence[dict], cpu_hour_usd: float | None) -> str:
    """Quality vs cost per 1k items, with the Pareto front, in the unit most rows share."""
    def usd(r):
        if "usd_per_1k" in r:
            return r["usd_per_1k"]
        return r["cpu_s_per_1k"] / 3600 * cpu_hour_usd if cpu_hour_usd is not None and r.get("local", True) else None

    def cpu(r):
        return r["cpu_s_per_1k"] if r.get("local", True) and "usd_per_1k" not in r else None

    cost, unit = (usd, "USD") if cpu_hour_usd is not None or all("usd_per_1k" in r for r in rows) else (cpu, "CPU-s")
    shown = [dict(r, _cost=cost(r)) for r in rows if cost(r) is not None]
    if not shown:
        return ""
    front = pareto(shown, lambda r: r["_cost"])
    return (f'<figure>{scatter(shown, "_cost", f"cost per 1k items, {unit}", log_x=True, front=front)}'
            f'<figcaption>Quality vs cost; dashed: the Pareto front ({", ".join(label(r) for r in front)})'
            '</figcaption></figure>')


def write_html(path: str | Path, title: str, rows: Sequence[dict], verdict: str, highlight: str | None = None,
               notes: Sequence[str] = (), extra_html: str = "", cpu_hour_usd: float | None = None) -> Path:
    """Write the self-contained report; returns its path. ``highlight`` names the
    recommended row (its label)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    notes_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>
<p class="verdict">{html.escape(verdict)}</p>
{html_table(rows, highlight)}
<div>{legend(rows)}</div>
<div class="charts">
{_cost_chart(rows, cpu_hour_usd)}
<figure>{scatter(rows, "p50_ms", "p50 latency per item, ms", log_x=True)}<figcaption>Quality vs latency</figcaption></figure>
<figure>{scatter(rows, "prompt_tokens", "prompt tokens per item", log_x=True)}<figcaption>Quality vs prompt tokens</figcaption></figure>
<figure>{field_bars(rows)}<figcaption>Per-field accuracy per rung</figcaption></figure>
</div>
{extra_html}
<ul>{notes_html}</ul>
<details><summary>Raw numbers (JSON)</summary><pre>{html.escape(json.dumps(list(rows), indent=1, ensure_ascii=False))}</pre></details>
</body></html>"""
    path.write_text(page, encoding="utf-8")
    return path
