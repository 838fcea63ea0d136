"""Scoring: per-field accuracy, all-fields-exact, schema validity, bootstrap CIs."""

from __future__ import annotations

import json
import random
import unicodedata
from typing import Any, Sequence


def _norm_text(v: Any) -> Any:
    if v is None:
        return None
    return "".join(unicodedata.normalize("NFKC", str(v)).casefold().split())


def field_equal(expected: Any, got: Any, comparator: str = "exact") -> bool:
    """exact: JSON-equal; casefold: case-, width- and space-insensitive, null equals
    null; number: equal within 1e-6 (1 == 1.0)."""
    if comparator == "casefold":
        return _norm_text(expected) == _norm_text(got)
    if comparator == "number":
        try:
            return abs(float(expected) - float(got)) < 1e-6
        except (TypeError, ValueError):
            return False
    return json.dumps(expected, sort_keys=True) == json.dumps(got, sort_keys=True)


def score(expected: dict, output: dict | None, fields: Sequence[str], comparators: dict[str, str]) -> dict:
    """{"fields": {name: bool}, "exact": bool, "valid": bool} for one item."""
    if output is None:
        return {"fields": {f: False for f in fields}, "exact": False, "valid": False}
    per = {f: field_equal(expected.get(f), output.get(f), comparators.get(f, "exact")) for f in fields}
    return {"fields": per, "exact": all(per.values()), "valid": True}


def bootstrap_ci(values: Sequence[float], n: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean (seeded: the same data gives the same CI)."""
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    k = len(values)
    means = sorted(sum(values[rng.randrange(k)] for _ in range(k)) / k for _ in range(n))
    lo = means[int((1 - level) / 2 * n)]
    hi = means[min(n - 1, int((1 + level) / 2 * n))]
    return (lo, hi)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
