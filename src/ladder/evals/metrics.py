"""Metrics: how one output is scored against its reference — a flat registry of small
named metrics, one ``type:`` each in the task file (after promptfoo's assertion types).

    metric: {fields: {merchant: casefold, amount: number}}   # fields (the default): evals/fields.py
    metric: {type: text, measure: chrf}                      # free text vs reference(s): evals/text.py
    metric: {type: judge, rubric: "...", scale: 5}           # an LLM judge: evals/judge.py
    metric: {type: execution, db: ../ledger/seed.sql}        # SQL results: registered by ladder.sql

Every metric returns a ``Score``: a value in [0, 1] (a run's quality is the mean of the
values, with a bootstrap CI), per-field scores for object outputs, and a reason a
person reads when a number surprises them. An output of ``None`` (the model gave no
valid output) scores 0 with the reason "no valid output". A spec is validated by its
type's pydantic model (extra="forbid"): a typo is a ConfigError naming the task file
and the key.
"""

from __future__ import annotations

import difflib
import importlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError


@dataclass
class Score:
    """One output's score against its reference: a value in [0, 1], per-field scores, a reason."""

    value: float  # in [0, 1]; a run's quality = mean of values
    fields: dict[str, float] = field(default_factory=dict)  # per-field scores ("a.b" paths), object outputs
    reason: str = ""  # one sentence a person reads when a number surprises them


class Metric(Protocol):
    """Scores one output. Optional attributes a runner reads with getattr:
    ``references: bool`` — True when "expected" may also be a list of alternative
    reference strings (the dataset check then accepts a list of strings, not only a
    schema-valid value); ``notes() -> dict`` — facts about the metric itself (a judge's
    agreement with human labels), merged once into a run's summary."""

    type: str

    def __call__(self, input: dict, expected: Any, output: Any) -> Score: ...


@dataclass
class MetricContext:
    schema: dict  # the task's output JSON Schema
    root: Path  # the task directory: paths in a metric spec are relative to it
    where: str  # the task file, for error messages

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"Task file {self.where}: metric.{key}: {message}")


_REGISTRY: dict[str, tuple[type[BaseModel], Callable[[Any, MetricContext], Metric]]] = {}
# Modules that register metrics when imported; imported when a spec names a type not
# known yet (like rungs' PLUGINS): they may pull in heavier dependencies.
BUILTIN_METRICS = ("ladder.evals.fields", "ladder.evals.text", "ladder.evals.judge")
METRIC_PLUGINS = ("ladder.sql",)


def register_metric(type: str, spec_model: type[BaseModel], factory: Callable[[Any, MetricContext], Metric]) -> None:
    """Add a metric type: ``spec_model`` (extra="forbid", a ``type`` Literal) validates the
    task file's ``metric:`` mapping; ``factory(spec, context)`` builds the Metric."""
    _REGISTRY[type] = (spec_model, factory)


def _load(modules: Sequence[str]) -> None:
    for module in modules:
        importlib.import_module(module)


def metric_types() -> list[str]:
    """Every registered metric type, after importing the modules that register them."""
    _load(BUILTIN_METRICS + METRIC_PLUGINS)
    return sorted(_REGISTRY)


def build_metric(raw: dict | None, context: MetricContext) -> Metric:
    """The Metric a task file's ``metric:`` mapping describes (None: compare exactly)."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"Task file {context.where}: metric must be a mapping such as "
                          f"{{type: fields, compare: casefold}}, not {type(raw).__name__}.")
    kind = raw.get("type", "fields")
    for modules in (BUILTIN_METRICS, METRIC_PLUGINS):
        if kind not in _REGISTRY:
            _load(modules)
    if kind not in _REGISTRY:
        close = difflib.get_close_matches(str(kind), list(_REGISTRY), n=2)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise context.error("type", f"unknown metric type {kind!r}.{hint} Known: {', '.join(sorted(_REGISTRY))}.")
    spec_model, factory = _REGISTRY[kind]
    try:
        spec = spec_model(**{**raw, "type": kind})
    except ValidationError as e:
        problems = "; ".join(f"metric.{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"Task file {context.where}: {problems}") from None
    return factory(spec, context)


# -- run statistics ----------------------------------------------------------------------

def bootstrap_ci(values: Sequence[float], n: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean (seeded: the same data gives the same CI)."""
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    k = len(values)
    means = sorted(sum(values[rng.randrange(k)] for _ in range(k)) / k for _ in range(n))
    lo = means[int((1 - level) / 2 * n)]
    hi = means[min(n - 1, int((1 + level) / 2 * n))]
    return (lo, hi)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)

