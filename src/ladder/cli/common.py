"""What several commands share: the items to run and token prices."""

from __future__ import annotations


def examples(task, split, data, limit, seed):
    """The items to run: a split or a JSONL file, optionally a seeded random subset."""
    import random

    chosen = task.load(data) if data else task.split(split)
    if limit and limit < len(chosen):
        chosen = random.Random(seed).sample(chosen, limit)
    return chosen


def prices(price_in, price_out):
    """(USD per 1M prompt tokens, per 1M completion tokens), or None for local models."""
    return (price_in, price_out) if price_in is not None or price_out is not None else None


def short(text: str, n: int = 60) -> str:
    """One line of at most ``n`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
