"""Continued pretraining on raw text, and held-out perplexity to measure it.

``train(rows, [], out, config, corpus=True)`` with rows ``{"text": ...}`` runs the same
loop as fine-tuning on windows of ``max_length`` tokens where every token is a target;
``perplexity`` before and after (on held-out files) says whether it helped
(``ladder train --corpus``).
"""

from __future__ import annotations

import math
from pathlib import Path


def text_windows(tokenizer, text: str, max_length: int) -> list[dict]:
    """Raw text -> windows of max_length tokens (EOS at the end), every token a target.
    Windows of 8 tokens or fewer are dropped (a tail too short to learn from)."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        ids = ids + [tokenizer.eos_token_id]
    return [{"input_ids": ids[i:i + max_length], "labels": ids[i:i + max_length]}
            for i in range(0, len(ids), max_length) if len(ids[i:i + max_length]) > 8]


def encode_texts(tokenizer, rows: list[dict], max_length: int) -> list[dict]:
    """Corpus rows (``{"text": ...}``) -> encoded windows."""
    return [w for row in rows for w in text_windows(tokenizer, row["text"], max_length)]


def perplexity(base: str, texts: list[str], adapter: str | Path | None = None, max_length: int = 384) -> float:
    """Held-out perplexity of a base (optionally + adapter) on raw text."""
    from .config import resolve_base
    from .model import load_adapter, load_base, mean_loss

    model, tok = load_base(resolve_base(base))
    if adapter:
        model = load_adapter(model, adapter)
    rows = encode_texts(tok, [{"text": t} for t in texts], max_length)
    return math.exp(mean_loss(model, rows, 4, tok.pad_token_id or 0))
