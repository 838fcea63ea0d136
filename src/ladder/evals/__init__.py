"""Evaluation: run a rung over a dataset, score it, store every item, report."""

from .metrics import bootstrap_ci, field_equal, percentile, score
from .runner import EvalResult, RunStore, consistency, evaluate, summarize

__all__ = ["evaluate", "consistency", "summarize", "EvalResult", "RunStore", "score", "field_equal",
           "bootstrap_ci", "percentile"]
