"""`ladder serve` against its peers, in one run: a real server subprocess on loopback.

1. Prefix cache: time to first token (streaming, official openai client) for a request
   whose ~1,000-token system prompt was just used (cached) vs a fresh one (cold).
   Goal: cold / cached >= 5.
2. Overhead: the same request through HTTP (server thread on loopback serving the same
   Model object) vs a direct ``model.generate`` call, interleaved, warm prefix. Goal: <= 5%.
3. Load: N concurrent clients (default 64), each sending R short chat requests; counts
   200s, documented 429s and anything else (failures), throughput and p50/p95 latency.
   Run twice: with a queue deep enough for every client, and with the default queue (16).

    python bench/bench_server.py [--model smollm2] [--clients 64] [--requests 2] [--repeats 3]

Runs are interleaved and medians reported: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import _serve  # bench/_serve.py: `python bench/bench_server.py` puts bench/ on sys.path
import httpx
import openai

from ladder.models import get_model


def prefix(model, target_tokens: int, tag: str) -> str:
    sentence = "Policy: refunds are granted within thirty days when the receipt is shown. "
    text = f"[{tag}] You answer customer questions. "
    while model.count_tokens(text) < target_tokens:
        text += sentence
    return text


def ttft(client, model: str, system: str, question: str) -> tuple[float, int]:
    start = time.perf_counter()
    first, cached = None, 0
    for chunk in client.chat.completions.create(
            model=model, max_tokens=4, temperature=0, stream=True, stream_options={"include_usage": True},
            messages=[{"role": "system", "content": system}, {"role": "user", "content": question}]):
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - start
        if chunk.usage:
            cached = chunk.usage.prompt_tokens_details.cached_tokens
    return first if first is not None else time.perf_counter() - start, cached


def bench_prefix(client, local, name: str, repeats: int) -> None:
    cold, warm, hits = [], [], []
    for i in range(repeats):
        system = prefix(local, 1000, f"session {i} {time.time_ns()}")  # new text at the very start: cold
        t_cold, _ = ttft(client, name, system, "Can I get a refund?")
        t_warm, cached = ttft(client, name, system, "How long do refunds take?")
        cold.append(t_cold), warm.append(t_warm), hits.append(cached)
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"[prefix] prompt ~{local.count_tokens(system)} tokens; TTFT cold {c * 1000:.0f} ms, "
          f"cached {w * 1000:.0f} ms (cached_tokens {hits}); cold/cached = {c / w:.1f}x (goal >= 5x)", flush=True)
    # Two clients interleaving different prefixes: the single cache slot is evicted each time.
    a, b = (prefix(local, 1000, f"client {k} {time.time_ns()}") for k in "AB")
    ttft(client, name, a, "Q1"), ttft(client, name, b, "Q1")
    t_a, cached_a = ttft(client, name, a, "Q2")
    print(f"[prefix] interleaved A, B, A: the second A reuses {cached_a} tokens, TTFT {t_a * 1000:.0f} ms "
          "(one cache slot per model)", flush=True)


def in_process_server(model):
    """The server on loopback in a thread, serving this very Model object (same weights,
    same KV cache), so HTTP vs direct differs only by the server's own work."""
    from ladder.server import ServerConfig, create_app
    from ladder.server.app import running

    return running(create_app(ServerConfig(), models={model.name: model}))


def bench_overhead(local, name: str, repeats: int) -> None:
    with in_process_server(local) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=300)
        _overhead(client, local, name, repeats)


def _overhead(client, local, name: str, repeats: int) -> None:
    messages = [{"role": "system", "content": "You are brief."},
                {"role": "user", "content": "Write one sentence about tea."}]

    def http():
        return client.chat.completions.create(model=name, messages=messages, max_tokens=32, temperature=0)

    def direct():
        return local.generate(messages, max_tokens=32, temperature=0)

    http(), direct()  # warm: load, prefix cache
    ratios, times = [], {"http": [], "direct": []}
    for i in range(repeats):  # paired, order alternating: drift on a shared machine cancels out
        pair = {}
        for kind in (("http", "direct") if i % 2 == 0 else ("direct", "http")):
            start = time.perf_counter()
            r = http() if kind == "http" else direct()
            pair[kind] = time.perf_counter() - start
            times[kind].append(pair[kind])
        ratios.append(pair["http"] / pair["direct"])
    h, p = statistics.median(times["http"]), statistics.median(times["direct"])
    print(f"[overhead] 32 tokens, {repeats} pairs; HTTP {h * 1000:.0f} ms vs in-process {p * 1000:.0f} ms (medians); "
          f"median paired overhead {100 * (statistics.median(ratios) - 1):+.1f}% (goal <= 5%)", flush=True)


async def load(url: str, name: str, clients: int, per_client: int) -> dict:
    statuses, latencies = [], []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        async def one_client(c: int):
            for k in range(per_client):
                start = time.perf_counter()
                r = await http.post("/v1/chat/completions", json={
                    "model": name, "max_tokens": 8, "temperature": 0,
                    "messages": [{"role": "user", "content": f"Client {c} request {k}: name a color."}]})
                statuses.append(r.status_code)
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - start)
                elif r.status_code == 429:
                    assert int(r.headers["retry-after"]) >= 1
                    await asyncio.sleep(float(r.headers["retry-after"]))

        start = time.perf_counter()
        await asyncio.gather(*(one_client(c) for c in range(clients)))
        elapsed = time.perf_counter() - start
    ok = statuses.count(200)
    q = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else [0] * 19
    return {"sent": len(statuses), "ok": ok, "429": statuses.count(429),
            "failed": len(statuses) - ok - statuses.count(429), "seconds": elapsed, "rps": ok / elapsed,
            "p50": statistics.median(latencies) if latencies else 0, "p95": q[18]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--requests", type=int, default=2, help="requests per client")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--parts", default="overhead,prefix,load", help="comma-separated subset to run")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    os.environ.setdefault("LADDER_LOG_DB", "/tmp/ladder_bench_server_log.db")  # keep the user's log clean
    local = get_model(args.model)
    if "overhead" in parts:
        bench_overhead(local, args.model, 4 * args.repeats + 1)
    for max_queue in (args.clients, 16) if parts & {"prefix", "load"} else ():
        with _serve.serve("--model", args.model, "--max-queue", str(max_queue), timeout_s=120) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=300)
            if max_queue == args.clients and "prefix" in parts:
                bench_prefix(client, local, args.model, args.repeats)
            if "load" not in parts:
                break
            r = asyncio.run(load(url, args.model, args.clients, args.requests))
            print(f"[load] {args.clients} clients x {args.requests} requests, --max-queue {max_queue}: "
                  f"{r['ok']} ok, {r['429']} documented 429s, {r['failed']} failed; {r['rps']:.2f} req/s; "
                  f"latency p50 {r['p50']:.2f} s, p95 {r['p95']:.2f} s; {r['seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
