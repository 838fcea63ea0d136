"""Real speech for the speech tests: espeak-ng renders sentences to wav files, once per session.

espeak-ng is a system package (``apt-get install espeak-ng``), not a Python one; without
it the tests that need audio are skipped with that instruction. The weights tests need
no audio and always run.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

LUNCH = "I had lunch at Subway yesterday. It cost twelve dollars."


@pytest.fixture(scope="session")
def speak(tmp_path_factory):
    """``speak(text, voice="en", speed=130) -> Path`` of a wav file espeak-ng made (cached)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): the speech tests need real audio")
    folder = tmp_path_factory.mktemp("speech")

    def make(text: str, voice: str = "en", speed: int = 130) -> Path:
        out = folder / (hashlib.sha1(f"{voice}|{speed}|{text}".encode()).hexdigest()[:12] + ".wav")
        if not out.exists():
            subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(out), text], check=True,
                           capture_output=True, timeout=60)
        return out

    return make


@pytest.fixture(scope="session")
def lunch_wav(speak) -> Path:
    """The issue's sentence, 4.8 s at 130 words per minute."""
    return speak(LUNCH)


def _holds_the_expense(text: str) -> bool:
    low = text.lower()
    return all(w in low for w in ("lunch", "subway", "yesterday")) and ("12" in low or "twelve" in low)


@pytest.fixture
def holds_the_expense():
    """``holds_the_expense(text)``: the transcript names the meal, the place and the amount
    (as digits or as a word: Whisper writes "$12" or "12 dollars")."""
    return _holds_the_expense
