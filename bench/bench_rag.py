"""RAG benchmark: query latency at 10k/100k chunks, full-text vs bm25s, ingest throughput.

    .venv/bin/python bench/bench_rag.py                 # 10k and 100k chunks
    .venv/bin/python bench/bench_rag.py --sizes 10000   # quicker

Synthetic corpus: chunks of 40 words drawn (Zipf, exponent 1) from ~20k words: the
English + Chinese topic words below among made-up ones; stored vectors are random unit vectors (sqlite-vec's exact KNN costs the
same whatever the vectors hold). Queries are embedded with the real e5-small, so the
end-to-end numbers include the query embedding. The peer for the full-text side is
bm25s over the SAME terms (our jieba + bigram tokenization), so the ratio compares
the ranking engines, not tokenizers. Ingest throughput is the real pipeline (read,
chunk, embed with e5-small, write) on the bundled demo corpus.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("LADDER_LOG", "0")

from ladder.rag import Index, get_embedder, ingest, search  # noqa: E402
from ladder.rag.chunk import Chunk  # noqa: E402
from ladder.rag.fulltext import _terms, match_expression, query_terms  # noqa: E402

EN = ("harbour lantern ferry festival bamboo paper candle beeswax parade street lighthouse prize jury "
      "bicycle tyre pump patch glue pressure wheel brake rim bakery starter flour water salt oven crumb "
      "tide pool crab anemone rock ledge algae library book renewal printer laser kiln timber board "
      "moisture vent fan panel roof solar metal honey hive swarm colony winter mentor course").split()
ZH = ("茶园 云雾 采摘 清明 鲜叶 杀青 地铁 换乘 票价 首班车 古琴 琴弦 指法 泛音 垃圾 分类 厨余 投放 罚款 "
      "熊猫 竹子 饲养员 游客 温泉 源泉 湯船 タオル 露天風呂 海拔 绿茶 加工厂 乘客 高峰").split()
QUERIES = ["what pressure for the bicycle tyre", "beeswax candle for the lantern parade",
           "清明前采摘的绿茶", "地铁首班车票价", "how long to dry timber in the solar kiln",
           "熊猫每天吃多少竹子", "library book renewal rules", "源泉の温度と湯船のマナー",
           "starter flour water ratio", "tide pool crab rock ledge safety"]


def synthetic_chunks(n: int, seed: int = 0, extra_words: int = 20000) -> list[str]:
    """Zipf-distributed words: the topic words above mixed among ``extra_words`` made-up
    ones, so posting lists have realistic lengths (a 100-word vocabulary puts every term
    in most chunks, which no real corpus does)."""
    rng = np.random.default_rng(seed)
    syll = ["ka", "lo", "mi", "ten", "ra", "su", "vo", "ne", "pi", "dor", "ba", "qu", "el", "an", "ti"]
    made = {"".join(rng.choice(syll, size=int(rng.integers(2, 5)))) for _ in range(extra_words)}
    vocab = EN + ZH + sorted(made - set(EN))
    p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.0
    p /= p.sum()
    order = rng.permutation(len(vocab))
    out = []
    for _ in range(n):
        words = [vocab[order[i]] for i in rng.choice(len(vocab), size=40, p=p)]
        out.append(" ".join(words))
    return out


class QueryOnly:
    """Real e5-small for queries; the stored vectors are random (see the docstring)."""

    name, dim = "bench-random", 384

    def __init__(self):
        self.e5 = get_embedder("e5-small")

    def query(self, text):
        return self.e5.query(text)


def build(path: Path, texts: list[str], per_file: int = 100) -> float:
    rng = np.random.default_rng(1)
    idx = Index(path, embedder="bench-random", dim=384)
    t = time.perf_counter()
    for f in range(0, len(texts), per_file):
        part = texts[f:f + per_file]
        vecs = rng.standard_normal((len(part), 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        idx.put_file(f"synthetic/{f // per_file}.txt", str(f), 0,
                     [Chunk(x, 0, len(x)) for x in part], vecs)
    idx.vectors.maybe_recenter()  # as ingest does
    idx.close()
    return time.perf_counter() - t


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)] * 1000


def bench_size(n: int, repeats: int, with_bm25s: bool = True) -> dict:
    texts = synthetic_chunks(n)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "b.db"
        build_s = build(path, texts)
        idx = Index(path, create=False)
        emb = QueryOnly()
        qvecs = {q: emb.query(q) for q in QUERIES}

        class Fixed:  # the query vector precomputed: search cost without embedding
            name, dim = emb.name, emb.dim

            @staticmethod
            def query(text):
                return qvecs[text]

        res = {"n": n, "build_s": build_s}
        for label, e in (("hybrid (search only)", Fixed), ("hybrid (with e5 query embedding)", emb)):
            times = []
            for _ in range(repeats):
                for q in QUERIES:
                    t = time.perf_counter()
                    search(idx, q, k=5, mode="hybrid", embedder=e)
                    times.append(time.perf_counter() - t)
            res[label] = (p95(times), statistics.median(times) * 1000)
        # binary-quantized candidates + exact rescoring vs exact brute force: recall@10
        rows = idx.conn.execute("SELECT id, embedding FROM vectors").fetchall()
        ids_all = [r[0] for r in rows]
        mat = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, 384)
        for over in (10, 50):
            idx.vectors.oversample = over
            overlap, times = [], []
            for q in QUERIES:
                exact = {ids_all[i] for i in np.argsort(-(mat @ qvecs[q]))[:10]}
                t = time.perf_counter()
                got = {i for i, _ in idx.vectors.nearest(qvecs[q], 10)}
                times.append(time.perf_counter() - t)
                overlap.append(len(exact & got) / 10)
            res[f"recall10@{over}"] = (statistics.mean(overlap), statistics.median(times) * 1000)
        idx.vectors.oversample = 10
        # the vector side's candidate step: numpy Hamming scan (ours) vs sqlite-vec's own bit KNN (peer)
        store, center = idx.vectors, idx.vectors._center()[0]
        store.candidates(qvecs[QUERIES[0]], 200)  # load the in-memory bit table once
        ours, peer = [], []
        for _ in range(repeats):
            for q in QUERIES:
                t = time.perf_counter()
                a = store.candidates(qvecs[q], 200)
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                b = [r[0] for r in idx.conn.execute(
                    "SELECT rowid FROM vectors_bits WHERE embedding MATCH vec_quantize_binary(?) AND k = 200",
                    ((qvecs[q] - center).tobytes(),)).fetchall()]
                peer.append(time.perf_counter() - t)
                assert len(set(a) & set(b)) >= 180, "numpy and vec0 candidates disagree"  # ties may differ
        res["candidates: numpy Hamming scan"] = (p95(ours), statistics.median(ours) * 1000)
        res["candidates: sqlite-vec bit KNN"] = (p95(peer), statistics.median(peer) * 1000)
        for mode in ("vector", "fulltext"):
            times = []
            for _ in range(repeats):
                for q in QUERIES:
                    t = time.perf_counter()
                    search(idx, q, k=5, mode=mode, embedder=Fixed)
                    times.append(time.perf_counter() - t)
            res[mode] = (p95(times), statistics.median(times) * 1000)
        if not with_bm25s:
            idx.close()
            return res
        # full-text engine vs bm25s on the same terms: top-10 ids
        import bm25s

        t = time.perf_counter()
        corpus_terms = [_terms(x.lower()) for x in texts]
        retriever = bm25s.BM25()
        retriever.index(corpus_terms, show_progress=False)
        res["bm25s_index_s"] = time.perf_counter() - t
        fts, b25 = [], []
        for _ in range(repeats):
            for q in QUERIES:
                expr = match_expression(q, idx.fts_tokenizer)
                t = time.perf_counter()
                idx.conn.execute("SELECT rowid, bm25(chunks_fts) s FROM chunks_fts WHERE chunks_fts MATCH ? "
                                 "ORDER BY s LIMIT 10", (expr,)).fetchall()
                fts.append(time.perf_counter() - t)
                terms = [w for w in query_terms(q, "jieba")]
                t = time.perf_counter()
                retriever.retrieve([terms], k=10, show_progress=False, n_threads=1)
                b25.append(time.perf_counter() - t)
        res["fts5 (top 10)"] = (p95(fts), statistics.median(fts) * 1000)
        res["bm25s (top 10)"] = (p95(b25), statistics.median(b25) * 1000)
        idx.close()
    return res


def bench_ingest() -> tuple[int, float]:
    demo = Path(__file__).parents[1] / "examples" / "rag-demo" / "docs"
    get_embedder("e5-small").passages(["warm up"])
    with tempfile.TemporaryDirectory() as d:
        r = ingest([demo], Path(d) / "i.db")
    return r.chunks, r.seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-bm25s", action="store_true", help="Skip the bm25s peer (its 100k index takes minutes).")
    ap.add_argument("--no-ingest", action="store_true", help="Skip the ingest throughput run.")
    args = ap.parse_args()
    if not args.no_ingest:
        chunks, secs = bench_ingest()
        print(f"ingest (demo corpus, real pipeline, e5-small, 1 thread): {chunks} chunks in {secs:.1f} s "
              f"= {chunks / secs:.1f} chunks/s")
    for n in map(int, args.sizes.split(",")):
        r = bench_size(n, args.repeats, with_bm25s=not args.no_bm25s)
        bm = f"; bm25s index {r['bm25s_index_s']:.1f} s" if "bm25s_index_s" in r else ""
        print(f"\n{n} chunks (index write {r['build_s']:.1f} s = {n / r['build_s']:.0f} chunks/s without "
              f"embedding{bm})")
        print(f"  {'query':34s} {'p95 ms':>8s} {'median ms':>10s}")
        for k in ("hybrid (search only)", "hybrid (with e5 query embedding)", "vector", "fulltext",
                  "candidates: numpy Hamming scan", "candidates: sqlite-vec bit KNN", "fts5 (top 10)",
                  "bm25s (top 10)"):
            if k in r:
                print(f"  {k:34s} {r[k][0]:8.1f} {r[k][1]:10.1f}")
        ours, peer = r["candidates: numpy Hamming scan"], r["candidates: sqlite-vec bit KNN"]
        print(f"  candidate step p95 ratio sqlite-vec/numpy = {peer[0] / ours[0]:.1f} "
              f"(median ratio {peer[1] / ours[1]:.1f})")
        for over in (10, 50):
            rec, ms = r[f"recall10@{over}"]
            print(f"  vector recall@10 vs exact KNN, oversample {over}: {rec:.2f} (median {ms:.1f} ms; "
                  "random vectors, the worst case for bit candidates)")
        if "bm25s (top 10)" in r:
            print(f"  full-text p95 ratio fts5/bm25s = {r['fts5 (top 10)'][0] / r['bm25s (top 10)'][0]:.2f} "
                  f"(median ratio {r['fts5 (top 10)'][1] / r['bm25s (top 10)'][1]:.2f})")


if __name__ == "__main__":
    main()
