"""ladder.speech.transcribe on real speech (espeak-ng) with the real Whisper base, int8 on CPU."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ladder.errors import ConfigError
from ladder.speech import AudioTooLong, Transcript, load_audio, load_whisper, transcribe


def test_an_english_expense_is_heard_with_its_amount(lunch_wav, holds_the_expense):
    t = transcribe(lunch_wav)
    assert isinstance(t, Transcript)
    assert holds_the_expense(t.text), t.text
    assert t.language == "en" and 0.5 < t.language_probability <= 1
    assert 4.0 < t.duration_s < 6.0  # the clip is 4.8 s
    assert t.segments and t.segments[0].start == 0 and t.segments[-1].end <= t.duration_s + 0.5
    assert "".join(s.text for s in t.segments).strip() == t.text
    assert t.compute_s > 0 and t.rtf == pytest.approx(t.compute_s / t.duration_s)


def test_bytes_a_file_object_and_a_given_language(lunch_wav, holds_the_expense):
    by_bytes = transcribe(lunch_wav.read_bytes(), language="EN ", beam_size=1)
    assert holds_the_expense(by_bytes.text) and by_bytes.language == "en" and by_bytes.language_probability == 1.0
    with open(lunch_wav, "rb") as f:
        assert holds_the_expense(transcribe(f, language="en").text)


def test_the_model_loads_once_per_thread_count():
    assert load_whisper() is load_whisper("whisper-1")


def encode(src, dst, codec: str = "libopus", rate: int = 48000):
    """Re-encode a clip with PyAV (the container comes from ``dst``'s extension)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        for frame in inp.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst


def test_a_browser_recording_webm_opus_is_heard_and_ogg_decodes_alike(lunch_wav, tmp_path, holds_the_expense):
    """MediaRecorder in Chromium sends webm/opus: it decodes (PyAV) to the same length and text."""
    webm, ogg = encode(lunch_wav, tmp_path / "lunch.webm"), encode(lunch_wav, tmp_path / "lunch.ogg")
    wav = load_audio(lunch_wav)
    for other in (webm, ogg):
        assert abs(len(load_audio(other)) - len(wav)) / len(wav) < 0.05, other
    t = transcribe(webm.read_bytes(), language="en")
    assert holds_the_expense(t.text), t.text


def test_not_audio_is_a_clear_error(tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio at all " * 40)
    with pytest.raises(ConfigError, match="notes.wav is not audio that can be decoded.*wav, mp3, ogg"):
        transcribe(text)
    with pytest.raises(ConfigError, match="The upload is not audio"):
        transcribe(b"\x00\x01garbage" * 100)
    with pytest.raises(ConfigError, match="empty"):
        transcribe(b"")
    with pytest.raises(ConfigError, match="No audio file at"):
        transcribe(tmp_path / "missing.wav")


def test_language_codes_are_normalized():
    from ladder.speech import check_language

    assert [check_language(c) for c in (None, "EN", " ja ", "zh-TW", "zh_Hant", "yue")] == \
        [None, "en", "ja", "zh", "zh", "yue"]


def test_bad_options_are_refused_before_any_work(lunch_wav):
    with pytest.raises(ConfigError, match="Unknown language 'klingon'"):
        transcribe(lunch_wav, language="klingon")
    with pytest.raises(ConfigError, match="beam_size"):
        transcribe(lunch_wav, beam_size=0)
    with pytest.raises(ConfigError, match="temperature"):
        transcribe(lunch_wav, temperature=3)


def test_too_long_audio_is_refused_before_transcription(lunch_wav):
    with pytest.raises(AudioTooLong, match=r"4\.8 s long, over the limit of 2 s") as e:
        transcribe(lunch_wav, max_audio_s=2)
    assert e.value.limit_s == 2 and 4 < e.value.duration_s < 6


def test_importing_ladder_speech_loads_no_backend():
    code = ("import sys, ladder, ladder.speech; ladder.speech.list_speech_models(); "
            "print([m for m in ('faster_whisper', 'ctranslate2', 'av', 'tokenizers') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout
