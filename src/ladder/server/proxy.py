"""--upstream: forward chat completions to an OpenAI-compatible upstream, capture, route, shadow."""

from __future__ import annotations


def mount(app, server, guarded) -> None:
    """Add this module's routes to ``app`` (nothing yet)."""
