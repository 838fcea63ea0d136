"""Prometheus text exposition for /metrics, without a client library.

    ladder_requests_total{path,status}            counter
    ladder_tokens_total{model,kind}               counter (kind: prompt, completion, cached)
    ladder_prefix_cache_hits_total{model}         counter: calls that reused >= 1 prompt token
    ladder_request_duration_seconds{path}         histogram
    ladder_queue_depth{model}                     gauge: requests waiting for the model
    ladder_running{model}                         gauge: requests being generated
"""

from __future__ import annotations

from collections import defaultdict

BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, float("inf"))


class Metrics:
    def __init__(self):
        self.requests: dict[tuple, int] = defaultdict(int)  # (path, status) -> count
        self.tokens: dict[tuple, int] = defaultdict(int)  # (model, kind) -> count
        self.cache_hits: dict[str, int] = defaultdict(int)  # model -> count
        self.buckets: dict[str, list[int]] = {}  # path -> counts per bucket (cumulative at render)
        self.sums: dict[str, float] = defaultdict(float)

    def request(self, path: str, status: int, seconds: float) -> None:
        self.requests[(path, status)] += 1
        counts = self.buckets.setdefault(path, [0] * len(BUCKETS))
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                counts[i] += 1
                break
        self.sums[path] += seconds

    def usage(self, model: str, prompt: int, completion: int, cached: int) -> None:
        self.tokens[(model, "prompt")] += prompt
        self.tokens[(model, "completion")] += completion
        self.tokens[(model, "cached")] += cached
        if cached:
            self.cache_hits[model] += 1

    def render(self, gates: dict) -> str:
        out = ["# TYPE ladder_requests_total counter"]
        out += [f'ladder_requests_total{{path="{p}",status="{s}"}} {n}' for (p, s), n in sorted(self.requests.items())]
        out.append("# TYPE ladder_tokens_total counter")
        out += [f'ladder_tokens_total{{model="{m}",kind="{k}"}} {n}' for (m, k), n in sorted(self.tokens.items())]
        out.append("# TYPE ladder_prefix_cache_hits_total counter")
        out += [f'ladder_prefix_cache_hits_total{{model="{m}"}} {n}' for m, n in sorted(self.cache_hits.items())]
        out.append("# TYPE ladder_request_duration_seconds histogram")
        for path, counts in sorted(self.buckets.items()):
            total = 0
            for bound, n in zip(BUCKETS, counts):
                total += n
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                out.append(f'ladder_request_duration_seconds_bucket{{path="{path}",le="{le}"}} {total}')
            out.append(f'ladder_request_duration_seconds_sum{{path="{path}"}} {self.sums[path]:.6f}')
            out.append(f'ladder_request_duration_seconds_count{{path="{path}"}} {total}')
        out.append("# TYPE ladder_queue_depth gauge")
        out += [f'ladder_queue_depth{{model="{name}"}} {g.waiting}' for name, g in sorted(gates.items())]
        out.append("# TYPE ladder_running gauge")
        out += [f'ladder_running{{model="{name}"}} {g.running}' for name, g in sorted(gates.items())]
        return "\n".join(out) + "\n"
