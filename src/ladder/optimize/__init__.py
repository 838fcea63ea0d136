"""Prompt optimization: search a task's instructions and demonstrations on its dev
split, scored by the task's own metric, and keep the result as a rung.

    ladder optimize --task expenses --model qwen2.5-coder-0.5b --proposer qwen2.5-coder-1.5b \\
        --budget 120 --name expenses-0.5b
    ladder eval  --task expenses --model qwen2.5-coder-0.5b --rung optimized:expenses-0.5b
    ladder climb --task expenses --model qwen2.5-coder-0.5b     # the climb adds optimized:* itself

    search.py    gepa's engine with our task, rung, metric and models (LadderAdapter, Proposer)
    artifact.py  the result on disk: <data dir>/optimized/<name>/ (artifact, every candidate, scores)
    rung.py      the ``optimized:<name>`` rung: a prompt rung with the artifact's instructions and demos

Why gepa (and not a search written here, nor DSPy's optimizers): gepa's reflective
evolution is the method the issue asks for (a proposer model reads the failures and
changes the instructions; a minibatch test then the dev set decide; a Pareto front over
dev items keeps candidates that win on different items), it is a small, maintained, dependency-light package, and its one
integration point, ``GEPAAdapter`` (evaluate, make_reflective_dataset,
propose_new_texts), lets our own rung produce every prediction, so what was measured on
dev is exactly what the rung runs later. DSPy's MIPROv2/GEPA would need our prompts
rewritten as DSPy programs and its own LM client in place of our Model. gepa also
brings the budget (``max_metric_calls``) and a checkpoint (``run_dir``) that resumes
between iterations; we add per-item score and proposer-answer logs on top, so a kill
mid-iteration loses no model call either.

Trade-offs: demos are a fixed set (searched by swapping in failing training items, a
rule, not a model), optionally followed by retrieved examples (``retrieve``). By
default the proposer only adds rules (``proposal="add-rules"``): a 1.5B proposer asked
for a whole rewrite gave the instructions back or replaced them with a JSON example;
gepa's full rewrite stays available for a strong proposer. The budget counts every
scored item, so a small dev subset (``--limit``) buys more iterations but a noisier
dev score — the test split is the judge. Measured on expenses with the 0.5B model and
the 1.5B proposer (bench/bench_optimize.py): no proposal beat the starting prompt in
203 metric calls; the proposer's rules are the limit, not the search.
"""

from .artifact import Artifact, artifact_dir, list_artifacts, load_artifact
from .rung import OptimizedPrompt, optimized_rung, optimized_rungs
from .search import LadderAdapter, Proposer, optimize

__all__ = ["Artifact", "LadderAdapter", "OptimizedPrompt", "Proposer", "artifact_dir", "list_artifacts",
           "load_artifact", "optimize", "optimized_rung", "optimized_rungs"]
