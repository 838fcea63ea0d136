"""The ``optimized:<name>`` rung: a prompt rung whose instructions and demos come from
an artifact written by ``ladder optimize``.

It is an ordinary ``PromptRung`` with one part, ``OptimizedPrompt``, so it composes
like the hand-written rungs: ``optimized:NAME+cot``, ``optimized:NAME+self-check-2``.
The search itself scores candidates through the same part (``OptimizedPrompt.of``),
so what was measured on dev is exactly what eval, climb, distill and the server run.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..rungs.prompting import Prompt, PromptRung, RetrievedFewShot
from ..tasks import Example, Task
from .artifact import Artifact, load_artifact


class OptimizedPrompt:
    """Prompt part: replace the task's instructions, show fixed demos (never the input's
    own example), then the ``retrieve`` nearest training examples."""

    def __init__(self, instructions: str, demos: list[Example], retrieve: int = 0, *, task: str | None = None,
                 name: str = "optimized"):
        self.instructions, self.demos, self.task, self.name = instructions, list(demos), task, name
        self._retrieved = RetrievedFewShot(k=retrieve) if retrieve else None

    @classmethod
    def of(cls, art: Artifact) -> OptimizedPrompt:
        return cls(art.instructions, art.examples(), art.retrieve, task=art.task, name=f"optimized:{art.name}")

    def apply(self, task: Task, input: dict, prompt: Prompt) -> None:
        if self.task is not None and task.name != self.task:
            raise ConfigError(f"{self.name} was optimized for task {self.task!r}, not {task.name!r}: "
                              f"run `ladder optimize --task {task.name} --model MODEL --name NAME` for this task.")
        prompt.instructions = self.instructions
        # an input that is itself a demo (a train item in the search's minibatch, a teacher
        # labelling train inputs) must not see its own label
        shown = [ex for ex in self.demos if ex.input != input]
        if self._retrieved is not None:  # nearest last, after the fixed demos, none twice
            shown += [ex for ex in self._retrieved.examples(task, input) if all(ex.input != d.input for d in shown)]
        prompt.examples = shown


def optimized_rung(name: str) -> PromptRung:
    """The rung ``optimized:<name>`` (``build_rung`` calls this)."""
    if not name:
        raise ConfigError("'optimized:' needs a name, e.g. optimized:expenses-0.5b (see `ladder optimize --help`).")
    return PromptRung([OptimizedPrompt.of(load_artifact(name))], name=f"optimized:{name}")


def optimized_rungs(task: Task | str, models: list[str] | None = None) -> list[str]:
    """Rung specs of the optimized prompts made for ``task`` — for one of ``models``
    when given (the climb adds these: a prompt is searched for one model)."""
    from .artifact import list_artifacts

    arts = list_artifacts(task if isinstance(task, str) else task.name)
    return [f"optimized:{a.name}" for a in arts if models is None or a.provenance.get("model") in models]


def register_optimized_rung() -> None:
    from ..rungs import BASES, register_rung

    if "optimized:" not in BASES:
        register_rung("optimized:", optimized_rung)


register_optimized_rung()  # importing this module (a rungs plugin) makes the rung known
