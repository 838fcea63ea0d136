"""Answer a question from an Index, with numbered sources and [n] citations.

    search (hybrid) -> nothing relevant? -> "not found in the documents" (no model call)
                    -> prompt: numbered sources + question -> stream the answer
                    -> citations: every [n] in the answer mapped to its source's file and span

The not-found decision is made by retrieval (the best hit's cosine similarity against
the embedder's threshold, see search.py), not left to the model: small models guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..models.base import Message, Model, Response, as_messages
from .index import Index
from .search import Hit, Results, search

NOT_FOUND = "Not found in the documents."
SYSTEM = ("Answer the question using only the numbered sources below. After each fact, cite its "
          "source number in square brackets, like [1]. If the sources do not contain the answer, "
          f"say exactly: {NOT_FOUND}\n\n")


@dataclass
class Source:
    n: int  # the number the prompt gave it
    path: str
    start: int
    end: int
    heading: str
    text: str


@dataclass
class Answer:
    question: str
    text: str
    sources: list[Source]
    cited: list[int] = field(default_factory=list)  # source numbers cited in the text, in order
    found: bool = True  # False when retrieval found nothing relevant
    messages: list[Message] = field(default_factory=list)  # exactly what was sent
    response: Response | None = None

    @property
    def citations(self) -> list[Source]:
        by_n = {s.n: s for s in self.sources}
        return [by_n[n] for n in self.cited if n in by_n]


def sources_block(hits: list[Hit], max_chars: int = 1500) -> str:
    out = []
    for n, h in enumerate(hits, 1):
        name = h.path.rsplit("/", 1)[-1]
        where = f"{name}" + (f" — {h.heading}" if h.heading else "")
        text = h.text if len(h.text) <= max_chars else h.text[:max_chars] + "…"
        out.append(f"[{n}] ({where})\n{text}")
    return "\n\n".join(out)


def build_messages(question: str, hits: list[Hit]) -> list[Message]:
    return as_messages([{"role": "system", "content": SYSTEM + "Sources:\n\n" + sources_block(hits)},
                        {"role": "user", "content": question}])


def cited_numbers(text: str, limit: int) -> list[int]:
    """[n], [n, m] and [n][m] citations in order, without repeats, within 1..limit."""
    nums = []
    for group in re.findall(r"\[(\d+(?:\s*[,，]\s*\d+)*)\]", text):
        nums += [int(x) for x in re.split(r"\s*[,，]\s*", group)]
    return list(dict.fromkeys(n for n in nums if 1 <= n <= limit))


def ask(question: str, index: Index, model: Model, *, k: int = 4, max_tokens: int = 200,
        on_text: Callable[[str], None] | None = None, results: Results | None = None,
        run_id: str | None = None) -> Answer:
    """Retrieve, then answer with citations; ``on_text`` receives the streamed pieces."""
    results = results or search(index, question, k=k)
    if not results.relevant:
        if on_text:
            on_text(NOT_FOUND)
        return Answer(question, NOT_FOUND, [], found=False)
    hits = results.hits[:k]
    sources = [Source(n, h.path, h.start, h.end, h.heading, h.text) for n, h in enumerate(hits, 1)]
    messages = build_messages(question, hits)
    stream = model.stream(messages, max_tokens=max_tokens, temperature=0.0, run_id=run_id)
    for piece in stream:
        if on_text:
            on_text(piece)
    text = stream.response.text.strip()
    return Answer(question, text, sources, cited_numbers(text, len(sources)), True, messages, stream.response)
