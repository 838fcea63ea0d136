"""Chunking: structure first (headings, paragraphs), then sentences, bounded by tokens.

A document arrives as plain text plus its headings (``Section``: heading path and the
character span of the body under it). Paragraphs are packed into chunks of at most
``max_tokens``; a paragraph too long for one chunk is split into sentences, with
CJK sentence ends (。！？；) recognised without a following space. Consecutive chunks
of one section overlap by about ``overlap`` tokens of whole sentences. Every chunk
keeps the character span ``[start, end)`` into the document text, so a citation can
point at the exact place.

Token counts are an estimate that needs no tokenizer: one per CJK character, one per
run of other letters/digits (close to what multilingual subword tokenizers produce
for Chinese/Japanese, a slight under-count for English).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}\W]+|[^\w\s]", re.UNICODE)
# a sentence ends at 。！？；… (no space needed) or at .!? followed by space/end
_SENTENCE_END = re.compile(r"[。！？；!?…]+[」』）\)\"']*|\.(?=\s|$)[\"')\]]*")


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


@dataclass
class Section:
    heading: str  # "Title > Subtitle", "" for text before the first heading
    start: int  # span of the body text in the document
    end: int


@dataclass
class Chunk:
    text: str
    start: int  # character span in the document text
    end: int
    heading: str = ""


def sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans (absolute, whitespace-trimmed) of ``text`` starting at ``offset``."""
    spans, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        piece = text[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if e - trail > s + lead:
            out.append((offset + s + lead, offset + e - trail))
    return out


def _hard_split(start: int, end: int, text: str, max_tokens: int) -> list[tuple[int, int]]:
    """A 'sentence' longer than max_tokens (no punctuation): cut at token boundaries."""
    out, s, n = [], start, 0
    for m in _TOKEN.finditer(text, start, end):
        n += 1
        if n > max_tokens:
            out.append((s, m.start()))
            s, n = m.start(), 1
    out.append((s, end))
    return out


def paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraph spans: blocks separated by blank lines."""
    out = []
    for m in re.finditer(r"\S(?:.*?\S)?(?=[ \t]*\n\s*\n|\s*\Z)", text[start:end], re.S):
        out.append((start + m.start(), start + m.end()))
    return out


def chunk_document(text: str, sections: list[Section] | None = None, max_tokens: int = 160,
                   overlap: int = 32) -> list[Chunk]:
    """Split a document into chunks that respect sections, paragraphs and sentences."""
    if max_tokens < 8:
        raise ValueError("max_tokens must be at least 8")
    overlap = max(0, min(overlap, max_tokens // 2))
    sections = sections or [Section("", 0, len(text))]
    chunks: list[Chunk] = []
    for sec in sections:
        # units: whole paragraphs when they fit, else their sentences (else hard cuts)
        units: list[tuple[int, int, int]] = []  # (start, end, tokens)
        for ps, pe in paragraphs(text, sec.start, sec.end):
            n = count_tokens(text[ps:pe])
            if n <= max_tokens:
                units.append((ps, pe, n))
                continue
            for ss, se in sentences(text[ps:pe], ps):
                for hs, he in (_hard_split(ss, se, text, max_tokens)
                               if count_tokens(text[ss:se]) > max_tokens else [(ss, se)]):
                    units.append((hs, he, count_tokens(text[hs:he])))
        i = 0
        while i < len(units):
            j, total = i, 0
            while j < len(units) and total + units[j][2] <= max_tokens:
                total += units[j][2]
                j += 1
            j = max(j, i + 1)
            s, e = units[i][0], units[j - 1][1]
            chunks.append(Chunk(text[s:e], s, e, sec.heading))
            if j >= len(units):
                break
            # overlap: the next chunk starts with trailing units worth <= overlap tokens,
            # never back to the start of this one (so every step makes progress)
            back, k = 0, j
            while k - 1 > i and back + units[k - 1][2] <= overlap:
                back += units[k - 1][2]
                k -= 1
            i = k
    return chunks
