"""POST /v1/audio/transcriptions: speech to text (faster-whisper), OpenAI's shape."""

from __future__ import annotations


def mount(app, server, guarded) -> None:
    """Add this module's routes to ``app`` (nothing yet)."""
