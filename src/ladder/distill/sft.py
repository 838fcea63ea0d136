"""The SFT dataset: chat rows in JSONL, one ``{"messages": [...]}`` per line.

The student's prompt is deliberately short: one instruction line and the raw
input, no examples, no retrieved context, no schema text. Everything else (the
long instructions, the format, the examples) is what fine-tuning moves into the
weights. ``student_messages`` is the single definition of that prompt: training
rows and the student rung both use it, so train and inference prompts match.

Sources: ``teacher`` (labels from ``teacher.label``), ``gold`` (the task's own
train labels: plain fine-tuning) or ``mix`` (both; gold wins where both label
the same input).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from ..errors import ConfigError
from ..tasks import Example, Task

Source = Literal["teacher", "gold", "mix"]


def student_instruction(task: Task) -> str:
    """One line, the same for every input of the task."""
    return f"Task: {task.name}. Reply with the JSON answer."


def student_messages(task: Task, input: dict) -> list[dict]:
    return [{"role": "system", "content": student_instruction(task)},
            {"role": "user", "content": task.format_input(input)}]


def answer_text(task: Task, output) -> str:
    """The answer as the student should write it: compact JSON, keys in schema order
    (the order llama.cpp's grammar enforces)."""
    if not isinstance(output, dict):  # a string, number, boolean or array answer
        return json.dumps(output, ensure_ascii=False)
    ordered = {k: output[k] for k in task.output_fields if k in output}
    ordered.update({k: v for k, v in output.items() if k not in ordered})
    return json.dumps(ordered, ensure_ascii=False)


def sft_row(task: Task, input: dict, output: dict) -> dict:
    return {"messages": [*student_messages(task, input),
                         {"role": "assistant", "content": answer_text(task, output)}]}


def build_sft(task: Task, *, source: Source = "teacher", labels: str | Path | None = None,
              gold: list[Example] | None = None, limit: int | None = None) -> list[dict]:
    """Chat rows for training. ``labels``: a teacher JSONL (kept rows only);
    ``gold``: labelled examples (default: the task's train split)."""
    rows: dict[str, dict] = {}
    if source in ("teacher", "mix"):
        if labels is None:
            raise ConfigError(f"source={source!r} needs the teacher's labels file (run teacher labelling first).")
        from .teacher import read_labels

        for rec in read_labels(labels):
            if rec["kept"]:  # with the task's current fixes (a labels file may predate them)
                rows[_key(rec["input"])] = sft_row(task, rec["input"], task.repair(rec["input"], rec["expected"])[0])
    if source in ("gold", "mix"):
        for ex in gold if gold is not None else task.train:
            if ex.expected is None:
                raise ConfigError(f"{ex.source}: gold fine-tuning needs labelled examples.")
            rows[_key(ex.input)] = sft_row(task, ex.input, ex.expected)
    out = list(rows.values())
    if not out:
        raise ConfigError("The SFT dataset is empty: the teacher kept no labels (see the labels file's "
                          "'problems'), or the task has no train split.")
    return out[:limit] if limit else out


def write_jsonl(rows: list[dict], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def read_jsonl(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _key(input: dict) -> str:
    return json.dumps(input, sort_keys=True, ensure_ascii=False)
