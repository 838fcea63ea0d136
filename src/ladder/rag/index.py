"""An Index: one SQLite file holding files, chunks, an FTS5 full-text table and a
sqlite-vec vector table, side by side.

    files(id, path, hash, size, ingested_at)          one row per ingested file
    chunks(id, file_id, ord, start, end, heading, text) character spans into the file's text
    chunks_fts(terms)   rowid = chunks.id             FTS5 (see fulltext.py for tokenization)
    vectors(id, embedding)  id = chunks.id            float32 blobs (exact cosine)
    vectors_bits(embedding) rowid = chunks.id         sqlite-vec vec0 bit vectors (candidates)
    meta(key, value)    embedder, dim, fts tokenizer, schema version

Each file is replaced in one transaction (``put_file``), so a crash mid-ingest
leaves every file either fully old or fully new. The embedder used to build the
index is recorded; opening it with another one is an error that says what to do.

Where: ``<data dir>/indexes/<name>.db`` for a plain name, or any path ending in .db.
Python's stdlib sqlite3 here cannot load extensions, so this uses apsw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, require
from .chunk import Chunk
from .fulltext import TOKENIZERS, index_text, match_expression
from .vectors import SqliteVecStore, VectorStore

SCHEMA_VERSION = "1"


def index_path(name: str | Path) -> Path:
    s = str(name)
    if s.endswith(".db") or "/" in s or "\\" in s:
        return Path(s)
    from ..log import data_dir

    return data_dir() / "indexes" / f"{s}.db"


@dataclass
class StoredChunk:
    id: int
    path: str  # the file, as recorded at ingest
    ord: int  # position in its file
    start: int
    end: int
    heading: str
    text: str


class Index:
    """A RAG index in one SQLite file: documents, chunks, FTS5 full text and vectors."""

    def __init__(self, path: str | Path, *, embedder: str | None = None, dim: int | None = None,
                 fts_tokenizer: str | None = None, create: bool = True):
        apsw = require("apsw", "apsw", "rag", "A RAG index (SQLite with sqlite-vec)")
        sqlite_vec = require("sqlite_vec", "sqlite-vec", "rag", "A RAG index (vector search)")
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise ConfigError(f"No index at {self.path}. Create it with: ladder rag ingest PATH --index "
                              f"{self.path.stem}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = apsw.Connection(str(self.path))
        self.conn.enable_load_extension(True)
        self.conn.load_extension(sqlite_vec.loadable_path())
        self.conn.enable_load_extension(False)
        self.conn.setbusytimeout(10_000)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        meta = self._meta()
        if not meta:
            if embedder is None or dim is None:
                raise ConfigError(f"{self.path} is not an index yet: ingest documents into it first.")
            tok = fts_tokenizer or "jieba"
            if tok not in TOKENIZERS:
                raise ConfigError(f"Unknown full-text tokenizer {tok!r}: use one of {', '.join(TOKENIZERS)}.")
            self._create(embedder, dim, tok)
            meta = self._meta()
        self.meta = meta
        self.embedder_name, self.dim = meta["embedder"], int(meta["dim"])
        self.fts_tokenizer = meta["fts_tokenizer"]
        if embedder is not None and embedder != self.embedder_name:
            raise ConfigError(
                f"Index {self.path} was built with embedder {self.embedder_name!r}, not {embedder!r}. "
                f"Use --embedder {self.embedder_name} (or leave it out), or ingest into a new index.")
        if fts_tokenizer is not None and fts_tokenizer != self.fts_tokenizer:
            raise ConfigError(f"Index {self.path} uses full-text tokenizer {self.fts_tokenizer!r}, not "
                              f"{fts_tokenizer!r}: ingest into a new index to change it.")
        self.vectors: VectorStore = SqliteVecStore(self.conn, self.dim)

    # -- schema ------------------------------------------------------------------
    def _meta(self) -> dict[str, str]:
        has = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchall()
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall()) if has else {}

    def _create(self, embedder: str, dim: int, tok: str) -> None:
        with self.conn:
            self.conn.execute("""
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL,
                    hash TEXT NOT NULL, size INTEGER, ingested_at REAL);
                CREATE TABLE chunks (id INTEGER PRIMARY KEY,
                    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
                    ord INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
                    heading TEXT NOT NULL DEFAULT '', text TEXT NOT NULL);
                CREATE INDEX chunks_file ON chunks(file_id);""")
            self.conn.execute(f"CREATE VIRTUAL TABLE chunks_fts USING fts5(terms, tokenize='{TOKENIZERS[tok]}')")
            SqliteVecStore(self.conn, dim)
            self.conn.executemany("INSERT INTO meta VALUES (?, ?)",
                                  [("embedder", embedder), ("dim", str(dim)), ("fts_tokenizer", tok),
                                   ("schema", SCHEMA_VERSION), ("created_at", str(time.time()))])

    # -- files ---------------------------------------------------------------------
    def file_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT path, hash FROM files").fetchall())

    def _delete_chunks(self, file_id: int) -> None:
        ids = [r[0] for r in self.conn.execute("SELECT id FROM chunks WHERE file_id = ?", (file_id,))]
        self.conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
        self.vectors.delete(ids)
        self.conn.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))

    def put_file(self, path: str, hash: str, size: int, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Replace one file's chunks, full-text rows and vectors in one transaction."""
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        with self.conn:
            row = self.conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
            if row:
                self._delete_chunks(row[0])
                self.conn.execute("UPDATE files SET hash=?, size=?, ingested_at=? WHERE id=?",
                                  (hash, size, time.time(), row[0]))
                file_id = row[0]
            else:
                self.conn.execute("INSERT INTO files(path, hash, size, ingested_at) VALUES (?,?,?,?)",
                                  (path, hash, size, time.time()))
                file_id = self.conn.last_insert_rowid()
            ids = []
            for i, c in enumerate(chunks):
                self.conn.execute('INSERT INTO chunks(file_id, ord, start, "end", heading, text) '
                                  "VALUES (?,?,?,?,?,?)", (file_id, i, c.start, c.end, c.heading, c.text))
                cid = self.conn.last_insert_rowid()
                ids.append(cid)
                terms = index_text(f"{c.heading}\n{c.text}", self.fts_tokenizer)
                self.conn.execute("INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)", (cid, terms))
            self.vectors.add(ids, vectors)

    def remove_file(self, path: str) -> None:
        with self.conn:
            row = self.conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
            if row:
                self._delete_chunks(row[0])
                self.conn.execute("DELETE FROM files WHERE id = ?", (row[0],))

    # -- reading -------------------------------------------------------------------
    def chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            f'SELECT c.id, f.path, c.ord, c.start, c."end", c.heading, c.text FROM chunks c '
            f"JOIN files f ON f.id = c.file_id WHERE c.id IN ({marks})", tuple(ids)).fetchall()
        return {r[0]: StoredChunk(*r) for r in rows}

    def fulltext(self, query: str, k: int) -> list[tuple[int, float]]:
        """The k best chunk ids by BM25, with the score (higher is better)."""
        expr = match_expression(query, self.fts_tokenizer)
        if expr is None:
            return []
        rows = self.conn.execute("SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts WHERE chunks_fts "
                                 "MATCH ? ORDER BY s LIMIT ?", (expr, int(k))).fetchall()
        return [(int(i), -float(s)) for i, s in rows]

    def stats(self) -> dict:
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        return {"path": str(self.path), "files": one("SELECT count(*) FROM files"),
                "chunks": one("SELECT count(*) FROM chunks"), "embedder": self.embedder_name,
                "dim": self.dim, "fts_tokenizer": self.fts_tokenizer}

    def check(self) -> list[str]:
        """Consistency problems (empty when the index is sound)."""
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        problems = []
        n = one("SELECT count(*) FROM chunks")
        if (m := one("SELECT count(*) FROM chunks_fts")) != n:
            problems.append(f"{m} full-text rows for {n} chunks")
        if (m := self.vectors.count()) != n:
            problems.append(f"{m} vectors for {n} chunks")
        if m := one("SELECT count(*) FROM chunks WHERE file_id NOT IN (SELECT id FROM files)"):
            problems.append(f"{m} chunks without a file row")
        if m := one("SELECT count(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)"):
            problems.append(f"{m} full-text rows without a chunk")
        if m := one("SELECT count(*) FROM vectors_bits WHERE rowid NOT IN (SELECT id FROM chunks)"):
            problems.append(f"{m} vectors without a chunk")
        return problems

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_index(name: str | Path, embedder: str | None = None) -> Index:
    """Open an existing index (error if missing); ``embedder`` is checked against the recorded one."""
    return Index(index_path(name), embedder=embedder, create=False)
