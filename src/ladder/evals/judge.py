"""The LLM judge — the one judge of the package — and the ``judge`` metric.

A Judge scores an answer by a rubric: on a 1..scale scale (``scale: 5``; the value
is scaled to [0, 1]) or pass/fail. It writes its reason before its score
(constrained JSON), which makes small judges less arbitrary. RAG faithfulness
(rag/eval.py) is this judge with a pass/fail rubric and the sources as context.

How far to trust a judge is itself measured: ``agreement`` compares its scores with
human labels on a labelled set (exact, within one point, Spearman rank correlation).
As a metric, ``labelled:`` names such a file and the agreement is reported once in
the run's summary (``notes()``), next to the judged quality:

    metric: {type: judge, rubric: "5 = ... 1 = ...", scale: 5, model: smollm2,
             labelled: labelled.jsonl, field: answer}
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

from pydantic import BaseModel, ConfigDict, field_validator

from ..errors import ConfigError, LadderError
from ..jsonl import read_records
from ..models.base import Model
from .fields import leaves
from .metrics import MetricContext, Score, register_metric

DEFAULT_RUBRIC = ("Score how well the answer responds to the question, judged against the reference "
                  "answer: 5 = correct and complete, 4 = correct with minor omissions, 3 = partly correct, "
                  "2 = mostly wrong, 1 = wrong or off-topic.")
PASS_FAIL = "pass-fail"
PASS_FAIL_RUBRIC = ("Pass the answer if it correctly answers the question (judged against the reference "
                    "answer when there is one); fail it if it is wrong, incomplete in a way that matters, "
                    "or off-topic.")


@dataclass
class Verdict:
    score: int  # 1..scale; pass/fail: 1 pass, 0 fail
    reason: str
    value: float = 0.0  # the score in [0, 1]

    @property
    def passed(self) -> bool:
        return self.value >= 1.0


class Judge:
    """``Judge(model, rubric, scale=5)`` or ``scale="pass-fail"``; call it with the
    question, the answer, and optionally a reference answer and context (sources)."""

    def __init__(self, model: Model, rubric: str | None = None, scale: int | str = 5,
                 reason_chars: int = 300):
        if scale != PASS_FAIL and not (isinstance(scale, int) and 2 <= scale <= 10):
            raise ConfigError(f"Judge scale must be an integer from 2 to 10 or {PASS_FAIL!r}, not {scale!r}")
        rubric = rubric or (PASS_FAIL_RUBRIC if scale == PASS_FAIL else DEFAULT_RUBRIC)
        self.model, self.rubric, self.scale = model, rubric, scale
        self.max_tokens = reason_chars // 2 + 40  # room for the reason, then the score
        score = ({"type": "boolean"} if scale == PASS_FAIL
                 else {"type": "integer", "enum": list(range(1, scale + 1))})
        key = "pass" if scale == PASS_FAIL else "score"
        self.key = key
        self.schema = {  # "reason" first: the judge reasons, then decides
            "type": "object",
            "properties": {"reason": {"type": "string", "maxLength": reason_chars}, key: score},
            "required": ["reason", key], "additionalProperties": False,
        }
        then = ('"pass": true or false' if scale == PASS_FAIL else f"an integer score from 1 to {scale}")
        self.system = f"You are a strict grader. {rubric}\nReply with JSON: a short reason, then {then}."

    def __call__(self, question: str, answer: str, reference: str | None = None,
                 context: str | None = None, run_id: str | None = None) -> Verdict:
        parts = [f"Sources:\n{context}\n"] if context else []
        parts.append(f"Question: {question}")
        if reference:
            parts.append(f"Reference answer: {reference}")
        parts.append(f"Answer to judge: {answer}")
        r = self.model.generate("\n".join(parts), system=self.system, schema=self.schema,
                                max_tokens=self.max_tokens, temperature=0.0, run_id=run_id)
        if self.scale == PASS_FAIL:
            ok = bool(r.parsed["pass"])
            return Verdict(int(ok), r.parsed["reason"], float(ok))
        s = int(r.parsed["score"])
        return Verdict(s, r.parsed["reason"], (s - 1) / (self.scale - 1))


# -- agreement with people ------------------------------------------------------------------

def load_labelled(path) -> list[dict]:
    """Lines of {"question", "answer", "reference"?, "human_score"} (pass/fail: true/false or 1/0)."""
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
    human = [int(r["human_score"]) for r in labelled]  # pass/fail labels: true/false -> 1/0
    n = len(labelled)
    return {
        "n": n, "exact": sum(j == h for j, h in zip(judged, human)) / n,
        "within_1": sum(abs(j - h) <= 1 for j, h in zip(judged, human)) / n,
        "spearman": spearman(judged, human), "judge_scores": judged, "human_scores": human,
    }


# -- the metric -----------------------------------------------------------------------------

class JudgeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["judge"] = "judge"
    rubric: str | None = None  # default: DEFAULT_RUBRIC (1-5) or PASS_FAIL_RUBRIC
    scale: int | str = 5  # 2..10 points (scaled to [0, 1]) or "pass-fail"
    model: str = "smollm2"  # any model name get_model resolves; loaded at the first score
    labelled: str | None = None  # human-labelled JSONL (relative to the task file): agreement
    field: str | None = None  # the output field judged, when the output is an object

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, v):
        if v != PASS_FAIL and (isinstance(v, bool) or not isinstance(v, int) or not 2 <= v <= 10):
            raise ValueError(f"scale is an integer from 2 to 10 (points, scaled to [0, 1]) or "
                             f"{PASS_FAIL!r}, not {v!r}")
        return v


def _text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


@dataclass
class JudgeMetric:
    spec: JudgeSpec
    labelled: list[dict] = field(default_factory=list, repr=False)
    type: str = "judge"
    references: bool = True  # "expected" may be a list of acceptable reference answers
    _judge: Judge | None = field(default=None, repr=False)
    _notes: dict | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # --jobs scores concurrently

    @property
    def judge(self) -> Judge:
        with self._lock:  # one judge model, loaded at the first score, not when the task loads
            if self._judge is None:
                from ..models import get_model

                self._judge = Judge(get_model(self.spec.model), self.spec.rubric, self.spec.scale)
        return self._judge

    def __call__(self, input: dict, expected: Any, output: Any) -> Score:
        f = self.spec.field
        answer = output.get(f) if f and isinstance(output, dict) else output
        if output is None or answer is None:
            return Score(0.0, {}, "no valid output")
        ref = expected.get(f) if f and isinstance(expected, dict) else expected
        ref = " / ".join(map(_text, ref)) if isinstance(ref, list) else None if ref is None else _text(ref)
        question = (_text(next(iter(input.values()))) if len(input) == 1 else
                    "\n".join(f"{k}: {_text(v)}" for k, v in input.items()))
        try:
            v = self.judge(question, _text(answer), ref)
        except LadderError as e:  # the judge failed, not the answer: say so in the reason
            return Score(0.0, {}, f"the judge gave no verdict: {str(e).splitlines()[0]}")
        if self.spec.scale == PASS_FAIL:
            shown = "pass" if v.passed else "fail"
        else:
            shown = f"{v.score}/{self.spec.scale}"
        reason = v.reason if len(v.reason) <= 200 else v.reason[:199] + "…"
        return Score(v.value, {}, f"judge {shown}: {reason}")

    def notes(self) -> dict:
        """{"judge": {model, scale, agreement with the labelled file (if any)}}, computed once."""
        if self._notes is None:
            notes: dict = {"model": self.spec.model, "scale": self.spec.scale}
            if self.labelled:
                a = agreement(self.judge, self.labelled)
                notes["agreement"] = {k: a[k] for k in ("n", "exact", "within_1", "spearman")}
                notes["labelled"] = self.spec.labelled
            self._notes = {"judge": notes}
        return self._notes


def judge_metric(spec: JudgeSpec, context: MetricContext) -> JudgeMetric:
    paths = leaves(context.schema)
    if spec.field and spec.field not in paths:
        raise context.error("field", f"no field {spec.field!r} in the output schema "
                            f"(fields: {', '.join(p for p in paths if p) or 'none: drop metric.field'}).")
    labelled = []
    if spec.labelled:
        path = context.root / spec.labelled
        if not path.is_file():
            raise context.error("labelled", f"{path} does not exist: give a JSONL of "
                                '{"question", "answer", "reference"?, "human_score"} lines.')
        labelled = load_labelled(path)
    return JudgeMetric(spec, labelled)


register_metric("judge", JudgeSpec, judge_metric)
