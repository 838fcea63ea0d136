from conftest import DEMO

from ladder.rag import eval_retrieval, load_qa, search
from ladder.rag.search import rrf


def test_rrf_fuses_rankings():
    fused = rrf({"a": [1, 2, 3], "b": [3, 1]})
    assert [i for i, _, _ in fused] == [1, 3, 2]
    assert fused[0][2] == {"a": 1, "b": 2}


def test_chinese_full_text_matches_when_segmentation_differs(demo_index):
    # the text says 雾芽 (one jieba word); the question segments as 雾 / 芽茶
    hits = search(demo_index, "雾芽茶是在什么时候采的？", k=3, mode="fulltext").hits
    assert hits and hits[0].path.endswith("茶园.md")


def test_japanese_query(demo_index):
    for mode in ("fulltext", "vector", "hybrid"):
        hits = search(demo_index, "源泉の温度は何度ですか", k=3, mode=mode).hits
        assert hits[0].path.endswith("温泉.md"), mode


def test_hits_carry_file_span_and_heading(demo_index):
    hit = search(demo_index, "Golden Wick prize jury", k=1).hits[0]
    text = (DEMO / "docs" / "lantern-festival.md").read_text(encoding="utf-8")
    assert text[hit.start:hit.end] == hit.text
    assert hit.heading == "The Brightwater Lantern Festival > Prizes"


def test_hybrid_recall_at_least_the_best_single_side(demo_index):
    scores = {s.mode: s for s in eval_retrieval(demo_index, load_qa(DEMO / "qa.jsonl"), k=5)}
    assert scores["hybrid"].recall >= max(scores["fulltext"].recall, scores["vector"].recall)
    assert scores["hybrid"].recall >= 0.85


def test_public_api_is_exported():
    import ladder.rag

    for name in ladder.rag.__all__:
        assert hasattr(ladder.rag, name), name


def test_vector_store_rescoring_is_exact_on_its_candidates(tmp_path):
    import numpy as np

    from ladder.rag import Index
    from ladder.rag.chunk import Chunk

    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((300, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx = Index(tmp_path / "v.db", embedder="test", dim=16)
    idx.put_file("f", "h", 0, [Chunk(f"c{i}", 0, 2) for i in range(300)], vecs)
    q = vecs[7]
    got = idx.vectors.nearest(q, 5)
    assert got[0][0] == 8 and abs(got[0][1] - 1.0) < 1e-5  # chunk ids start at 1
    sims = [s for _, s in got]
    assert sims == sorted(sims, reverse=True)
    exact = set((np.argsort(-(vecs @ q))[:5] + 1).tolist())
    assert len(exact & {i for i, _ in got}) >= 4  # bit candidates (100) rarely miss the top 5 of 300
    assert idx.check() == []
    idx.close()


def test_recentering_makes_every_bit_informative(demo_index):
    store = demo_index.vectors
    center, n = store._center()
    assert n == store.count() > 0  # ingest recentered on the whole demo corpus
    ids, mat = store._floats(list(range(1, n + 1)))
    raw, centred = mat > 0, (mat - center) > 0
    constant = lambda b: ((b.all(0)) | (~b).all(0)).mean()  # noqa: E731
    assert constant(raw) > 0.2 and constant(centred) == 0.0


def test_numpy_hamming_scan_agrees_with_sqlite_vec(tmp_path):
    """The in-memory bit scan gives the same distances as vec0's own bit KNN (so the
    bit order matches), and it sees writes made after it was first loaded."""
    import numpy as np

    from ladder.rag import Index
    from ladder.rag.chunk import Chunk

    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((400, 384)).astype(np.float32)
    idx = Index(tmp_path / "h.db", embedder="test", dim=384)
    idx.put_file("f", "h", 0, [Chunk(f"c{i}", 0, 2) for i in range(400)], vecs)
    store, q = idx.vectors, rng.standard_normal(384).astype(np.float32)
    qb = (q - store._center()[0]).tobytes()
    vec0 = store.conn.execute(f"SELECT rowid, distance FROM {store.table}_bits WHERE embedding MATCH "
                              "vec_quantize_binary(?) AND k = 30", (qb,)).fetchall()
    ids, bits = store._bit_table()
    qbits = np.packbits((q - store._center()[0]) > 0, bitorder="little")
    ours = dict(zip(ids.tolist(), np.bitwise_count(bits ^ qbits).sum(axis=1).tolist()))
    assert [ours[i] for i, _ in vec0] == [round(d) for _, d in vec0]
    assert sorted(ours[i] for i in store.candidates(q, 30)) == [round(d) for _, d in vec0]
    idx.put_file("g", "h2", 0, [Chunk("new", 0, 3)], q[None, :])  # an exact copy of the query
    assert store.nearest(q, 1)[0][0] == 401
    idx.close()
