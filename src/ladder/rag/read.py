"""Reading a file into a Document: its plain text and its sections (heading paths).

    .txt            encoding detected (UTF-8 first, then charset-normalizer)
    .md/.markdown   ATX headings (#, ##, ...) become the heading path
    .html/.htm      h1-h6 become the heading path; script/style dropped
    .pdf            text per page (pypdf); the heading is "page N"

A file that cannot be read raises UnreadableFile with the reason; ingest reports
and skips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ..errors import LadderError
from .chunk import Section

SUFFIXES = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
            ".html": "html", ".htm": "html", ".pdf": "pdf"}


class UnreadableFile(LadderError):
    pass


@dataclass
class Document:
    text: str
    sections: list[Section] = field(default_factory=list)


def decode(data: bytes, path: Path | str = "") -> str:
    """Bytes to text: BOM/UTF-8 first, else the encoding charset-normalizer detects."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile(f"{path}: not text in any encoding charset-normalizer knows")
    return str(best)


def _with_heading_stack(text: str, heads: list[tuple[int, int, int, str]]) -> Document:
    """heads: (level, line_start, body_start, title) in order -> sections over ``text``."""
    sections, stack = [], []  # stack: [(level, title)]
    if heads and heads[0][1] > 0 or not heads:
        sections.append(Section("", 0, heads[0][1] if heads else len(text)))
    for i, (level, _, body, title) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        end = heads[i + 1][1] if i + 1 < len(heads) else len(text)
        sections.append(Section(" > ".join(t for _, t in stack), body, end))
    return Document(text, [s for s in sections if text[s.start:s.end].strip()])


def read_markdown(text: str) -> Document:
    heads, in_fence = [], False
    for m in re.finditer(r"^.*$", text, re.M):
        line = m.group(0)
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        h = None if in_fence else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if h:
            heads.append((len(h.group(1)), m.start(), min(m.end() + 1, len(text)), h.group(2)))
    return _with_heading_stack(text, heads)


class _HtmlText(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "section", "article", "blockquote", "pre", "table",
             "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.heads: list[tuple[int, int, int, str]] = []
        self.skip = 0
        self.head_level = 0
        self.head_start = 0

    def _len(self) -> int:
        return sum(map(len, self.parts))

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")
        if re.fullmatch(r"h[1-6]", tag):
            self.head_level, self.head_start = int(tag[1]), self._len()

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        if re.fullmatch(r"h[1-6]", tag) and self.head_level:
            title = " ".join("".join(self.parts)[self.head_start:].split())
            self.parts.append("\n\n")
            self.heads.append((self.head_level, self.head_start, self._len(), title))
            self.head_level = 0
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def read_html(text: str) -> Document:
    p = _HtmlText()
    p.feed(text)
    p.close()
    return _with_heading_stack("".join(p.parts), p.heads)


def read_pdf(path: Path) -> Document:
    try:
        from pypdf import PdfReader

        pages = [page.extract_text() or "" for page in PdfReader(str(path)).pages]
    except ImportError:
        raise UnreadableFile(f"{path}: reading PDF needs pypdf: pip install 'llm-ladder[rag]'") from None
    except Exception as e:  # pypdf raises many kinds on damaged files
        raise UnreadableFile(f"{path}: not a readable PDF ({type(e).__name__}: {e})") from None
    text, sections = "", []
    for i, page in enumerate(pages, 1):
        if text:
            text += "\n\n"
        start = len(text)
        text += page.strip()
        sections.append(Section(f"page {i}", start, len(text)))
    return Document(text, [s for s in sections if s.end > s.start])


def read_document(path: Path, data: bytes | None = None) -> Document:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UnreadableFile(f"{path}: unsupported file type (known: {', '.join(sorted(SUFFIXES))})")
    if kind == "pdf":
        return read_pdf(path)
    try:
        data = path.read_bytes() if data is None else data
    except OSError as e:
        raise UnreadableFile(f"{path}: {e.strerror or e}") from None
    text = decode(data, path).replace("\r\n", "\n").replace("\r", "\n")
    if kind == "markdown":
        return read_markdown(text)
    if kind == "html":
        return read_html(text)
    return Document(text, [Section("", 0, len(text))])
