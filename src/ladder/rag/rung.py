"""RAG as a prompt part: the top-k chunks of an Index as numbered context for any Task.

``RagContext(index, k)`` adds the retrieved sources to the system prompt of a prompt
rung. Registered as the base ``rag-<k>`` (zero-shot with context) and the prompt part
``+rag-<k>`` (e.g. ``few-shot-4+rag-3``, ``rag-4+cot``); the index is named by
``$LADDER_RAG_INDEX`` (default "default") or given in the constructor.
"""

from __future__ import annotations

import os

from ..rungs import PromptRung, register_rung
from ..rungs.prompting import Prompt
from ..tasks import Task
from .answer import sources_block
from .index import Index, open_index
from .search import search


class RagContext:
    def __init__(self, index: str | Index | None = None, k: int = 4):
        self.index_name = index if index is not None else os.environ.get("LADDER_RAG_INDEX", "default")
        self.k = k
        self._index: Index | None = index if isinstance(index, Index) else None
        self.name = f"rag-{k}"

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = open_index(self.index_name)
        return self._index

    def context(self, task: Task, input: dict) -> str:
        hits = search(self.index, task.format_input(input), k=self.k).hits
        return "Numbered sources that may help:\n\n" + sources_block(hits) if hits else ""

    def apply(self, task: Task, input: dict, prompt: Prompt) -> None:
        prompt.notes.append(self.context(task, input))


register_rung("rag", lambda n: PromptRung([RagContext(k=n or 4)]))
register_rung("rag", lambda n: RagContext(k=n or 4), kind="prompt")
