"""The ``text`` metric: a free-text output against one reference or a list of
alternative references (the score is the best over them).

    metric: {type: text, measure: token-f1}                 # output schema: a string
    metric: {type: text, measure: rouge-l, field: answer}   # object output: its "answer"

Measures, each in [0, 1]:

    exact         normalized exact match: NFKC, casefolded, punctuation dropped, spaces collapsed
    contains-any  the normalized output contains a normalized reference
    token-f1      F1 of the token multisets (SQuAD-style)
    chrf          chrF (character n-gram F-score) from sacrebleu, /100
    rouge-l       ROUGE-L F-measure from rouge-score

Tokens (token-f1, rouge-l) are runs of letters/digits, except that each Chinese
character and each kana is a token of its own: rouge-score's default tokenizer drops
every non-ASCII character, so it is given ours (a CJK answer would otherwise score 0
or 1 by accident). chrF works on characters and needs no tokenizer.

A text metric has ``references = True``: a dataset line's "expected" may be one
string (or, for an object output, an object whose ``field`` holds the reference) or
a list of strings, each an acceptable answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict

from .fields import json_types, leaves
from .metrics import MetricContext, Score, register_metric

# CJK ideographs (+ extension A, compatibility), hiragana and katakana: one token each.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")


def normalize(text: str) -> str:
    """NFKC, casefolded, punctuation and symbols as spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    """Normalized word tokens; each CJK character (and kana) is a token."""
    return _TOKEN.findall(normalize(text))


def exact(output: str, reference: str) -> float:
    return float(normalize(output) == normalize(reference))


def contains(output: str, reference: str) -> float:
    return float(normalize(reference) in normalize(output))


def token_f1(output: str, reference: str) -> float:
    out, ref = tokens(output), tokens(reference)
    if not out or not ref:
        return float(out == ref)
    common = sum((Counter(out) & Counter(ref)).values())
    if not common:
        return 0.0
    p, r = common / len(out), common / len(ref)
    return 2 * p * r / (p + r)


class _Tokenizer:  # rouge-score calls .tokenize(text)
    def tokenize(self, text: str) -> list[str]:
        return tokens(text)


_libs: dict[str, Any] = {}  # built once: sacrebleu's CHRF, rouge-score's scorer


def chrf(output: str, reference: str) -> float:
    if "chrf" not in _libs:
        from sacrebleu.metrics import CHRF

        _libs["chrf"] = CHRF()
    return _libs["chrf"].sentence_score(output, [reference]).score / 100


def rouge_l(output: str, reference: str) -> float:
    if "rouge" not in _libs:
        from rouge_score.rouge_scorer import RougeScorer

        _libs["rouge"] = RougeScorer(["rougeL"], tokenizer=_Tokenizer())
    return _libs["rouge"].score(reference, output)["rougeL"].fmeasure


MEASURES: dict[str, Callable[[str, str], float]] = {
    "exact": exact, "contains-any": contains, "token-f1": token_f1, "chrf": chrf, "rouge-l": rouge_l}


class TextSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"] = "text"
    measure: Literal["exact", "contains-any", "token-f1", "chrf", "rouge-l"] = "token-f1"
    field: str | None = None  # the string field scored, when the output is an object


def _references(expected: Any, name: str | None) -> list[str]:
    if isinstance(expected, dict) and name:
        expected = expected.get(name)
    refs = expected if isinstance(expected, list) else [expected]
    return [str(r) for r in refs if r is not None]


@dataclass
class TextMetric:
    measure: str
    field: str | None = None
    type: str = "text"
    references: bool = True  # "expected" may be a list of alternative reference strings

    def __call__(self, input: dict, expected: Any, output: Any) -> Score:
        if isinstance(output, dict) and self.field:
            output = output.get(self.field)
        if output is None:
            return Score(0.0, {}, "no valid output")
        refs = _references(expected, self.field)
        if not refs:
            return Score(0.0, {}, "no reference to compare with")
        scores = [MEASURES[self.measure](str(output), r) for r in refs]
        best = max(range(len(refs)), key=scores.__getitem__)
        shown = refs[best] if len(refs[best]) <= 60 else refs[best][:59] + "…"
        which = f" (best of {len(refs)} references)" if len(refs) > 1 else ""
        return Score(scores[best], {}, f"{self.measure} {scores[best]:.2f} against {shown!r}{which}")


def text_metric(spec: TextSpec, context: MetricContext) -> TextMetric:
    paths = leaves(context.schema)
    if list(paths) == [""]:
        if spec.field:
            raise context.error("field", "the output schema is not an object, so there is no field "
                                "to pick: drop metric.field.")
        types = json_types(context.schema)
    else:
        if not spec.field:
            raise context.error("field", f"the output is an object: name the string field to score "
                                f"(one of {', '.join(paths)}).")
        if spec.field not in paths:
            raise context.error("field", f"no field {spec.field!r} in the output schema "
                                f"(fields: {', '.join(paths)}).")
        types = json_types(paths[spec.field], context.schema)
    if types and "string" not in types:
        raise context.error("field" if spec.field else "type", "a text metric scores a string, but "
                            f"the output{' field' if spec.field else ''} is {'/'.join(sorted(types))}.")
    return TextMetric(spec.measure, spec.field)


register_metric("text", TextSpec, text_metric)
