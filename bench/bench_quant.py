"""Quantization study: the merged student at q8_0, Q5_K_M, Q4_K_M and Q4_1 on the same test items.

    LADDER_LLAMA_CPP=<llama.cpp checkout or the llama-cpp-python sdist's vendor/llama.cpp> \\
    .venv/bin/python bench/bench_quant.py --student <data dir>/students/expenses-student --task expenses

    # reduced: 20 items, the weight-level study only on the first 4 blocks
    .venv/bin/python bench/bench_quant.py --student ... --task expenses --test-limit 20 --blocks 4

``--student`` is a ``ladder distill`` output dir (``…/students/<name>``) or its ``student/``
subdir (a ``train`` output: ``adapter/``, ``train.json``). In one run:

  1. merged weights: ``student/merged`` (export.export_merged; made from the adapter if missing)
  2. an f32 GGUF of them through llama.cpp's converter (``--source f16`` for a smaller one),
     then q8_0, Q5_K_M and Q4_K_M from that file with ``llama_cpp.llama_model_quantize``
     (export.quantize_gguf: llama-quantize in-process; the converter stops at q8_0), and
     Q4_1;
     plus a control, Q4_K_M re-quantized from the q8_0 file (``allow_requantize``)
  3. each GGUF served through llama.cpp as the ``student`` rung on the same test items
     (ladder.evals.evaluate): quality, p50, items/s, file size, ratios vs q8_0
  4. the weight-level study of the old note "re-quantizing a merged fine-tune to Q4_1
     erased the fine-tune": for every LoRA-targeted tensor, the fine-tune's change
     delta = merged - base (the base as the bundled GGUF holds it) and how much of it
     each quantized file keeps, ``retention = <Q(merged) - base, delta> / <delta, delta>``
     (1: all kept, 0: erased), next to a control where the base is moved off its grid
     (numpy quantizers of gguf-py, for the types they implement).

Why the study separates the two causes. The bundled bases are already quantized (SmolLM2
Q4_1; Gemma 3 270M "Q4_K_M", in fact mostly Q5_0: 640 columns are not a multiple of the
256 a K-quant block needs, so llama.cpp falls back, and a "Q4_K_M" of the student gets
the same per-tensor types). The merged weights are ``base_q + delta``, each base weight
on its block's grid; quantizing to the base's own type recomputes nearly the same block
scales, and every weight whose |delta| is under half a step rounds back to where it was:
the fine-tune snaps back. A base off the grid (the original bf16 weights, which we do not
ship) keeps the delta on average. The off-grid control measures exactly that difference.

First numbers (a 1-step SmolLM2 smoke student, |delta| / |base| = 0.0004, 210 tensors, base
all Q4_1; quality not meaningful at one step): re-quantized to Q4_1, the base's own type,
2.7 % of delta survives; the same delta on the base moved off its grid, 99.5 %. So the
note's erasure is the re-quantization onto an already-quantized base's grid, not 4 bits as
such: this student's "Q4_K_M" (mostly Q5_0 by fallback, a grid that does not line up with
Q4_1's) kept 91 %, q8_0 100.6 %, while "Q5_K_M" (mostly Q5_1, whose grid nearly contains
Q4_1's: the same block min and max, 31 steps against 15) kept only 11.6 %. Which types
line up depends on the base. Gemma 3 270M (base mostly Q5_0), with a synthetic rank-16
delta of |delta| / |W| = 0.001 on the Q5_0 tensors of the first 4 blocks (numpy
quantizers): Q5_0 again (what a student "Q4_K_M" gives those tensors) keeps 3 %, Q5_1
(Q5_K_M's fallback) 133 %, Q8_0 89 %; Q4_0 5,200 % (its steps are exactly twice Q5_0's,
so half the weights sit on a rounding tie that the delta's sign decides: amplified, not
kept). Expect the Gemma student's Q4_K_M to lose the fine-tune and its Q5_K_M to keep
it; the run measures quality on the real student. Retention above 1 means overshoot.

Prints one table and a JSON line (``--json`` for only the JSON). CPU only here; needs
llama-cpp-python, transformers, peft and gguf (``pip install 'llm-ladder[train,llamacpp]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

TYPES = ("q8_0", "q5_k_m", "q4_k_m", "q4_1")  # q4_1: the type of the old note
LORA_TENSORS = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")


# --- 1-2: the GGUFs ---------------------------------------------------------------------------

def student_dir(path: str | Path) -> Path:
    """``…/students/<name>`` or its ``student/`` subdir -> the dir holding adapter/ and train.json."""
    p = Path(path)
    for d in (p / "student", p):
        if (d / "train.json").is_file():
            return d
    raise SystemExit(f"{path}: no train.json here or in student/ (give a `ladder distill --out` or `ladder train --out` dir)")


def merged_dir(student: Path) -> Path:
    from ladder.distill.export import export_merged

    merged = student / "merged"
    if not (merged / "config.json").is_file():
        train = json.loads((student / "train.json").read_text())
        export_merged(student / "adapter", merged, train["base"]["source"])
    return merged


def make_ggufs(merged: Path, out: Path, types=TYPES, source: str = "f32", control: bool = True,
               threads: int | None = None) -> dict[str, Path]:
    """{label: GGUF}: the converter's ``source`` file, each of ``types`` quantized from it, and
    (control) Q4_K_M re-quantized from the q8_0 file. Files already there are reused."""
    from ladder.distill.export import merged_to_gguf, quantize_gguf

    out.mkdir(parents=True, exist_ok=True)
    src = out / f"student.{source}.gguf"
    if not src.is_file():
        merged_to_gguf(merged, src, source)
    files = {source: src}
    for t in types:
        files[t] = out / f"student.{t}.gguf"
        if not files[t].is_file():
            quantize_gguf(src, files[t], t, threads=threads)
    if control and "q8_0" in files:
        files["q4_k_m<-q8_0"] = out / "student.q4_k_m-from-q8_0.gguf"
        if not files["q4_k_m<-q8_0"].is_file():
            quantize_gguf(files["q8_0"], files["q4_k_m<-q8_0"], "q4_k_m", allow_requantize=True, threads=threads)
    return files


# --- 3: quality and speed ----------------------------------------------------------------------

def evaluate_gguf(task, path: Path, name: str, chat_format: str | None, items) -> dict:
    from ladder.distill.student import Student
    from ladder.evals import evaluate
    from ladder.models.llamacpp import LlamaCppModel

    model = LlamaCppModel(path, name, chat_format=chat_format)
    rung = Student(model=model)
    rung.name = "student"
    t0 = time.perf_counter()
    res = evaluate(task, rung, model, items, data="test", progress=False)
    wall = time.perf_counter() - t0
    model.close()
    s = res.summary
    return {"quality": s["quality"], "quality_ci": s["quality_ci"], "valid_rate": s["valid_rate"],
            "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"], "items_per_s": len(items) / wall,
            "size_mb": path.stat().st_size / 1e6, "n": len(items)}


# --- 4: does the fine-tune survive? ------------------------------------------------------------

def tensors(path: Path, blocks: int | None = None) -> dict[str, tuple[str, "object"]]:
    """{name: (ggml type, float32 array)} of the LoRA-targeted weights of a GGUF, dequantized."""
    import gguf
    import numpy as np
    from gguf.quants import dequantize

    out = {}
    for t in gguf.GGUFReader(str(path)).tensors:
        parts = t.name.split(".")
        if len(parts) == 4 and parts[0] == "blk" and parts[2] in LORA_TENSORS:
            if blocks is not None and int(parts[1]) >= blocks:
                continue
            out[t.name] = (t.tensor_type.name, np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32))
    return out


def retention(base, merged, quantized) -> float:
    """Share of the fine-tune's change a quantized tensor keeps: <Q - base, delta> / <delta, delta>."""
    import numpy as np

    delta = (merged - base).astype(np.float64).ravel()
    dd = float(delta @ delta)
    return float((quantized - base).astype(np.float64).ravel() @ delta) / dd if dd else float("nan")


def off_grid(base, rng, block: int = 32):
    """The base moved off its quantization grid: each weight shifted by up to half a step of
    a 4-bit block over its row block ((max - min) / 15 / 2), as the original weights lie."""
    import numpy as np

    rows = base.reshape(-1, block)
    step = (rows.max(1, keepdims=True) - rows.min(1, keepdims=True)) / 15
    return (rows + rng.uniform(-0.5, 0.5, rows.shape) * step).reshape(base.shape).astype(np.float32)


def weight_study(base_gguf: Path, files: dict[str, Path], source: str, blocks: int | None = None,
                 seed: int = 0) -> dict:
    """Per quantized file: retention of delta (pooled over tensors) and the per-tensor types;
    plus, for the numpy-quantizable types, same-type re-quantization on grid vs off grid."""
    import numpy as np
    from gguf import GGMLQuantizationType as Q
    from gguf.quants import dequantize, quantize

    base = tensors(base_gguf, blocks)
    merged = tensors(files[source], blocks)
    names = sorted(set(base) & set(merged))

    def pooled(get) -> float:
        num = den = 0.0
        for n in names:
            delta = (merged[n][1] - base[n][1]).astype(np.float64).ravel()
            num += float((get(n) - base[n][1]).astype(np.float64).ravel() @ delta)
            den += float(delta @ delta)
        return num / den if den else float("nan")

    out: dict = {"tensors": len(names), "base_types": _count(base[n][0] for n in names),
                 "delta_rel_norm": _rel_norm(base, merged, names), "files": {}}
    for label, path in files.items():
        if label == source:
            continue
        q = tensors(path, blocks)
        same = sum(q[n][0] == base[n][0] for n in names) / len(names)
        out["files"][label] = {"retention": pooled(lambda n: q[n][1]), "same_type_as_base": same,
                               "types": _count(q[n][0] for n in names)}
    # control: re-quantize to the base's own type, on grid (as shipped) vs moved off grid
    rng = np.random.default_rng(seed)
    numpy_types = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"}
    on_num = on_den = off_num = off_den = 0.0
    for n in names:
        kind, b = base[n]
        if kind not in numpy_types:
            continue
        t = Q[kind]
        delta = (merged[n][1] - b).astype(np.float64).ravel()
        on = dequantize(quantize(merged[n][1], t), t)
        on_num += float((on - b).astype(np.float64).ravel() @ delta)
        on_den += float(delta @ delta)
        b_off = off_grid(b, rng)
        off = dequantize(quantize(b_off + (merged[n][1] - b), t), t) - dequantize(quantize(b_off, t), t)
        off_num += float(off.astype(np.float64).ravel() @ delta)
        off_den += float(delta @ delta)
    out["control_same_type"] = {"on_grid_retention": on_num / on_den if on_den else None,
                                "off_grid_retention": off_num / off_den if off_den else None}
    return out


