"""Capture: the server in front of an upstream model turns its traffic into a student.

The loop (DESIGN.md, "Capture"): an app calls a big model through `ladder serve
--upstream`; each call is logged with its tag; the log becomes a Task's dataset; a
student is distilled on it; `--route` answers the upstream's model name with the
student, and `--shadow` collects the evidence to switch.

    redact.py     placeholders for e-mails, phones, card and ID numbers (+ YAML patterns), restored
    upstream.py   the OpenAI-compatible upstream: async forwarding with retries and a concurrency cap
    store.py      the exchanges table (tag, metadata, request, answer, who answered, shadow pairs)
    template.py   what a captured call means as a Task call: tag, input, output format
    dataset.py    `ladder dataset from-log`, `ladder init --from-log`
    shadow.py     `ladder shadow report`

The HTTP side (the route, streaming relay, routing and shadowing) is
ladder.server.proxy; this package holds what does not need a server.
"""

from __future__ import annotations

__all__ = ["dataset", "redact", "shadow", "store", "template", "upstream"]
