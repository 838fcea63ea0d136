"""`ladder transcribe` and the speech model in `ladder models`, through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ladder.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_transcribe_prints_the_text_and_its_timing(lunch_wav, holds_the_expense):
    result = run("transcribe", str(lunch_wav))
    assert result.exit_code == 0, result.output
    assert holds_the_expense(result.stdout), result.stdout
    assert "whisper-base · en (detected" in result.stderr and "RTF" in result.stderr


def test_transcribe_json(lunch_wav, holds_the_expense):
    result = run("transcribe", str(lunch_wav), "--language", "en", "--json", "--beam-size", "1")
    assert result.exit_code == 0, result.output
    t = json.loads(result.stdout)
    assert holds_the_expense(t["text"]) and t["language"] == "en" and t["language_probability"] == 1.0
    assert {"duration_s", "compute_s", "rtf", "segments", "model"} <= set(t)


def test_errors_are_one_line_without_a_traceback(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio " * 100)
    for args, said in ((["transcribe", str(notes)], "is not audio that can be decoded"),
                       (["transcribe", str(tmp_path / "none.wav")], "No audio file at"),
                       (["transcribe", str(notes), "--language", "xx"], "Unknown language 'xx'"),
                       (["transcribe", str(notes), "--model", "whisper-9"], "Unknown speech model")):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert said in result.stderr and "Traceback" not in result.output


def test_help_has_examples():
    result = run("transcribe", "--help")
    assert result.exit_code == 0 and "ladder transcribe memo.wav" in result.output and "--language" in result.output


def test_models_lists_whisper_base_as_a_speech_model():
    result = run("models", "--json")
    (whisper,) = [m for m in json.loads(result.stdout) if m["name"] == "whisper-base"]
    assert whisper["available"] and whisper["backend"] == "faster-whisper"
    assert whisper["description"].startswith("speech:")
