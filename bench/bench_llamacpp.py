"""Our llamacpp backend vs raw llama-cpp-python, same model, prompt and threads, one run.

Prints prefill and decode tokens/s for both and their ratio (goal: ours >= 0.95 of
raw for decode), and the per-token cost of constrained (JSON-schema grammar)
decoding vs unconstrained on our backend (goal: <= 10% overhead).

    python bench/bench_llamacpp.py [--model smollm2] [--repeats 5] [--max-tokens 128]

Runs are interleaved (ours, raw, ours, raw...) and medians reported, because these
machines are noisy; compare the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("LADDER_LOG", "0")  # measure the backend, not the SQLite log

from llama_cpp import Llama  # noqa: E402

from ladder.models import get_model  # noqa: E402
from ladder.models.llamacpp import model_params  # noqa: E402
from ladder.models.base import as_messages  # noqa: E402

PROMPT_BODY = ("The history of tea begins in southwest China. " * 40).strip()
ASK = "Summarize the text above in a long, detailed paragraph."
SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 80},
        "year": {"type": "integer"},
        "region": {"enum": ["china", "india", "japan", "other"]},
        "summary": {"type": "string", "maxLength": 400},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 6},
    },
    "required": ["title", "year", "region", "summary", "tags"],
    "additionalProperties": False,
}


def raw_run(llm: Llama, prompt: str, max_tokens: int) -> tuple[float, float, int, int]:
    """(prefill s, decode s, prompt tokens, completion tokens) via create_completion."""
    llm.reset()
    tokens = llm.tokenize(prompt.encode(), add_bos=True, special=True)
    start = time.perf_counter()
    first = None
    n = 0
    for _ in llm.create_completion(tokens, max_tokens=max_tokens, temperature=0.0, top_k=1, stream=True):
        n += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    return first - start, end - first, len(tokens), n


def ours_run(model, messages, max_tokens: int, schema=None):
    model.llama.reset()  # cold: no prefix reuse from the previous run
    r = model.generate(messages, max_tokens=max_tokens, schema=schema, log=False, attempts=1)
    return r.ttft_s, r.latency_s - r.ttft_s, r.prompt_tokens, r.completion_tokens


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args(argv)

    ours = get_model(args.model)
    messages = [{"role": "user", "content": f"{PROMPT_BODY}\n\n{ASK}"}]
    prompt = ours.render(as_messages(messages))
    with model_params(use_extra_bufts=ours.extra_buffers):  # the same weights layout as ours
        raw = Llama(model_path=ours.path, n_ctx=ours.n_ctx, n_threads=ours.n_threads,
                    n_threads_batch=ours.n_threads, n_batch=512, verbose=False)
    print(f"model {ours.name} ({os.path.basename(ours.path)}), threads {ours.n_threads}, "
          f"repeats {args.repeats}, max_tokens {args.max_tokens}")

    res = {"ours": [], "raw": [], "free": [], "json": []}
    ours_run(ours, messages, 8)  # warm-up both (page in weights)
    raw_run(raw, prompt, 8)
    for _ in range(args.repeats):
        res["ours"].append(ours_run(ours, messages, args.max_tokens))
        res["raw"].append(raw_run(raw, prompt, args.max_tokens))
    json_msgs = [{"role": "user", "content": f"{PROMPT_BODY}\n\nDescribe the text above as JSON."}]
    for _ in range(args.repeats):
        res["free"].append(ours_run(ours, json_msgs, args.max_tokens))
        res["json"].append(ours_run(ours, json_msgs, args.max_tokens, schema=SCHEMA))

    def rates(rows):
        prefill = statistics.median(p / t for t, _, p, _ in rows)
        decode = statistics.median((n - 1) / d for _, d, _, n in rows if n > 1)
        per_tok_ms = statistics.median(d / (n - 1) * 1000 for _, d, _, n in rows if n > 1)
        return prefill, decode, per_tok_ms, statistics.median(n for *_, n in rows)

    o, r = rates(res["ours"]), rates(res["raw"])
    f, j = rates(res["free"]), rates(res["json"])
    print(f"{'':22}{'prefill tok/s':>14}{'decode tok/s':>14}{'ms/token':>10}{'tokens':>8}")
    for label, x in [("ours", o), ("raw llama-cpp-python", r), ("ours, free text", f), ("ours, JSON schema", j)]:
        print(f"{label:22}{x[0]:14.1f}{x[1]:14.1f}{x[2]:10.2f}{x[3]:8.0f}")
    print(f"decode ratio ours/raw:   {o[1] / r[1]:.3f}  (goal >= 0.95)")
    print(f"prefill ratio ours/raw:  {o[0] / r[0]:.3f}")
    overhead = j[2] / f[2] - 1
    print(f"constrained decoding per-token overhead: {overhead * 100:+.1f}%  (goal <= 10%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
