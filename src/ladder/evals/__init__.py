"""Evaluation: run a rung over a dataset, score it by the task's metric, store every item, report."""

from .judge import Judge, Verdict, agreement
from .metrics import (Metric, MetricContext, Score, bootstrap_ci, build_metric, metric_types, percentile,
                      register_metric)
from .runner import EvalResult, RunStore, consistency, evaluate, summarize

__all__ = ["evaluate", "consistency", "summarize", "EvalResult", "RunStore", "Score", "Metric", "MetricContext",
           "build_metric", "register_metric", "metric_types", "Judge", "Verdict", "agreement",
           "bootstrap_ci", "percentile"]
