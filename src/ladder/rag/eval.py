"""Evaluate retrieval and answers on a QA file.

Each line of the QA file::

    {"question": "...", "source": "file name", "answer_contains_any": ["...", ...]}

Retrieval, for each mode (full-text, vector, hybrid): recall@k (the source file is
among the top k chunks' files) and MRR (1 / rank of its first chunk, within ``depth``).
Answers (optional, needs a model): hit rate (the answer contains any expected string),
citation rates (any citation, the model's own, the right source file) and faithfulness: the package's one Judge (evals/judge.py), pass/fail on "is every
statement supported by the sources", with the sources as its context, averaged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..evals.judge import PASS_FAIL, Judge
from ..jsonl import read_records
from ..models.base import Model
from .answer import STRUCTURED, ask, sources_block
from .index import Index
from .search import MODES, search


@dataclass
class QA:
    question: str
    source: str
    answer_contains_any: list[str] = field(default_factory=list)


def load_qa(path: str | Path) -> list[QA]:
    rows = read_records(path, {"question", "source"}, {"answer_contains_any"})
    return [QA(str(d["question"]), str(d["source"]), list(d.get("answer_contains_any", []))) for d in rows]


def _matches(path: str, source: str) -> bool:
    return Path(path).name == source or path.endswith(source)


@dataclass
class RetrievalScore:
    mode: str
    recall: float  # recall@k
    mrr: float
    k: int
    n: int


def eval_retrieval(index: Index, qa: list[QA], k: int = 5, depth: int = 10,
                   modes=MODES) -> list[RetrievalScore]:
    out = []
    for mode in modes:
        recall = rr = 0.0
        for item in qa:
            hits = search(index, item.question, k=max(k, depth), mode=mode).hits
            ranks = [r for r, h in enumerate(hits, 1) if _matches(h.path, item.source)]
            recall += bool(ranks and ranks[0] <= k)
            rr += 1.0 / ranks[0] if ranks else 0.0
        out.append(RetrievalScore(mode, recall / len(qa), rr / len(qa), k, len(qa)))
    return out


FAITHFUL = ("You check answers for faithfulness to numbered sources. Pass the answer only if every "
            "statement in it is supported by the sources; fail it if any statement is not.")


@dataclass
class AnswerScore:
    hit_rate: float
    faithfulness: float
    cited_rate: float  # answers with at least one valid citation (the model's or attributed)
    n: int
    model_cited_rate: float = 0.0  # answers where the model itself cited ([n], or structured citations)
    cited_correct: float = 0.0  # answers citing the QA item's source file


def eval_answers(index: Index, qa: list[QA], model: Model, judge: Model | None = None, k: int = 4,
                 max_tokens: int = 120, structured: bool = STRUCTURED) -> AnswerScore:
    faithful_judge = Judge(judge or model, FAITHFUL, scale=PASS_FAIL, reason_chars=160)
    hits = faithful = cited = by_model = correct = 0
    for item in qa:
        a = ask(item.question, index, model, k=k, max_tokens=max_tokens, structured=structured)
        low = a.text.lower()
        hits += any(s.lower() in low for s in item.answer_contains_any)
        cited += bool(a.cited)
        by_model += bool(a.by_model)
        correct += any(_matches(s.path, item.source) for s in a.citations)
        if a.found:
            # Sources have path, heading, text like Hits
            faithful += faithful_judge(item.question, a.text, context=sources_block(a.sources)).passed
    n = len(qa)
    return AnswerScore(hits / n, faithful / n, cited / n, n, by_model / n, correct / n)
