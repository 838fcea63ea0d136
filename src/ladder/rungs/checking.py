"""Rungs that wrap another rung: self-check (validate, feed the problems back,
retry) and self-consistency (sample n answers, vote per field)."""

from __future__ import annotations

import json
from collections import Counter

from ..models.base import Message, Model, Sampling
from ..tasks import Task
from .base import Prediction, ask


class SelfCheck:
    """Check the inner rung's answer against the schema and the task's validators;
    on problems, show them to the model and ask again, up to ``retries`` times."""

    def __init__(self, inner, retries: int = 2):
        self.inner, self.retries = inner, retries
        self.name = f"{inner.name}+self-check"

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction:
        pred = self.inner(task, input, model, run_id=run_id)
        constrained = getattr(self.inner, "constrained", True)
        for _ in range(self.retries):
            problems = [pred.error] if pred.output is None else task.check(input, pred.output)
            if not problems:
                pred.error = None
                return pred
            feedback = ("Your answer has problems:\n- " + "\n- ".join(p for p in problems if p)
                        + "\nFix them and answer again with the corrected JSON only.")
            messages = [*pred.messages, Message(role="assistant", content=pred.text),
                        Message(role="user", content=feedback)]
            value, r, error = ask(model, messages, task.schema, constrained=constrained, run_id=run_id)
            pred = Prediction(value if value is not None else pred.output, r.text, messages,
                              [*pred.calls, r], error)
        problems = [pred.error] if pred.output is None else task.check(input, pred.output)
        pred.error = "; ".join(p for p in problems if p) or None
        return pred


class SelfConsistency:
    """Sample ``n`` answers from the inner rung at ``temperature`` and keep, per field,
    the most common value (ties go to the earliest sample)."""

    def __init__(self, inner, n: int = 5, temperature: float = 0.7, seed: int = 0):
        self.inner, self.n, self.temperature, self.seed = inner, n, temperature, seed
        self.name = f"{inner.name}+self-consistency-{n}"

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction:
        samples: list[Prediction] = []
        sampling = Sampling(model, self.temperature, self.seed)
        for i in range(self.n):
            sampling.index = i
            samples.append(self.inner(task, input, sampling, run_id=run_id))
        valid = [p.output for p in samples if p.output is not None]
        calls = [c for p in samples for c in p.calls]
        if not valid:
            return Prediction(None, samples[-1].text, samples[-1].messages, calls, samples[-1].error)
        voted = {}
        for key in valid[0]:
            counts = Counter(json.dumps(v.get(key), sort_keys=True, ensure_ascii=False) for v in valid)
            voted[key] = json.loads(counts.most_common(1)[0][0])
        return Prediction(voted, samples[0].text, samples[0].messages, calls, None)
