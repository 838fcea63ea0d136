"""RAG as a rung: the top-k chunks of an Index as numbered context for any Task.

``RagContext(index, k, inner)`` wraps a prompting rung (ZeroShot by default): it
takes the inner rung's examples and builds the same messages, with the retrieved
sources added to the system prompt. Registered as the base ``rag-<k>`` and the
wrapper ``+rag-<k>`` (e.g. ``few-shot-4+rag-3``); the index is named by
``$LADDER_RAG_INDEX`` (default "default") or given in the constructor.
"""

from __future__ import annotations

import os

from ..models.base import Model
from ..rungs import register_rung
from ..rungs.base import Prediction, ask, build_messages
from ..rungs.prompting import ZeroShot
from ..tasks import Task
from .answer import sources_block
from .index import Index, open_index
from .search import search


class RagContext:
    def __init__(self, index: str | Index | None = None, k: int = 4, inner=None):
        self.index_name = index if index is not None else os.environ.get("LADDER_RAG_INDEX", "default")
        self.k, self.inner = k, inner or ZeroShot()
        self._index: Index | None = index if isinstance(index, Index) else None
        self.name = f"rag-{k}" if inner is None else f"{self.inner.name}+rag-{k}"

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = open_index(self.index_name)
        return self._index

    def context(self, task: Task, input: dict) -> str:
        hits = search(self.index, task.format_input(input), k=self.k).hits
        return "Numbered sources that may help:\n\n" + sources_block(hits) if hits else ""

    def __call__(self, task: Task, input: dict, model: Model, run_id: str | None = None) -> Prediction:
        examples = self.inner.examples(task, input) if hasattr(self.inner, "examples") else []
        messages = build_messages(task, input, examples, extra=self.context(task, input))
        constrained = getattr(self.inner, "constrained", True)
        value, r, error = ask(model, messages, task.schema, constrained=constrained, run_id=run_id)
        return Prediction(value, r.text, messages, [r], error)


register_rung("rag", lambda n: RagContext(k=n or 4))
register_rung("rag", lambda inner, n: RagContext(k=n or 4, inner=inner), wrapper=True)
