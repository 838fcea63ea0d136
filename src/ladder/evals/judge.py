"""LLM-as-judge for free-text outputs: a rubric, a judge model, a score with a reason.

The judge writes its reason before its score (constrained JSON), which makes small
judges less arbitrary. How far to trust a judge is itself measured: ``agreement``
compares its scores with human labels on a labelled set (exact, within one point,
and Spearman rank correlation). Report that number next to any judged score.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..jsonl import read_records
from ..models.base import Model

DEFAULT_RUBRIC = ("Score how well the answer responds to the question, judged against the reference "
                  "answer: 5 = correct and complete, 4 = correct with minor omissions, 3 = partly correct, "
                  "2 = mostly wrong, 1 = wrong or off-topic.")


@dataclass
class Verdict:
    score: int  # 1..scale
    reason: str


class Judge:
    def __init__(self, model: Model, rubric: str = DEFAULT_RUBRIC, scale: int = 5):
        self.model, self.rubric, self.scale = model, rubric, scale
        self.schema = {
            "type": "object",
            "properties": {"reason": {"type": "string", "maxLength": 300},
                           "score": {"type": "integer", "enum": list(range(1, scale + 1))}},
            "required": ["reason", "score"], "additionalProperties": False,
        }

    def __call__(self, question: str, answer: str, reference: str | None = None,
                 run_id: str | None = None) -> Verdict:
        parts = [f"Question: {question}"]
        if reference:
            parts.append(f"Reference answer: {reference}")
        parts.append(f"Answer to judge: {answer}")
        r = self.model.generate(
            "\n".join(parts), system=f"You are a strict grader. {self.rubric}\n"
            f"Reply with JSON: a short reason, then an integer score from 1 to {self.scale}.",
            schema=self.schema, max_tokens=200, run_id=run_id)
        return Verdict(int(r.parsed["score"]), r.parsed["reason"])


def load_labelled(path: str | Path) -> list[dict]:
    """Lines of {"question", "answer", "reference"?, "human_score"}."""
    return read_records(path, {"question", "answer", "human_score"}, {"reference"})


def _ranks(xs: Sequence[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # ties share the mean rank
        i = j + 1
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    ra, rb = _ranks(a), _ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va and vb else None


def agreement(judge: Judge, labelled: Sequence[dict]) -> dict:
    """The judge's agreement with human scores on a labelled set."""
    judged = [judge(r["question"], r["answer"], r.get("reference")).score for r in labelled]
    human = [r["human_score"] for r in labelled]
    n = len(labelled)
    return {
        "n": n, "exact": sum(j == h for j, h in zip(judged, human)) / n,
        "within_1": sum(abs(j - h) <= 1 for j, h in zip(judged, human)) / n,
        "spearman": spearman(judged, human), "judge_scores": judged, "human_scores": human,
    }
