"""Call wrappers: rungs that wrap another rung and call the model again.

``refine`` is the one retry-with-feedback loop in the package: ask, check, show the
problems to the model, ask again. ``SelfCheck`` is refine with the task's schema and
validators as the check; the NL-to-SQL loop (ladder.sql) is refine with "run the
query" as the check. ``SelfConsistency`` samples n answers and votes. ``Repair`` asks
no model: it sets the values the task's validators name as fixes.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Callable

from ..models.base import Message, Model, Sampling
from ..tasks import Task
from .base import Call, Prediction, ask

FEEDBACK = "Your answer has problems:\n- {problems}\nFix them and answer again with the corrected JSON only."


def refine(model: Model, messages: list[Message], call: Call, check: Callable[[Any], list[str]], *,
           retries: int, run_id: str | None = None, first: Prediction | None = None,
           feedback: str = FEEDBACK) -> Prediction:
    """Ask (or continue from ``first``), then up to ``retries`` times: find the problems
    (the schema error when the answer is invalid, else ``check(output)``), send them back
    as a user turn (``feedback`` with ``{problems}``) and ask again. An invalid retry keeps
    the last valid answer. The Prediction's ``error`` is what is left unresolved."""
    if first is None:
        a = ask(model, messages, call, run_id=run_id)
        first = Prediction(a.output, a.response.text, messages, [a.response], a.error, call, model)
    pred = first
    model = first.model or model

    def problems_of(p: Prediction) -> list[str]:
        return [p.error or "no valid answer"] if p.output is None else [x for x in check(p.output) if x]

    for _ in range(retries):
        problems = problems_of(pred)
        if not problems:
            break
        turn = feedback.format(problems="\n- ".join(problems))
        msgs = [*pred.messages, Message(role="assistant", content=pred.text), Message(role="user", content=turn)]
        a = ask(model, msgs, call, run_id=run_id)
        pred = Prediction(a.output if a.output is not None else pred.output, a.response.text, msgs,
                          [*pred.calls, a.response], a.error, call, model)
    pred.error = "; ".join(problems_of(pred)) or None
    return pred


class SelfCheck:
    """Check the inner rung's answer against the schema and the task's validators; on
    problems, show them to the model and ask again, up to ``retries`` times."""

    def __init__(self, inner, retries: int = 2):
        self.inner, self.retries = inner, retries
        self.name = f"{inner.name}+self-check-{retries}"

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction:
        pred = self.inner(task, input, model, run_id=run_id)
        call = pred.call or Call.for_task(task)
        return refine(model, pred.messages, call, lambda output: task.check(input, output),
                      retries=self.retries, run_id=run_id, first=pred)


class Repair:
    """Apply the fixes the task's validators name (``Task.repair``) to the inner rung's
    answer: no model call, only the task's own rules ("it says 昨天, so the date is …")."""

    def __init__(self, inner):
        self.inner = inner
        self.name = f"{inner.name}+repair"

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction:
        return repaired(task, input, self.inner(task, input, model, run_id=run_id))


def repaired(task: Task, input: dict, pred: Prediction) -> Prediction:
    """``pred`` with the task's fixes applied to its output; ``pred.fixed`` says which."""
    if pred.output is not None:
        pred.output, fixed = task.repair(input, pred.output)
        pred.fixed = [*pred.fixed, *fixed]
    return pred


class SelfConsistency:
    """Sample ``n`` answers from the inner rung at ``temperature`` and keep the most
    common answer: per top-level field for objects, the whole value otherwise (ties go
    to the earliest sample)."""

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
        first = samples[0]
        if not valid:
            return Prediction(None, samples[-1].text, samples[-1].messages, calls, samples[-1].error, first.call,
                              model)
        return Prediction(vote(valid), first.text, first.messages, calls, None, first.call, model)


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def _most_common(values: list) -> Any:
    counts = Counter(_key(v) for v in values)  # Counter keeps first-seen order for ties
    return json.loads(counts.most_common(1)[0][0])


def vote(answers: list) -> Any:
    """The most common answer; objects vote field by field."""
    if all(isinstance(a, dict) for a in answers):
        return {k: _most_common([a.get(k) for a in answers]) for k in answers[0]}
    return _most_common(answers)
