"""Which model should answer `ladder rag ask`? Every model answers every question of a QA file.

    LADDER_THREADS=1 .venv/bin/python bench/bench_rag_models.py                   # 4 models, demo set
    .venv/bin/python bench/bench_rag_models.py --models smollm2,qwen2.5-coder-0.5b --modes free
    .venv/bin/python bench/bench_rag_models.py --docs examples/rag-unseen/docs --data examples/rag-unseen/qa.jsonl
    .venv/bin/python bench/bench_rag_models.py --report run1.jsonl run2.jsonl   # table from --out files

The documents are ingested once into a scratch index (under a temporary directory, or
``--index`` to reuse one); retrieval runs once per question and every model and mode gets
the same sources (``ask(..., results=...)``), so the columns compare answer models only.
Per question, the modes are interleaved (free text, then structured JSON with a
``citations`` field), so each mode's latency is paired in time with the other's.

Per model and mode:

- hit rate: the answer contains one of the item's expected strings (case-insensitive),
  as in ``ladder rag eval --answers``;
- own citations: the model itself wrote a valid [n] (free text) or a non-empty
  ``citations`` list (structured); numbers attributed by word overlap do not count;
- cites the right source: any citation (the model's or attributed) names the item's file;
  "own right" counts only the model's own citations; citations / answer shows whether
  a right source came from citing everything;
- echoes prompt: the answer repeats the prompt's instruction or a source header (a base
  model without a chat template does); "hit, echoes excluded" counts only the other hits;
- p50/p95 latency of the answer call (seconds, wall), prompt and completion tokens;
- ratios against ``--peer`` (default smollm2, free text) from the same run.

The judge (faithfulness) is off: a 135M judge passes hallucinations and the 1.5B judge
costs another call per answer on 2 shared cores; ``--judge NAME`` turns it on.
Per-question records go to ``--out`` (JSONL) so a number that surprises can be read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("LADDER_LOG", "0")

from ladder.models import get_model
from ladder.rag import ask, ingest, load_qa, open_index, search
from ladder.rag.eval import FAITHFUL, _matches

ROOT = Path(__file__).parents[1]
MODELS = "smollm2,gemma3-270m,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b"


@dataclass
class Row:
    model: str
    mode: str  # free | structured
    question: str
    hit: bool
    own: bool  # the model cited itself
    cited: bool  # any citation, attributed included
    right: bool  # a citation names the item's source
    own_right: bool  # one of the model's own citations names the item's source
    found: bool  # retrieval found something relevant (else no model call)
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    answer: str
    faithful: bool | None = None
    cites: list[int] = field(default_factory=list)
    attributed: list[int] = field(default_factory=list)  # of cites, those added by overlap
    sources: list[str] = field(default_factory=list)  # file of source 1, 2, ...


def answer_row(model, mode: str, item, idx, results, k: int, max_tokens: int, judge) -> Row:
    t0 = time.perf_counter()
    a = ask(item.question, idx, model, k=k, max_tokens=max_tokens, results=results,
            structured=mode == "structured")
    latency = time.perf_counter() - t0
    low = a.text.lower()
    by_n = {s.n: s for s in a.sources}
    r = a.response
    row = Row(model.name, mode, item.question, any(s.lower() in low for s in item.answer_contains_any),
              bool(a.by_model), bool(a.cited), any(_matches(s.path, item.source) for s in a.citations),
              any(_matches(by_n[n].path, item.source) for n in a.by_model if n in by_n), a.found,
              latency, r.prompt_tokens if r else 0, r.completion_tokens if r else 0, a.text, cites=a.cited,
              attributed=a.attributed, sources=[Path(s.path).name for s in a.sources])
    if judge is not None and a.found:
        from ladder.rag.answer import sources_block

        row.faithful = judge(item.question, a.text, context=sources_block(a.sources)).passed
    return row


def echoes(answer: str) -> bool:
    """The answer repeats the prompt (its instruction or a source header such as "[2] (file.md"),
    as a base model without a chat template does: its hits then come from copying the sources."""
    return "numbered sources" in answer or re.search(r"(^|\n)\[\d+\] \(", answer) is not None


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def summarize(rows: list[Row]) -> dict:
    n = len(rows)
    lat = [r.latency_s for r in rows if r.found]
    called = [r for r in rows if r.found]
    out = {"n": n, "hit": sum(r.hit for r in rows) / n, "own": sum(r.own for r in rows) / n,
           "cited": sum(r.cited for r in rows) / n, "right": sum(r.right for r in rows) / n,
           "own_right": sum(r.own_right for r in rows) / n,
           "p50": statistics.median(lat) if lat else 0.0, "p95": pct(lat, 0.95),
           "prompt": statistics.mean(r.prompt_tokens for r in called) if called else 0,
           "completion": statistics.mean(r.completion_tokens for r in called) if called else 0,
           "chars": statistics.mean(len(r.answer) for r in rows),
           "n_cites": statistics.mean(len(r.cites) for r in rows),
           "echo": sum(echoes(r.answer) for r in rows) / n,
           "hit_clean": sum(r.hit and not echoes(r.answer) for r in rows) / n}
    judged = [r.faithful for r in rows if r.faithful is not None]
    out["faithful"] = sum(judged) / len(judged) if judged else None
    return out


def from_records(paths: list[str]) -> dict[tuple[str, str], dict]:
    """(model, mode) -> summary from --out files, in the order first seen."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = Row(**json.loads(line))
                groups.setdefault((row.model, row.mode), []).append(row)
    return {key: summarize(rows) for key, rows in groups.items()}


