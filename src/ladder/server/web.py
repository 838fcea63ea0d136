"""GET /: the bookkeeping web app and the workbench (every asset served here)."""

from __future__ import annotations


def mount(app, server, guarded) -> None:
    """Add this module's routes to ``app`` (nothing yet)."""
