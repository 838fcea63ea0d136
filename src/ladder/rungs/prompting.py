"""Prompt rungs: one model call, with a prompt built from parts.

A ``PromptRung`` holds a list of prompt parts, applied in order to a ``Prompt`` (the
examples shown, notes added to the system prompt, whether the model reasons first).
Parts are values, not subclasses::

    zero-shot                  PromptRung([])
    few-shot-4                 PromptRung([FewShot(4)])
    retrieved-few-shot-4+cot   PromptRung([RetrievedFewShot(4), ChainOfThought()])
    few-shot-4+rag-3           PromptRung([FewShot(4), RagContext(k=3)])   (ladder.rag.rung)

A part is any object with a ``name`` and ``apply(task, input, prompt)``.
"""

from __future__ import annotations

import json
import math
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from ..models.base import Model
from ..tasks import Example, Task
from .base import Call, Prediction, ask, build_messages


@dataclass
class Prompt:
    """What the parts of a prompt rung decide, before the request is built."""

    examples: list[Example] = field(default_factory=list)  # shown as user/assistant turns
    notes: list[str] = field(default_factory=list)  # paragraphs added to the system prompt
    reasoning_chars: int = 0  # > 0: a bounded "reasoning" is written before the answer
    instructions: str | None = None  # replaces the task's instructions (an optimized prompt)


class PromptPart(Protocol):
    name: str

    def apply(self, task: Task, input: dict, prompt: Prompt) -> None: ...


class PromptRung:
    """One call: the task's instructions, the parts' additions, the input."""

    def __init__(self, parts: list = (), constrained: bool = True, name: str | None = None):
        self.parts, self.constrained = list(parts), constrained
        base = "+".join(p.name for p in self.parts) or "zero-shot"
        self.name = name or (base if constrained else f"{base}-unconstrained")

    def prompt(self, task: Task, input: dict) -> Prompt:
        prompt = Prompt()
        for part in self.parts:
            part.apply(task, input, prompt)
        return prompt

    def examples(self, task: Task, input: dict) -> list[Example]:
        """The examples this rung shows for ``input``."""
        return self.prompt(task, input).examples

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction:
        prompt = self.prompt(task, input)
        messages = build_messages(task, input, prompt.examples, prompt.notes, prompt.instructions)
        call = Call.for_task(task, constrained=self.constrained, reasoning_chars=prompt.reasoning_chars)
        answer = ask(model, messages, call, run_id=run_id)
        return Prediction(answer.output, answer.response.text, messages, [answer.response], answer.error, call,
                          model)


def ZeroShot(constrained: bool = True) -> PromptRung:  # noqa: N802 — reads like the rung it names
    return PromptRung([], constrained)


class FewShot:
    """k fixed training examples, chosen once (seeded) to cover as many output values
    as possible."""

    def __init__(self, k: int = 4, seed: int = 0):
        self.k, self.seed = k, seed
        self.name = f"few-shot-{k}"
        self._chosen: dict[str, list[Example]] = {}

    def apply(self, task: Task, input: dict, prompt: Prompt) -> None:
        prompt.examples = self.examples(task, input)

    def examples(self, task: Task, input: dict) -> list[Example]:
        if task.name not in self._chosen:
            pool = list(task.train)
            random.Random(self.seed).shuffle(pool)
            chosen, seen = [], set()
            for ex in pool:  # greedy: prefer examples that add unseen (field, value) pairs
                new = _value_pairs(ex.expected) - seen
                if len(new) >= min(2, len(_value_pairs(ex.expected))) or len(chosen) < 1:
                    chosen.append(ex)
                    seen |= new
                if len(chosen) == self.k:
                    break
            for ex in pool:  # too few distinct answers to fill k: top up in seeded order
                if len(chosen) >= self.k:
                    break
                if ex not in chosen:
                    chosen.append(ex)
            self._chosen[task.name] = chosen
        return self._chosen[task.name]


def _value_pairs(expected) -> set[tuple[str, str]]:
    """(field, value) pairs of an answer; a non-object answer is one pair."""
    if isinstance(expected, dict):
        return {(k, json.dumps(v, sort_keys=True)) for k, v in expected.items()}
    return {("", json.dumps(expected, sort_keys=True))}


def _grams(text: str) -> Counter:
    """Character 1-3-grams: language-agnostic, works for CJK without a tokenizer."""
    text = unicodedata.normalize("NFKC", text).lower()
    return Counter(text[i:i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1))


class RetrievedFewShot:
    """The k training examples nearest the input (TF-IDF cosine on character n-grams),
    never the input itself when it is a training example."""

    def __init__(self, k: int = 4, field: str | None = None):
        self.k, self.field = k, field
        self.name = f"retrieved-few-shot-{k}"
        self._index: dict[str, tuple] = {}

    def apply(self, task: Task, input: dict, prompt: Prompt) -> None:
        prompt.examples = self.examples(task, input)

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


COT_NOTE = ('First write your step-by-step reasoning in "reasoning" (short: what in the input decides '
            'each part of the answer), then the answer.')


class ChainOfThought:
    """Reason first, then answer: a bounded "reasoning" field is written before the
    task's answer (see ``Call.for_task``); the reasoning is dropped from the output."""

    def __init__(self, max_reasoning_chars: int = 300):
        self.max_chars = max_reasoning_chars
        self.name = "cot"

    def apply(self, task: Task, input: dict, prompt: Prompt) -> None:
        prompt.reasoning_chars = self.max_chars
        prompt.notes.append(COT_NOTE)
