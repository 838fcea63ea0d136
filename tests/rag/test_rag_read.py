from minipdf import write_pdf

from ladder.rag.read import UnreadableFile, read_document

import pytest


def test_gbk_chinese_text_is_detected(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("青河市地铁三号线连接火车站和大学城。首班车早上六点零五分发车。".encode("gbk"))
    assert "大学城" in read_document(p).text


def test_html_headings_and_scripts(tmp_path):
    p = tmp_path / "a.html"
    p.write_text("<h1>Top</h1><p>intro</p><h2>Sub</h2><p>body text</p><script>var x=1</script>")
    doc = read_document(p)
    assert "var x" not in doc.text
    sub = [s for s in doc.sections if s.heading == "Top > Sub"][0]
    assert "body text" in doc.text[sub.start:sub.end]


def test_pdf_pages(tmp_path):
    p = write_pdf(tmp_path / "k.pdf", ["First page about kilns.", "Second page about vents."])
    doc = read_document(p)
    assert [s.heading for s in doc.sections] == ["page 1", "page 2"]
    assert "vents" in doc.text[doc.sections[1].start:doc.sections[1].end]


def test_broken_pdf_is_unreadable(tmp_path):
    p = tmp_path / "bad.pdf"
    p.write_bytes(b"%PDF-1.4 this is not really a pdf")
    with pytest.raises(UnreadableFile, match="bad.pdf"):
        read_document(p)
