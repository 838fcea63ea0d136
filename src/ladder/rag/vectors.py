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

    ``nearest`` takes ``oversample * k`` candidates (at least 200) by Hamming distance
    over the bits (32x less to scan than float32), then ranks them by exact cosine from
    the float rows. The Hamming scan runs in numpy over a copy of the bit table kept in
    memory (48 bytes a chunk for 384 dimensions: 4.8 MB at 100k chunks), reloaded when
    this connection writes or ``PRAGMA data_version`` says another one did: vec0's own
    bit KNN measured 73 ms median at 100k chunks, the numpy scan a few ms. Exact
    brute-force float KNN in vec0 measured ~10x slower at 10k chunks on this machine
    (bench/RESULTS.md); the price of the bits is that a true neighbour outside the
    candidate set is missed (measured in the bench).

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
        self._bits: tuple[int, np.ndarray, np.ndarray] | None = None  # (data_version, ids, packed bits)
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
        self._bits = None

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
        self._bits = None

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
        self._bits = None

    def _floats(self, ids) -> tuple[list[int], np.ndarray]:
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(f"SELECT id, embedding FROM {self.table} WHERE id IN ({marks})",
                                 tuple(map(int, ids))).fetchall()
        if not rows:
            return [], np.zeros((0, self.dim), np.float32)
        return [r[0] for r in rows], np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, self.dim)

    def _bit_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, bits as uint8 rows) of every stored vector, cached until the data changes."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if self._bits is None or self._bits[0] != version:
            rows = self.conn.execute(f"SELECT rowid, embedding FROM {self.table}_bits").fetchall()
            ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
            bits = np.frombuffer(b"".join(r[1] for r in rows), np.uint8).reshape(len(rows), self.dim // 8)
            self._bits = (version, ids, bits)
        return self._bits[1], self._bits[2]

    def candidates(self, vector: np.ndarray, n: int) -> list[int]:
        """The n ids nearest by Hamming distance between sign bits of (vector - center)."""
        ids, bits = self._bit_table()
        if not len(ids):
            return []
        q = np.packbits((np.asarray(vector, np.float32) - self._center()[0]) > 0, bitorder="little")
        if bits.shape[1] % 8 == 0:  # 64 bits at a time
            bits, q = bits.view(np.uint64), q.view(np.uint64)
        dist = np.bitwise_count(bits ^ q).sum(axis=1, dtype=np.int32)
        if n < len(ids):
            top = np.argpartition(dist, n)[:n]
            return ids[top[np.argsort(dist[top], kind="stable")]].tolist()
        return ids[np.argsort(dist, kind="stable")].tolist()

    def nearest(self, vector, k):
        q = np.asarray(vector, dtype=np.float32)
        cand = self.candidates(q, int(max(k * self.oversample, 200)))
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