def table(summary: dict[tuple[str, str], dict], peer: tuple[str, str]) -> str:
    head = ("| model | mode | hit rate | hit, echoes excluded | echoes prompt | own citations | cited (incl. attributed) | right source | "
            "own right source | citations / answer | p50 s | p95 s | prompt tok | completion tok | answer chars | "
            "hit / peer | p50 / peer |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    base = summary.get(peer)
    for (model, mode), s in summary.items():
        ratio_hit = f"{s['hit'] / base['hit']:.2f}" if base and base["hit"] else "–"
        ratio_p50 = f"{s['p50'] / base['p50']:.2f}" if base and base["p50"] else "–"
        lines.append(f"| {model} | {mode} | {s['hit']:.3f} | {s['hit_clean']:.3f} | {s['echo']:.3f} | {s['own']:.3f} | {s['cited']:.3f} | {s['right']:.3f} | "
                     f"{s['own_right']:.3f} | {s['n_cites']:.1f} | {s['p50']:.1f} | {s['p95']:.1f} | {s['prompt']:.0f} | "
                     f"{s['completion']:.0f} | {s['chars']:.0f} | {ratio_hit} | {ratio_p50} |"
                     + (f" faithful {s['faithful']:.3f}" if s["faithful"] is not None else ""))
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=MODELS, help="comma-separated model names")
    p.add_argument("--modes", default="free,structured", help="free, structured or both")
    p.add_argument("--docs", default=str(ROOT / "examples/rag-demo/docs"), help="documents to ingest")
    p.add_argument("--data", default=str(ROOT / "examples/rag-demo/qa.jsonl"), help="QA JSONL file")
    p.add_argument("--index", default=None, help="an existing index (name or .db) instead of --docs")
    p.add_argument("--peer", default="smollm2", help="model the ratios are against (its free-text row)")
    p.add_argument("-k", type=int, default=4, help="sources per answer (ladder rag ask's default)")
    p.add_argument("--max-tokens", type=int, default=120, help="answer budget (rag eval's default)")
    p.add_argument("--limit", type=int, default=None, help="first N questions only")
    p.add_argument("--judge", default=None, help="judge faithfulness with this model (slow; off by default)")
    p.add_argument("--out", default=None, help="per-question records (JSONL)")
    p.add_argument("--report", nargs="+", default=None, metavar="JSONL",
                   help="only print the table from records of earlier runs (--out files)")
    args = p.parse_args(argv)
    if args.report:
        print(table(from_records(args.report), (args.peer, "free")))
        return

    qa = load_qa(args.data)[: args.limit]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(modes) - {"free", "structured"}:
        p.error("--modes takes free and/or structured")
    print(f"load average at start: {os.getloadavg()}", flush=True)
    if args.index:
        idx = open_index(args.index)
    else:
        db = Path(tempfile.mkdtemp()) / "bench.db"
        report = ingest([args.docs], db)
        print(f"ingested {args.docs}: {len(report.added)} files, {report.chunks} chunks", flush=True)
        idx = open_index(db)
    results = [search(idx, item.question, k=args.k) for item in qa]
    print(f"{len(qa)} questions, {sum(r.relevant for r in results)} with a relevant source", flush=True)

    judge = None
    if args.judge:
        from ladder.evals.judge import PASS_FAIL, Judge

        judge = Judge(get_model(args.judge), FAITHFUL, scale=PASS_FAIL, reason_chars=160)
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(args.out, "w", encoding="utf-8")) if args.out else None
        summary = run_models(args, qa, modes, idx, results, judge, out)
    print(f"load average at end: {os.getloadavg()}")
    print()
    print(table(summary, (args.peer, "free")))
    idx.close()


def run_models(args, qa, modes, idx, results, judge, out) -> dict[tuple[str, str], dict]:
    """Every model answers every question in every mode; (model, mode) -> summary."""
    summary: dict[tuple[str, str], dict] = {}
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        model = get_model(name)
        started = time.perf_counter()
        mine: dict[str, list[Row]] = {m: [] for m in modes}
        for i, (item, res) in enumerate(zip(qa, results), 1):
            for mode in modes:
                row = answer_row(model, mode, item, idx, res, args.k, args.max_tokens, judge)
                mine[mode].append(row)
                if out:
                    out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
                    out.flush()
                flags = ("hit " if row.hit else "miss") + (" own" if row.own else "    ")
                print(f"[{name} {mode:10}] {i:2}/{len(qa)} {flags} {row.latency_s:5.1f}s "
                      f"{' '.join(row.answer.split())[:70]}", flush=True)
        for mode in modes:
            summary[(model.name, mode)] = summarize(mine[mode])
        print(f"{name}: {time.perf_counter() - started:.0f} s, load average {os.getloadavg()}", flush=True)
        model.close()
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