def _count(kinds) -> dict[str, int]:
    from collections import Counter

    return dict(Counter(kinds).most_common())


def _rel_norm(base, merged, names) -> float:
    import numpy as np

    d = sum(float(np.sum((merged[n][1] - base[n][1]).astype(np.float64) ** 2)) for n in names)
    w = sum(float(np.sum(base[n][1].astype(np.float64) ** 2)) for n in names)
    return (d / w) ** 0.5 if w else float("nan")


# --- the run -----------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--student", required=True, help="a ladder distill/train output dir")
    ap.add_argument("--task", default=None, help="task name (default: the student's name up to -student)")
    ap.add_argument("--types", default=",".join(TYPES))
    ap.add_argument("--source", default="f32", choices=["f32", "f16", "bf16"],
                    help="converter output to quantize from (f32: the delta is exact; f16 rounds it)")
    ap.add_argument("--test-limit", type=int, default=60)
    ap.add_argument("--blocks", type=int, default=None, help="weight study: only the first N blocks (speed)")
    ap.add_argument("--out", default=None, help="where the GGUFs go (default <student>/quant)")
    ap.add_argument("--no-eval", action="store_true", help="only the GGUFs and the weight study")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    args = ap.parse_args(argv)

    from ladder.tasks import load_task

    student = student_dir(args.student)
    train = json.loads((student / "train.json").read_text())
    base = train["base"]
    task_name = args.task or Path(args.student).resolve().name.split("-student")[0]
    task = load_task(task_name)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, flush=True))
    log(f"student {student} (base {base['name']}); task {task.name}; load average {os.getloadavg()}")

    t0 = time.perf_counter()
    files = make_ggufs(merged_dir(student), Path(args.out or student / "quant"), tuple(args.types.split(",")),
                       args.source)
    log(f"GGUFs in {time.perf_counter() - t0:.0f} s: " + ", ".join(f"{k} {v.stat().st_size / 1e6:.0f} MB"
                                                                    for k, v in files.items()))
    t0 = time.perf_counter()
    study = weight_study(Path(base["gguf"]), files, args.source, args.blocks) if base.get("gguf") else None
    log(f"weight study in {time.perf_counter() - t0:.0f} s")

    rows: dict[str, dict] = {}
    if not args.no_eval:
        items = task.split("test")[: args.test_limit]
        for label, path in files.items():
            if label == args.source:
                continue
            rows[label] = evaluate_gguf(task, path, f"{task.name}-student-{label}", base.get("chat_format"), items)
            log(f"  {label}: quality {rows[label]['quality']:.3f}, p50 {rows[label]['p50_ms']:.0f} ms")
    ref = rows.get("q8_0")
    for r in rows.values():
        if ref:
            r["quality_vs_q8_0_points"] = (r["quality"] - ref["quality"]) * 100
            r["p50_vs_q8_0"] = r["p50_ms"] / ref["p50_ms"] if ref["p50_ms"] else None
            r["size_vs_q8_0"] = r["size_mb"] / ref["size_mb"]
            r["within_1_point_of_q8_0"] = r["quality_vs_q8_0_points"] >= -1
    if not args.json:
        _print(rows, study)
    print(json.dumps({"bench": "quant", "student": str(student), "task": task.name, "rows": rows,
                      "weights": study}, default=float))
    return 0


