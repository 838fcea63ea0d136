"""Proxy overhead: the same requests sent to the upstream directly and through `ladder serve
--upstream`, paired, in one run.

    upstream   `ladder serve --model MODEL` (a subprocess on loopback)
    proxy      `ladder serve --upstream <upstream>/v1` (another subprocess), capture on
    client     the official openai client; request i goes direct and through the proxy,
               the order alternating (direct first on even i, proxy first on odd i), so
               the upstream's prefix cache (the second call of a prompt reuses the first
               one's KV cache) favours each side equally often

Prints, per mode (JSON, SSE streaming): total seconds each way, the ratio proxy / direct
(goal <= 1.05), the median per-pair ratio, and the mean added milliseconds per request.

    python bench/bench_proxy.py [--model smollm2] [--requests 24] [--max-tokens 32] [--redact] [--in-process]

``--in-process`` runs the proxy in a thread of this process (ladder.server.app.running)
instead of a subprocess: one process fewer to wake per request, which on a loaded
2-core machine is most of the difference.

With ``--expenses-shadow N``: the shadow report instead. The upstream serves MODEL
(e.g. qwen2.5-coder-1.5b), the proxy runs with ``--route MODEL=STUDENT --task expenses
--shadow``, and a client sends the first N test inputs of the bundled expenses task
the way an app using a big model would (the task's long instructions as the system
prompt, the input as the user message, the output schema as response_format, the
input fields as metadata ``input.NAME``); then ``ladder shadow report --tag expenses``.
``--registry`` is a models.json that names STUDENT (read only; default: the usual one).

    python bench/bench_proxy.py --expenses-shadow 24 --model qwen2.5-coder-1.5b --registry models.json
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time

import _serve  # bench/_serve.py: `python bench/bench_proxy.py` puts bench/ on sys.path
import openai

PROMPTS = ["Name a fruit.", "What is 2 + 3?", "Say hello in French.", "Give a color.", "Name a planet.",
           "What day comes after Monday?", "Name an animal that swims.", "Say thanks in Japanese.",
           "Give a word that rhymes with cat.", "Name a musical instrument.", "What is the capital of Italy?",
           "Name a vegetable.", "Write one word about rain.", "Name a month with 30 days."]


def serve(*args, home: str):
    """``ladder serve ARGS`` with its own data dir (bench/_serve.py)."""
    return _serve.serve(*args, env={"LADDER_HOME": home})


@contextlib.contextmanager
def proxy_server(up: str, args, home: str):
    if not args.in_process:
        with serve("--upstream", f"{up}/v1", *(["--redact"] if args.redact else []), home=home) as url:
            yield url
        return
    os.environ["LADDER_HOME"] = home
    from ladder.server.app import create_app, running
    from ladder.server.config import ServerConfig

    with running(create_app(ServerConfig(models=[], upstream=f"{up}/v1", redact=args.redact))) as url:
        yield url


def call(client, model: str, prompt: str, max_tokens: int, stream: bool) -> float:
    kw = dict(model=model, messages=[{"role": "user", "content": prompt}], temperature=0, max_tokens=max_tokens,
              extra_headers={"X-Ladder-Tag": "bench"})
    start = time.perf_counter()
    if stream:
        for _ in client.chat.completions.create(stream=True, **kw):
            pass
    else:
        client.chat.completions.create(**kw)
    return time.perf_counter() - start


def measure(direct, proxied, model: str, n: int, max_tokens: int, stream: bool) -> dict:
    pairs = []
    for i in range(n):
        prompt = PROMPTS[i % len(PROMPTS)] + ("" if i < len(PROMPTS) else f" ({i})")
        if i % 2 == 0:
            d = call(direct, model, prompt, max_tokens, stream)
            p = call(proxied, model, prompt, max_tokens, stream)
        else:
            p = call(proxied, model, prompt, max_tokens, stream)
            d = call(direct, model, prompt, max_tokens, stream)
        pairs.append((d, p))
    total_d, total_p = sum(d for d, _ in pairs), sum(p for _, p in pairs)
    return {"mode": "SSE" if stream else "JSON", "requests": n, "direct_s": round(total_d, 3),
            "proxy_s": round(total_p, 3), "ratio": round(total_p / total_d, 4),
            "median_pair_ratio": round(statistics.median(p / d for d, p in pairs), 4),
            "added_ms_mean": round(1000 * (total_p - total_d) / n, 2)}


def expenses_shadow(args) -> None:
    import json

    from ladder.schema import validate
    from ladder.tasks import load_task

    task = load_task("expenses")
    items = task.split("test")[: args.expenses_shadow]
    with tempfile.TemporaryDirectory() as home_up, tempfile.TemporaryDirectory() as home_px:
        if args.registry:
            os.environ["LADDER_MODELS"] = args.registry  # the proxy resolves the student through it
        with serve("--model", args.model, home=home_up) as up, \
                serve("--upstream", f"{up}/v1", "--route", f"{args.model}={args.student}", "--task", "expenses",
                      "--shadow", home=home_px) as px:
            client = openai.OpenAI(base_url=f"{px}/v1", api_key="unused", max_retries=0, timeout=600)
            start = time.perf_counter()
            for ex in items:
                client.chat.completions.create(
                    model=args.model, temperature=0, max_tokens=task.generation.max_tokens,
                    messages=[{"role": "system", "content": task.instructions},
                              {"role": "user", "content": task.format_input(ex.input)}],
                    response_format={"type": "json_schema", "json_schema": {"name": "expense", "schema": task.schema}},
                    metadata={"tag": "expenses", **{f"input.{k}": str(v) for k, v in ex.input.items()}})
            deadline = time.monotonic() + 600
            while True:  # the student's shadow answers finish after the upstream's
                done = subprocess.run([sys.executable, "-m", "ladder.cli", "shadow", "report", "--tag", "expenses",
                                       "--json"], env={**os.environ, "LADDER_HOME": home_px}, capture_output=True,
                                      text=True)
                if done.returncode == 0 and json.loads(done.stdout)["pairs"] >= len(items) or time.monotonic() > deadline:
                    break
                time.sleep(2)
            print(f"{len(items)} expenses test inputs through the proxy in {time.perf_counter() - start:.0f} s "
                  f"(upstream {args.model}, shadow student {args.student})")
            table = subprocess.run([sys.executable, "-m", "ladder.cli", "shadow", "report", "--tag", "expenses"],
                                   env={**os.environ, "LADDER_HOME": home_px}, capture_output=True, text=True)
            print(table.stdout + table.stderr)
            report = json.loads(done.stdout)
            print(json.dumps({k: report[k] for k in ("pairs", "agreement", "fields", "metric", "upstream", "student")}))
            gold = {json.dumps(ex.input, sort_keys=True): ex.expected for ex in items}
            for side in ("upstream", "student"):  # each side against the task's gold labels
                values, per = [], {}
                for item in report["items"]:
                    output, err = validate(task.schema, item[side])
                    score = task.metric(item["input"], gold[json.dumps(item["input"], sort_keys=True)],
                                        None if err else output)
                    values.append(score.value)
                    for k, v in score.fields.items():
                        per.setdefault(k, []).append(v)
                print(f"{side} vs gold: all fields {sum(values) / len(values):.1%}; "
                      + ", ".join(f"{k} {sum(v) / len(v):.0%}" for k, v in per.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--requests", type=int, default=24)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--redact", action="store_true", help="Run the proxy with --redact.")
    ap.add_argument("--in-process", action="store_true", help="The proxy in a thread of this process.")
    ap.add_argument("--expenses-shadow", type=int, default=0, metavar="N",
                    help="Instead: the shadow report of STUDENT vs MODEL on N captured expenses requests.")
    ap.add_argument("--student", default="expenses-student-gold")
    ap.add_argument("--registry", default=None, help="models.json naming the student (read only).")
    args = ap.parse_args()
    if args.expenses_shadow:
        return expenses_shadow(args)
    with tempfile.TemporaryDirectory() as home_up, tempfile.TemporaryDirectory() as home_px:
        with serve("--model", args.model, home=home_up) as up, \
                proxy_server(up, args, home_px) as px:
            direct = openai.OpenAI(base_url=f"{up}/v1", api_key="unused", max_retries=0)
            proxied = openai.OpenAI(base_url=f"{px}/v1", api_key="unused", max_retries=0)
            for client in (direct, proxied):  # warm: weights loaded, connections open
                call(client, args.model, "Hi.", 4, False)
            rows = [measure(direct, proxied, args.model, args.requests, args.max_tokens, stream)
                    for stream in (False, True)]
    print(f"proxy overhead: {args.model}, {args.requests} paired requests per mode, max_tokens {args.max_tokens}, "
          f"temperature 0{', --redact' if args.redact else ''}; proxy {'in-process' if args.in_process else 'a subprocess'}; "
          "order alternates per pair")
    print(f"{'mode':5} {'direct s':>9} {'proxy s':>9} {'ratio':>7} {'median pair':>12} {'added ms/req':>13}")
    for r in rows:
        print(f"{r['mode']:5} {r['direct_s']:9.3f} {r['proxy_s']:9.3f} {r['ratio']:7.4f} {r['median_pair_ratio']:12.4f} "
              f"{r['added_ms_mean']:13.2f}")
    worst = max(r["ratio"] for r in rows)
    print(f"goal: ratio <= 1.05 -> {'met' if worst <= 1.05 else 'NOT met'} (worst {worst:.4f})")


if __name__ == "__main__":
    main()
