"""The prompt rungs: zero-shot, few-shot (k fixed examples), retrieved few-shot (the k
nearest training examples), chain of thought. Each is one call; ``constrained``
turns constrained decoding on or off."""

from __future__ import annotations

import json
import math
import random
import unicodedata
from collections import Counter

from ..models.base import Model
from ..tasks import Example, Task
from .base import Prediction, ask, build_messages


class ZeroShot:
    def __init__(self, constrained: bool = True):
        self.constrained = constrained
        self.name = "zero-shot" if constrained else "zero-shot-unconstrained"

    def examples(self, task: Task, input: dict) -> list[Example]:
        return []

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction:
        messages = build_messages(task, input, self.examples(task, input))
        value, r, error = ask(model, messages, task.schema, constrained=self.constrained, run_id=run_id)
        return Prediction(value, r.text, messages, [r], error)


class FewShot(ZeroShot):
    """k fixed examples, chosen once (seeded) to cover as many output values as possible."""

    def __init__(self, k: int = 4, seed: int = 0, constrained: bool = True):
        super().__init__(constrained)
        self.k, self.seed = k, seed
        self.name = f"few-shot-{k}" if constrained else f"few-shot-{k}-unconstrained"
        self._chosen: dict[str, list[Example]] = {}

    def examples(self, task: Task, input: dict) -> list[Example]:
        if task.name not in self._chosen:
            pool = list(task.train)
            random.Random(self.seed).shuffle(pool)
            chosen, seen = [], set()
            for ex in pool:  # greedy: prefer examples that add unseen (field, value) pairs
                new = {(k, json.dumps(v)) for k, v in ex.expected.items()} - seen
                if len(new) >= 2 or len(chosen) < 1:
                    chosen.append(ex)
                    seen |= new
                if len(chosen) == self.k:
                    break
            self._chosen[task.name] = chosen
        return self._chosen[task.name]


def _grams(text: str) -> Counter:
    """Character 1-3-grams: language-agnostic, works for CJK without a tokenizer."""
    text = unicodedata.normalize("NFKC", text).lower()
    return Counter(text[i:i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1))


class RetrievedFewShot(ZeroShot):
    """The k training examples nearest the input (TF-IDF cosine on character n-grams),
    never the input itself when it is a training example."""

    def __init__(self, k: int = 4, constrained: bool = True, field: str | None = None):
        super().__init__(constrained)
        self.k, self.field = k, field
        self.name = f"retrieved-few-shot-{k}"
        self._index: dict[str, tuple] = {}

    def _text(self, task: Task, input: dict) -> str:
        return str(input[self.field]) if self.field else task.format_input(input)

    def _build(self, task: Task):
        docs = [_grams(self._text(task, ex.input)) for ex in task.train]
        df = Counter(g for d in docs for g in d)
        idf = {g: math.log((1 + len(docs)) / (1 + c)) + 1 for g, c in df.items()}
        vecs = []
        for d in docs:
            v = {g: c * idf[g] for g, c in d.items()}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
            vecs.append({g: x / norm for g, x in v.items()})
        return idf, vecs

    def examples(self, task: Task, input: dict) -> list[Example]:
        if task.name not in self._index:
            self._index[task.name] = self._build(task)
        idf, vecs = self._index[task.name]
        q = {g: c * idf.get(g, 0.0) for g, c in _grams(self._text(task, input)).items()}
        # an input that is itself a training example (a teacher labelling the train inputs)
        # must not see its own label: that would leak the gold answer into the prompt
        scores = [(sum(w * v.get(g, 0.0) for g, w in q.items()), i) for i, v in enumerate(vecs)
                  if task.train[i].input != input]
        best = sorted(scores, reverse=True)[: self.k]
        # nearest last: small models copy the closest example most
        return [task.train[i] for _, i in reversed(best)]


class ChainOfThought:
    """Reason first, then answer: a 'reasoning' field is written before the task's fields."""

    def __init__(self, inner: ZeroShot | None = None, max_reasoning_chars: int = 300):
        self.inner = inner or ZeroShot()
        self.max_chars = max_reasoning_chars
        self.name = "cot" if type(self.inner) is ZeroShot else f"{self.inner.name}+cot"

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction:
        schema = dict(task.schema)
        schema["properties"] = {"reasoning": {"type": "string", "maxLength": self.max_chars},
                                **task.schema["properties"]}
        schema["required"] = ["reasoning", *task.schema.get("required", [])]
        extra = ('First write your step-by-step reasoning in "reasoning" (short: date arithmetic, '
                 'which number is the amount, which category), then the fields.')
        messages = build_messages(task, input, self.inner.examples(task, input), extra=extra)
        value, r, error = ask(model, messages, schema, constrained=self.inner.constrained,
                              run_id=run_id, max_tokens=256 + self.max_chars // 2)
        output = {k: v for k, v in value.items() if k != "reasoning"} if value else None
        return Prediction(output, r.text, messages, [r], error)
