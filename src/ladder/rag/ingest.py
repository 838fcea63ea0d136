"""Ingest: files -> chunks -> vectors -> Index, incrementally.

    walk PATHs (files or folders, recursively; .txt .md .html .pdf)
    for each file: sha256 of its bytes; unchanged since last time -> skip
                   read (encoding detected) -> chunk -> embed -> put_file (ONE transaction)
    files recorded under the given PATHs that are gone -> removed

Embedding happens before the transaction opens, so transactions are short and a
crash (or kill) at any point leaves the index consistent: a file is either in it
completely, at its old version, or not at all. A file that cannot be read is
reported in ``IngestReport.skipped`` and the rest goes on.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import ConfigError
from .chunk import chunk_document
from .embed import get_embedder
from .index import Index, index_path
from .read import SUFFIXES, UnreadableFile, read_document


@dataclass
class IngestReport:
    index: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    chunks: int = 0  # chunks written this time
    seconds: float = 0.0

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


def find_files(paths: list[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Supported files under ``paths`` (sorted), and the paths that do not exist."""
    found, missing = [], []
    for p in map(Path, paths):
        if p.is_dir():
            found += [f for f in sorted(p.rglob("*")) if f.is_file() and f.suffix.lower() in SUFFIXES
                      and not any(part.startswith(".") for part in f.relative_to(p).parts)]
        elif p.is_file():
            found.append(p)
        else:
            missing.append((str(p), "no such file or directory"))
    return [f.resolve() for f in found], missing


def ingest(paths: list[str | Path], index: str | Path, *, embedder: str | None = None,
           fts_tokenizer: str | None = None, max_tokens: int = 160, overlap: int = 32,
           progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
    """Bring ``index`` up to date with the files under ``paths``.

    ``progress(path, n, total)`` is called as file n starts (the CLI draws a bar).
    """
    if not paths:
        raise ConfigError("Nothing to ingest: give files or folders, e.g. ladder rag ingest docs/ --index notes")
    start = time.perf_counter()
    target = index_path(index)
    report = IngestReport(str(target))
    files, report.skipped = find_files(paths)
    existing = None
    if target.exists():
        existing = Index(target, create=False)
        emb = get_embedder(embedder or existing.embedder_name)
        existing.close()
    else:
        emb = get_embedder(embedder)
    idx = Index(target, embedder=emb.name, dim=emb.dim, fts_tokenizer=fts_tokenizer)
    try:
        known = idx.file_hashes()
        seen = set()
        for n, f in enumerate(files, 1):
            key = str(f)
            seen.add(key)
            if progress:
                progress(key, n, len(files))
            try:
                data = f.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                if known.get(key) == digest:
                    report.unchanged.append(key)
                    continue
                doc = read_document(f, data)
            except UnreadableFile as e:
                report.skipped.append((key, str(e)))
                continue
            except OSError as e:
                report.skipped.append((key, e.strerror or str(e)))
                continue
            chunks = [c for c in chunk_document(doc.text, doc.sections, max_tokens, overlap) if c.text.strip()]
            vectors = emb.passages([f"{c.heading}\n{c.text}" if c.heading else c.text for c in chunks])
            idx.put_file(key, digest, len(data), chunks, vectors)
            (report.updated if key in known else report.added).append(key)
            report.chunks += len(chunks)
        roots = [Path(p).resolve() for p in paths if Path(p).exists()]
        for key in known:
            if key not in seen and any(Path(key).is_relative_to(r) for r in roots):
                idx.remove_file(key)
                report.removed.append(key)
        idx.vectors.maybe_recenter()  # keeps the bit-vector candidates informative as the index grows
    finally:
        idx.close()
    report.seconds = time.perf_counter() - start
    return report
