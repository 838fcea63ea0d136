from ladder.rag.chunk import chunk_document, count_tokens, sentences
from ladder.rag.read import read_markdown


def test_cjk_sentences_split_without_spaces():
    text = "第一句话。第二句话！第三句？ Then English. And more!"
    spans = sentences(text)
    assert [text[s:e] for s, e in spans] == ["第一句话。", "第二句话！", "第三句？", "Then English.", "And more!"]


def test_japanese_sentences():
    text = "タオルを入れてはいけません。露天風呂は夜十一時までです！"
    assert len(sentences(text)) == 2


def test_token_count_counts_cjk_characters_and_words():
    assert count_tokens("熊猫吃竹子") == 5
    assert count_tokens("pandas eat bamboo") == 3


def test_chunks_are_bounded_spans_with_heading_paths():
    body = "。".join(f"这是第{i}个句子，用来测试分块" for i in range(60)) + "。"
    md = f"# 标题\n\n## 小节\n\n{body}\n\nA short closing paragraph.\n"
    doc = read_markdown(md)
    chunks = chunk_document(doc.text, doc.sections, max_tokens=40, overlap=20)
    assert len(chunks) > 5
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text  # the span points at the exact text
        assert count_tokens(c.text) <= 40
        assert c.heading == "标题 > 小节"
    # consecutive chunks of one long paragraph overlap
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:]))
    # every sentence is covered by some chunk
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i in range(md.index("这是"), md.index("A short")) if not md[i].isspace())


def test_paragraphs_are_kept_whole_when_they_fit():
    text = "Alpha one two three. Alpha two.\n\nBeta one.\n\nGamma."
    chunks = chunk_document(text, max_tokens=9, overlap=0)
    assert [c.text for c in chunks] == ["Alpha one two three. Alpha two.", "Beta one.\n\nGamma."]


def test_last_paragraph_before_a_single_newline_is_kept():
    doc = read_markdown("# Bread\n\nThe starter is now called Young Marta.\n")
    assert [c.text for c in chunk_document(doc.text, doc.sections)] == ["The starter is now called Young Marta."]
