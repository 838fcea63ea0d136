"""Answer a question from an Index, with numbered sources and [n] citations.

    search (hybrid) -> nothing relevant? -> "not found in the documents" (no model call)
                    -> prompt: numbered sources + question -> stream the answer
                    -> citations: every [n] in the answer mapped to its source's file and span

The not-found decision is made by retrieval (the best hit's cosine similarity against
the embedder's threshold, see search.py), not left to the model: small models guess.

Citations the model forgot. Small models often answer from a source without writing
[n] (the bundled 135M model cited 0 of 14 demo answers). The answer is therefore
streamed a sentence at a time: a sentence without a citation whose content words are
mostly (``min_overlap``) found in one source gets that source's number, and the number
is recorded in ``Answer.attributed``, so what the model cited and what was attributed
stay apart. A sentence that matches no source stays uncited.

Structured answers (``structured=True``): the model answers JSON under a grammar,
``{"answer": str (<= ANSWER_CHARS), "citations": [source numbers]}``: the citations can
only name sources that were sent, and a ``citations`` field is always there (it may be
empty: the answer is then attributed as above, or, when short, by the best-ranked source
holding it verbatim). The answer is not streamed (``on_text`` gets it once, with ``[n]``).

The default answer model (DEFAULT_ANSWER_MODEL) is chosen by measurement
(bench/bench_rag_models.py, bench/RESULTS.md "RAG answer model") with this rule: the best answer
hit rate on the bundled QA set among the models whose p50 answer latency fits
ANSWER_LATENCY_BUDGET_S on a loaded 2-core machine; ties go to the smaller model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..models.base import Message, Model, Response, as_messages
from ..schema import validate
from .index import Index
from .search import Hit, Results, search

NOT_FOUND = "Not found in the documents."
# By the rule in the module docstring, on the 28 demo questions (bench/RESULTS.md):
# qwen2.5-coder-1.5b structured hit 0.893 (25/28) at p50 9.5 s, own citations 0.929; the next
# best, the 0.5b structured, 0.643; smollm2 (the old default) 0.143 either way.
DEFAULT_ANSWER_MODEL = "qwen2.5-coder-1.5b"
ANSWER_LATENCY_BUDGET_S = 15.0  # p50 seconds per answer, 1 thread on a loaded 2-core machine
# Structured beat free text for every chat model in the same run: hit rate 0.893 vs 0.786
# (1.5b), 0.643 vs 0.214 (0.5b; free text often answered only "[1]"), 0.143 vs 0.143 (smollm2),
# and the model's own citations 0.929 vs 0.643 (1.5b), 0.714 vs 0.071 (smollm2).
STRUCTURED = True
ANSWER_CHARS = 300  # maxLength of a structured answer
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
    attributed: list[int] = field(default_factory=list)  # numbers added by overlap, not by the model
    by_model: list[int] = field(default_factory=list)  # numbers the model itself wrote ([n] or "citations")

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


STRUCTURED_SYSTEM = ("Answer the question using only the numbered sources below. Reply with JSON: "
                     '"answer" is a short answer in the language of the question, "citations" lists the '
                     "numbers of the sources the answer comes from. If the sources do not contain the "
                     f'answer, reply {{"answer": "{NOT_FOUND}", "citations": []}}.\n\n')


def answer_schema(n_sources: int, max_chars: int = ANSWER_CHARS) -> dict:
    """{"answer": str, "citations": [n, ...]}: citations can only be numbers of sources sent."""
    return {"type": "object",
            "properties": {"answer": {"type": "string", "maxLength": max_chars},
                           "citations": {"type": "array", "items": {"enum": list(range(1, n_sources + 1))},
                                         "maxItems": n_sources}},
            "required": ["answer", "citations"], "additionalProperties": False}


def build_messages(question: str, hits: list[Hit], structured: bool = False) -> list[Message]:
    system = STRUCTURED_SYSTEM if structured else SYSTEM
    return as_messages([{"role": "system", "content": system + "Sources:\n\n" + sources_block(hits)},
                        {"role": "user", "content": question}])


def cited_numbers(text: str, limit: int) -> list[int]:
    """[n], [n, m] and [n][m] citations in order, without repeats, within 1..limit."""
    nums = []
    for group in re.findall(r"\[(\d+(?:\s*[,，]\s*\d+)*)\]", text):
        nums += [int(x) for x in re.split(r"\s*[,，]\s*", group)]
    return list(dict.fromkeys(n for n in nums if 1 <= n <= limit))


_SENTENCE_END = re.compile(r"(?:[.!?](?=\s)|[。！？])\s*")
_TRAILING = re.compile(r"([.!?。！？]*)(\s*)$")


class Citer:
    """Sentence-by-sentence pass over a streamed answer: a sentence without a citation
    gets the number of the source that contains most of its content words (at least
    ``min_overlap`` of them, and at least two words)."""

    def __init__(self, sources: list[Source], on_text: Callable[[str], None] | None = None,
                 min_overlap: float = 0.5):
        from .fulltext import query_terms

        def stem(t: str) -> str:  # bikes ~ bike: enough for overlap, no stemmer needed
            return t[:-1] if t.isascii() and len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t

        self.terms = lambda text: {stem(t) for t in query_terms(text, "jieba")}
        self.sources, self.on_text, self.min_overlap = sources, on_text, min_overlap
        self.source_terms = [self.terms(s.text) for s in sources]
        self.buffer, self.parts, self.attributed = "", [], []

    def feed(self, piece: str) -> None:
        self.buffer += piece
        while m := _SENTENCE_END.search(self.buffer):
            sentence, self.buffer = self.buffer[:m.end()], self.buffer[m.end():]
            self._emit(sentence)

    def close(self) -> str:
        if self.buffer:
            self._emit(self.buffer)
            self.buffer = ""
        return "".join(self.parts)

    def source_for(self, sentence: str) -> int | None:
        if cited_numbers(sentence, len(self.sources)) or NOT_FOUND.lower() in sentence.lower():
            return None
        words = self.terms(sentence)
        if len(words) < 2:
            return None
        scores = [len(words & st) / len(words) for st in self.source_terms]
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        return None if best is None or scores[best] < self.min_overlap else self.sources[best].n

    def _emit(self, sentence: str) -> None:
        n = self.source_for(sentence)
        if n is not None:
            m = _TRAILING.search(sentence)
            sentence = f"{sentence[:m.start()]} [{n}]{m.group(1)}{m.group(2)}"
            self.attributed.append(n)
        self.parts.append(sentence)
        if self.on_text:
            self.on_text(sentence)


def ask(question: str, index: Index, model: Model, *, k: int = 4, max_tokens: int = 200,
        on_text: Callable[[str], None] | None = None, results: Results | None = None,
        run_id: str | None = None, attribute: bool = True, structured: bool = STRUCTURED) -> Answer:
    """Retrieve, then answer with citations; ``on_text`` receives the answer a sentence
    at a time (with any attributed citation), or piece by piece when ``attribute`` is off.
    ``structured``: answer JSON with a ``citations`` field under a grammar (module docstring)."""
    results = results or search(index, question, k=k)
    if not results.relevant:
        if on_text:
            on_text(NOT_FOUND)
        return Answer(question, NOT_FOUND, [], found=False)
    hits = results.hits[:k]
    sources = [Source(n, h.path, h.start, h.end, h.heading, h.text) for n, h in enumerate(hits, 1)]
    messages = build_messages(question, hits, structured)
    if structured:
        return _ask_structured(question, sources, messages, model, max_tokens, on_text, run_id, attribute)
    stream = model.stream(messages, max_tokens=max_tokens, temperature=0.0, run_id=run_id)
    citer = Citer(sources, on_text) if attribute else None
    for piece in stream:
        if citer:
            citer.feed(piece)
        elif on_text:
            on_text(piece)
    text = (citer.close() if citer else stream.response.text).strip()
    return Answer(question, text, sources, cited_numbers(text, len(sources)), True, messages, stream.response,
                  attributed=list(dict.fromkeys(citer.attributed)) if citer else [],
                  by_model=cited_numbers(stream.response.text, len(sources)))


def _ask_structured(question, sources, messages, model, max_tokens, on_text, run_id, attribute) -> Answer:
    # One greedy call: a local model's grammar makes the JSON valid by construction; the
    # output of a model that does not constrain decoding is validated, its raw text kept if invalid.
    schema = answer_schema(len(sources))
    stream = model.stream(messages, schema=schema, max_tokens=max_tokens, temperature=0.0, run_id=run_id)
    for _ in stream:
        pass
    response = stream.response
    response.parsed, error = validate(schema, response.text)
    if error is None:
        body, by_model = response.parsed["answer"].strip(), list(dict.fromkeys(response.parsed["citations"]))
    else:
        body, by_model = response.text.strip(), []
    inline = cited_numbers(body, len(sources))  # the model may also write [n] inside the answer
    by_model = list(dict.fromkeys(by_model + inline))
    text, attributed = body + "".join(f" [{n}]" for n in by_model if n not in inline), []
    if attribute and not by_model and body:
        text, attributed = attribute_all(body, sources)
    if on_text:
        on_text(text)
    return Answer(question, text, sources, cited_numbers(text, len(sources)), True, messages, response,
                  attributed=attributed, by_model=by_model)


def attribute_all(text: str, sources: list[Source]) -> tuple[str, list[int]]:
    """An answer the model left uncited, whole: sentences by word overlap (Citer), else a short
    answer ("October", "65 psi") found verbatim in a source gets the best-ranked such source."""
    citer = Citer(sources)
    citer.feed(text)
    out = citer.close()
    if citer.attributed:
        return out, list(dict.fromkeys(citer.attributed))
    needle = text.strip(" .。!！?？").lower()
    if len(needle) >= 2 and NOT_FOUND.lower().rstrip(".") not in needle:
        for s in sources:
            if needle in s.text.lower():
                return f"{text} [{s.n}]", [s.n]
    return text, []
