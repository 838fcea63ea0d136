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


class SqliteVecStore:
    """sqlite-vec ``vec0`` table (exact KNN, cosine distance) in the index's connection."""

    def __init__(self, conn, dim: int, table: str = "vectors"):
        self.conn, self.dim, self.table = conn, dim, table
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING "
                     f"vec0(embedding float[{dim}] distance_metric=cosine)")

    def add(self, ids, vectors):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.conn.executemany(f"INSERT INTO {self.table}(rowid, embedding) VALUES (?, ?)",
                              [(int(i), v.tobytes()) for i, v in zip(ids, vectors)])

    def delete(self, ids):
        self.conn.executemany(f"DELETE FROM {self.table} WHERE rowid = ?", [(int(i),) for i in ids])

    def nearest(self, vector, k):
        rows = self.conn.execute(
            f"SELECT rowid, distance FROM {self.table} WHERE embedding MATCH ? AND k = ? ORDER BY distance",
            (np.asarray(vector, dtype=np.float32).tobytes(), int(k))).fetchall()
        return [(int(i), 1.0 - float(d)) for i, d in rows]

    def similarity(self, ids, vector):
        if not ids:
            return {}
        q = np.asarray(vector, dtype=np.float32).tobytes()
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            f"SELECT rowid, vec_distance_cosine(embedding, ?) FROM {self.table} WHERE rowid IN ({marks})",
            (q, *map(int, ids))).fetchall()
        return {int(i): 1.0 - float(d) for i, d in rows}

    def count(self):
        return self.conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]
