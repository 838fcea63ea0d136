"""llm-ladder: measure, don't guess, which LLM strategy your task needs; then run it locally.

The design's nouns, importable from the top::

    from ladder import get_model, load_task, build_rung, evaluate, climb
    task = load_task("expenses")                      # Task: instructions, schema, data, metric
    model = get_model("smollm2")                      # Model -> Response
    result = evaluate(task, build_rung("few-shot-4"), model, task.split("test")[:20])
    print(result.summary["quality"])

Errors and models load with ``import ladder``; every other name loads on first use
(a module-level ``__getattr__``), so ``import ladder`` stays light and never pulls in
torch, transformers, FastAPI or the RAG stack until Index, distill or serve is used.
"""

from __future__ import annotations

import importlib
import typing

__version__ = "0.1.0"

from .errors import (
    ConfigError,
    DatasetError,
    InvalidOutput,
    LadderError,
    MissingDependency,
    ModelError,
    ModelNotFound,
    OfflineError,
)
from .models import (
    Message,
    Model,
    Options,
    Response,
    Sampling,
    ScriptedModel,
    get_model,
    list_models,
    register_model,
)

# name -> the module it lives in, imported on first access.
_LAZY = {
    # Task
    "Task": "ladder.tasks", "Example": "ladder.tasks", "load_task": "ladder.tasks",
    "scaffold": "ladder.scaffold",
    # Rung
    "Rung": "ladder.rungs", "Call": "ladder.rungs", "Prediction": "ladder.rungs",
    "build_rung": "ladder.rungs", "register_rung": "ladder.rungs",
    # Metric, Run
    "Metric": "ladder.evals", "Score": "ladder.evals", "register_metric": "ladder.evals",
    "Judge": "ladder.evals", "evaluate": "ladder.evals", "EvalResult": "ladder.evals", "RunStore": "ladder.evals",
    # Climb
    "climb": "ladder.climb", "ClimbResult": "ladder.climb", "pick": "ladder.climb",
    # Teacher / Student (transformers and peft load only when training runs)
    "distill": "ladder.distill", "DistillResult": "ladder.distill", "Student": "ladder.distill",
    # Corpus / Index
    "Index": "ladder.rag", "open_index": "ladder.rag", "ingest": "ladder.rag", "search": "ladder.rag",
    # Server
    "ServerConfig": "ladder.server", "serve": "ladder.server",
}

if typing.TYPE_CHECKING:  # for editors and type checkers; at run time these load lazily
    from .climb import ClimbResult, climb, pick
    from .distill import DistillResult, Student, distill
    from .evals import EvalResult, Judge, Metric, RunStore, Score, evaluate, register_metric
    from .rag import Index, ingest, open_index, search
    from .rungs import Call, Prediction, Rung, build_rung, register_rung
    from .scaffold import scaffold
    from .server import ServerConfig, serve
    from .tasks import Example, Task, load_task


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ladder' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "LadderError", "ConfigError", "DatasetError", "InvalidOutput", "MissingDependency",
    "ModelError", "ModelNotFound", "OfflineError",
    "Message", "Model", "Options", "Response", "Sampling", "ScriptedModel",
    "get_model", "list_models", "register_model",
    *_LAZY,
]
