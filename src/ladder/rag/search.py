"""Search an Index: full-text (BM25), vector (cosine), or hybrid by reciprocal rank fusion.

    hybrid score(chunk) = sum over the two rankings of 1 / (RRF_K + rank)

Each side contributes its top ``depth`` candidates. Every hit also carries its cosine
similarity to the query, which (with the best BM25 score) decides "nothing relevant":
relevant when the best similarity reaches the embedder's ``high`` threshold, or its
``low`` one while full-text also finds a match scoring at least BM25_SUPPORT. Otherwise
``ask`` answers "not found in the documents" without asking the model to guess.
For e5-small this accepts 27 of the 28 demo questions and rejects 12 of 12 off-topic
ones (tests/rag/test_rag_answer.py checks both sides). Similarity alone overlapped
(on-topic 0.768-0.95, off-topic up to 0.839) and the margins are thin: a heuristic
fitted on a small set, so ``search(threshold=...)`` can override it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .embed import get_embedder
from .index import Index

Mode = Literal["hybrid", "fulltext", "vector"]
MODES = ("fulltext", "vector", "hybrid")
RRF_K = 60
# embedder -> (high, low) cosine thresholds, calibrated on the demo QA set against
# off-topic questions. e5 similarities are compressed (0.7-0.9), hence the narrow band.
THRESHOLDS = {"e5-small": (0.845, 0.80), "minilm": (0.45, 0.25)}
DEFAULT_THRESHOLD = (0.6, 0.4)
BM25_SUPPORT = 5.0


@dataclass
class Hit:
    chunk_id: int
    path: str
    start: int
    end: int
    heading: str
    text: str
    score: float  # the ranking score of the mode (RRF, BM25 or cosine)
    similarity: float  # cosine similarity to the query
    ranks: dict[str, int] = field(default_factory=dict)  # {"fulltext": 1, "vector": 3}


@dataclass
class Results:
    query: str
    mode: str
    hits: list[Hit]
    threshold: tuple[float, float]  # (high, low)
    best_bm25: float = 0.0  # best full-text score (0 when full-text found nothing or was not run)

    @property
    def relevant(self) -> bool:
        if not self.hits:
            return False
        best = max(h.similarity for h in self.hits)
        high, low = self.threshold
        return best >= high or (best >= low and self.best_bm25 >= BM25_SUPPORT)


def rrf(rankings: dict[str, list[int]], k: int = RRF_K) -> list[tuple[int, float, dict[str, int]]]:
    """Reciprocal rank fusion: [(id, score, {ranking name: rank})], best first."""
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, ids in rankings.items():
        for rank, i in enumerate(ids, 1):
            scores[i] = scores.get(i, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(i, {})[name] = rank
    return [(i, s, ranks[i]) for i, s in sorted(scores.items(), key=lambda x: -x[1])]


def search(index: Index, query: str, k: int = 5, mode: Mode = "hybrid", *, depth: int | None = None,
           embedder=None, threshold: tuple[float, float] | None = None) -> Results:
    """The k best chunks for ``query``."""
    if mode not in MODES:
        from ..errors import ConfigError

        raise ConfigError(f"Unknown search mode {mode!r}: use one of {', '.join(MODES)}.")
    depth = depth or max(4 * k, 20)
    emb = embedder or get_embedder(index.embedder_name)
    qvec = emb.query(query)
    rankings: dict[str, list[int]] = {}
    scores: dict[int, float] = {}
    best_bm25 = 0.0
    if mode in ("fulltext", "hybrid"):
        ft = index.fulltext(query, k if mode == "fulltext" else depth)
        rankings["fulltext"] = [i for i, _ in ft]
        scores.update(ft)
        best_bm25 = ft[0][1] if ft else 0.0
    sims: dict[int, float] = {}
    if mode in ("vector", "hybrid"):
        vec = index.vectors.nearest(qvec, k if mode == "vector" else depth)
        rankings["vector"] = [i for i, _ in vec]
        sims.update(vec)
        scores.update(vec)
    if mode == "hybrid":
        fused = rrf(rankings)[:k]
    else:
        fused = [(i, scores[i], {mode: r}) for r, i in enumerate(rankings[mode][:k], 1)]
    ids = [i for i, _, _ in fused]
    missing = [i for i in ids if i not in sims]
    sims.update(index.vectors.similarity(missing, qvec))
    stored = index.chunks(ids)
    hits = [Hit(i, stored[i].path, stored[i].start, stored[i].end, stored[i].heading, stored[i].text,
                s, sims.get(i, 0.0), r) for i, s, r in fused if i in stored]
    if threshold is None:
        threshold = THRESHOLDS.get(index.embedder_name, DEFAULT_THRESHOLD)
    return Results(query, mode, hits, threshold, best_bm25)