def _print(rows: dict, study: dict | None) -> None:
    if rows:
        print(f"\n{'file':<14}{'quality %':>10}{'vs q8_0':>9}{'p50 ms':>8}{'p50/q8':>8}{'items/s':>9}"
              f"{'MB':>6}{'MB/q8':>7}")
        for label, r in rows.items():
            print(f"{label:<14}{r['quality'] * 100:>10.1f}{r.get('quality_vs_q8_0_points', 0):>+9.1f}"
                  f"{r['p50_ms']:>8.0f}{r.get('p50_vs_q8_0') or 0:>8.2f}{r['items_per_s']:>9.2f}"
                  f"{r['size_mb']:>6.0f}{r.get('size_vs_q8_0', 0):>7.2f}")
    if study:
        print(f"\nfine-tune delta: |delta| / |base| = {study['delta_rel_norm']:.4f} over {study['tensors']} "
              f"LoRA-targeted tensors; base types {study['base_types']}")
        for label, f in study["files"].items():
            print(f"  {label:<14} keeps {f['retention'] * 100:6.1f} % of delta; same type as base for "
                  f"{f['same_type_as_base'] * 100:.0f} % of tensors {f['types']}")
        c = study["control_same_type"]
        if c["on_grid_retention"] is not None:
            print(f"  control, re-quantized to the base's own type: on grid (as shipped) keeps "
                  f"{c['on_grid_retention'] * 100:.1f} %, moved off grid keeps {c['off_grid_retention'] * 100:.1f} %")


if __name__ == "__main__":
    sys.exit(main())
