"""The vector side of an Index, behind a small interface.

``VectorStore`` is what search needs: add, delete, nearest, similarity. The embedded
default, ``SqliteVecStore``, keeps the vectors in a sqlite-vec ``vec0`` table in the
same SQLite file and connection as the chunks, so adding a file's chunks and their
vectors is one transaction. A store backed by a vector database server (Qdrant, ...)
implements the same four methods; it cannot share the SQLite transaction, so ingest
would write vectors before committing the chunk rows and re-ingest repairs leftovers.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class VectorStore(Protocol):
    def add(self, ids: list[int], vectors: np.ndarray) -> None: ...

    def delete(self, ids: list[int]) -> None: ...

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest ids with cosine similarity, best first."""
        ...

    def similarity(self, ids: list[int], vector: np.ndarray) -> dict[int, float]: ...

    def count(self) -> int: ...

    def maybe_recenter(self) -> bool:
        """Housekeeping after an ingest (a server-backed store can do nothing)."""
        ...


class SqliteVecStore:
    """Vectors in the index's own SQLite connection, two tables:

        vectors(id, embedding BLOB)        float32, exact: rescoring and similarity
        vectors_bits  vec0(bit[dim])       sign bits (sqlite-vec binary quantization)

    ``nearest`` takes ``oversample * k`` candidates by Hamming distance over the bits
    (32x less to scan than float32), then ranks them by exact cosine from the float
    rows. Exact brute-force float KNN in vec0 measured ~10x slower at 10k chunks on this
    machine and would miss the 50 ms target at 100k (bench/RESULTS.md); the price is
    that a true neighbour outside the candidate set is missed (measured in the bench).

    Bits are taken of ``vector - center``: e5 embeddings share a large common component
    (the mean of the demo corpus' vectors has norm 0.88) and, uncentred, a third of the
    sign bits were the same for every chunk. The center is the mean of the stored
    vectors, recomputed (and all bits rebuilt) by ``recenter`` whenever the store has
    doubled since the last time; ingest calls ``maybe_recenter`` at the end.
    """

    def __init__(self, conn, dim: int, table: str = "vectors", oversample: int = 10):
        if dim % 8:
            from ..errors import ConfigError

            raise ConfigError(f"Vector dimension {dim} is not a multiple of 8 (needed for bit vectors).")
        self.conn, self.dim, self.table, self.oversample = conn, dim, table, oversample
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)")
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_bits USING vec0(embedding bit[{dim}])")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table}_center (id INTEGER PRIMARY KEY CHECK (id = 1), "
                     "embedding BLOB NOT NULL, n INTEGER NOT NULL)")

    def _center(self) -> tuple[np.ndarray, int]:
        row = self.conn.execute(f"SELECT embedding, n FROM {self.table}_center").fetchone()
        return (np.frombuffer(row[0], np.float32), row[1]) if row else (np.zeros(self.dim, np.float32), 0)

    def _bits_rows(self, ids, vectors, center):
        return [(int(i), (v - center).astype(np.float32).tobytes()) for i, v in zip(ids, vectors)]

    def add(self, ids, vectors):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = [(int(i), v.tobytes()) for i, v in zip(ids, vectors)]
        self.conn.executemany(f"INSERT INTO {self.table}(id, embedding) VALUES (?, ?)", rows)
        self.conn.executemany(f"INSERT INTO {self.table}_bits(rowid, embedding) VALUES (?, vec_quantize_binary(?))",
                              self._bits_rows(ids, vectors, self._center()[0]))

    def recenter(self) -> None:
        """Center = mean of all stored vectors; rebuild every bit vector (one transaction)."""
        with self.conn:
            total, n = np.zeros(self.dim, np.float64), 0
            for (blob,) in self.conn.execute(f"SELECT embedding FROM {self.table}"):
                total += np.frombuffer(blob, np.float32)
                n += 1
            center = (total / max(n, 1)).astype(np.float32)
            self.conn.execute(f"INSERT OR REPLACE INTO {self.table}_center VALUES (1, ?, ?)", (center.tobytes(), n))
            self.conn.execute(f"DELETE FROM {self.table}_bits")
            batch: list[tuple[int, bytes]] = []
            for i, blob in self.conn.execute(f"SELECT id, embedding FROM {self.table}").fetchall():
                batch.append((i, (np.frombuffer(blob, np.float32) - center).tobytes()))
            self.conn.executemany(f"INSERT INTO {self.table}_bits(rowid, embedding) "
                                  "VALUES (?, vec_quantize_binary(?))", batch)

    def maybe_recenter(self) -> bool:
        """Recenter when the store has at least doubled since the center was computed."""
        n = self.conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]
        if n and n >= 2 * self._center()[1]:
            self.recenter()
            return True
        return False

    def delete(self, ids):
        rows = [(int(i),) for i in ids]
        self.conn.executemany(f"DELETE FROM {self.table} WHERE id = ?", rows)
        self.conn.executemany(f"DELETE FROM {self.table}_bits WHERE rowid = ?", rows)

    def _floats(self, ids) -> tuple[list[int], np.ndarray]:
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(f"SELECT id, embedding FROM {self.table} WHERE id IN ({marks})",
                                 tuple(map(int, ids))).fetchall()
        if not rows:
            return [], np.zeros((0, self.dim), np.float32)
        return [r[0] for r in rows], np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, self.dim)

    def nearest(self, vector, k):
        q = np.asarray(vector, dtype=np.float32)
        cand = [r[0] for r in self.conn.execute(
            f"SELECT rowid FROM {self.table}_bits WHERE embedding MATCH vec_quantize_binary(?) AND k = ?",
            ((q - self._center()[0]).tobytes(), int(max(k * self.oversample, 100)))).fetchall()]
        if not cand:
            return []
        ids, mat = self._floats(cand)
        sims = mat @ q
        best = np.argsort(-sims)[:k]
        return [(ids[i], float(sims[i])) for i in best]

    def similarity(self, ids, vector):
        if not ids:
            return {}
        found, mat = self._floats(ids)
        return dict(zip(found, map(float, mat @ np.asarray(vector, dtype=np.float32))))

    def count(self):
        n = self.conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]
        bits = self.conn.execute(f"SELECT count(*) FROM {self.table}_bits").fetchone()[0]
        return n if n == bits else -1  # -1: the two tables disagree (Index.check reports it)
