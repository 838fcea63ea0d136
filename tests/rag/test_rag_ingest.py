"""Ingest real files (PDF, Chinese, HTML), incrementally; kill an ingest midway."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ladder.errors import ConfigError
from ladder.rag import ingest, open_index


def test_ingest_reports_and_indexes_every_kind(corpus, tmp_path):
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not a pdf at all")
    (corpus / "notes.bin").write_bytes(b"\x00\x01")  # unsupported suffix: not even listed
    db = tmp_path / "i.db"
    r = ingest([corpus], db)
    assert len(r.added) == 13 and r.chunks > 13
    assert [p for p, _ in r.skipped] == [str((corpus / "broken.pdf").resolve())]
    with open_index(db) as idx:
        assert idx.check() == []
        paths = {c.path.rsplit("/", 1)[-1] for c in idx.chunks(list(range(1, 200))).values()}
        assert {"solar-kiln.pdf", "茶园.md", "熊猫基地.html", "bicycle-repair.txt"} <= paths
        pdf = [c for c in idx.chunks(list(range(1, 200))).values() if c.path.endswith(".pdf")]
        assert {c.heading for c in pdf} == {"page 1", "page 2"}


def test_reingest_is_incremental(corpus, tmp_path):
    db = tmp_path / "i.db"
    ingest([corpus], db)
    again = ingest([corpus], db)
    assert again.added == again.updated == again.removed == [] and again.chunks == 0
    assert len(again.unchanged) == 13
    (corpus / "sourdough.md").write_text("# Bread\n\nThe starter is now called Young Marta.\n")
    (corpus / "library.md").unlink()
    (corpus / "new.txt").write_text("A brand new note about kites.", encoding="utf-8")
    r = ingest([corpus], db)
    assert [p.rsplit("/", 1)[-1] for p in r.updated] == ["sourdough.md"]
    assert [p.rsplit("/", 1)[-1] for p in r.removed] == ["library.md"]
    assert [p.rsplit("/", 1)[-1] for p in r.added] == ["new.txt"]
    with open_index(db) as idx:
        assert idx.check() == []
        texts = " ".join(c.text for c in idx.chunks(list(range(1, 300))).values())
        assert "Young Marta" in texts and "Old Marta" not in texts and "laser cutter" not in texts


def test_embedder_mismatch_is_a_clear_error(corpus, tmp_path):
    db = tmp_path / "i.db"
    ingest([corpus / "古琴.txt"], db)
    with pytest.raises(ConfigError, match="built with embedder 'e5-small'.*--embedder e5-small"):
        open_index(db, embedder="minilm")


KILLABLE = """
import sys
from ladder.rag import ingest
ingest([sys.argv[1]], sys.argv[2], progress=lambda p, n, t: print(n, flush=True))
"""


@pytest.mark.slow
@pytest.mark.parametrize("after", [2, 7])
def test_killed_ingest_leaves_a_consistent_index(corpus, tmp_path, after):
    """SIGKILL an ingest as file `after` starts (earlier files committed), then check and resume."""
    db = tmp_path / "k.db"
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(corpus), str(db)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    for line in proc.stdout:
        if int(line) == after:
            time.sleep(0.05)  # land inside the next file's read/embed/transaction
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with open_index(db) as idx:
        assert idx.check() == []
        n_files = idx.stats()["files"]
        assert after - 1 <= n_files < 13
    r = ingest([corpus], db)
    assert len(r.unchanged) == n_files and len(r.added) == 13 - n_files
    with open_index(db) as idx:
        assert idx.check() == [] and idx.stats()["files"] == 13
