"""Scaffold a Task from a CSV or JSONL file of examples: what `ladder init` does.

    rows = read_rows("reviews.csv")                 # [{column: value}], typed
    draft = infer_task(rows, "reviews.csv")         # inputs, outputs, schema, metric
    parts = split_rows(rows, draft, seed=0)         # {"train": [...], "dev": [...], "test": [...]}
    made = scaffold("reviews.csv", "tasks/reviews") # all of the above, written and loaded back

    read.py    the file as flat typed rows; a bad line names file and line
    infer.py   the guesses: fields, schema, metric (each one kept as a comment in task.yaml)

Splits are 70/15/15 with a seed, stratified by the first enum output, and rows with the
same input stay in one split, so no test input is also a training example.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .infer import Draft, choose_metric, infer_schema, infer_task
from .read import MIN_ROWS, read_rows

__all__ = ["Draft", "Scaffold", "choose_metric", "infer_schema", "infer_task", "read_rows", "scaffold",
           "split_rows", "MIN_ROWS"]

FRACTIONS = {"test": 0.15, "dev": 0.15}  # the rest is train
FILES = ("task.yaml", "schema.json", "train.jsonl", "dev.jsonl", "test.jsonl")


@dataclass
class Scaffold:
    """What `ladder init` wrote."""

    draft: Draft
    root: Path
    counts: dict[str, int]  # split -> examples

    @property
    def task_file(self) -> Path:
        return self.root / "task.yaml"

    def next_commands(self) -> list[str]:
        t = self.task_file
        return [f"ladder eval --task {t} --rung zero-shot --limit 20",
                f"ladder climb --task {t} --quick",
                "ladder runs"]


def split_rows(rows: list[dict], draft: Draft, seed: int = 0) -> dict[str, list[dict]]:
    """Seeded train/dev/test split (test and dev 15 % each, at least one item each).

    Rows are grouped by input (a repeated input never straddles two splits), then
    ordered so each label of the first enum output is spread evenly through the
    order (stratified), then cut: test first, dev next, train the rest."""
    rng = random.Random(seed)
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(json.dumps(draft.example(r)["input"], sort_keys=True, default=str), []).append(r)
    units = list(groups.values())
    label = _stratum(draft)
    strata: dict[str, list[list[dict]]] = {}
    for u in units:
        strata.setdefault(json.dumps(label(u[0]), default=str), []).append(u)
    keyed = []
    for members in (strata[k] for k in sorted(strata)):
        rng.shuffle(members)
        # Member i of a stratum sits at (i + jitter) / size: every label spread evenly.
        keyed += [((i + rng.random()) / len(members), rng.random(), u) for i, u in enumerate(members)]
    order = [u for _, _, u in sorted(keyed, key=lambda t: t[:2])]
    n = len(order)
    n_test = max(1, round(n * FRACTIONS["test"]))
    n_dev = max(1, round(n * FRACTIONS["dev"]))
    if n - n_test - n_dev < 1:
        raise ConfigError(f"{len(rows)} rows have only {n} distinct inputs: too few to split into train, "
                          f"dev and test; add examples (at least {MIN_ROWS} distinct inputs).")
    cut = {"test": order[:n_test], "dev": order[n_test:n_test + n_dev], "train": order[n_test + n_dev:]}
    return {k: [r for u in cut[k] for r in u] for k in ("train", "dev", "test")}


def _stratum(draft: Draft):
    """The value to stratify by: the single enum output, or the first enum field."""
    schema = draft.schema
    if "enum" in schema:
        return draft.expected
    for k, sub in schema.get("properties", {}).items() if len(draft.outputs) > 1 else ():
        if "enum" in sub:
            return lambda r, k=k: r.get(k)
    return lambda r: None


def scaffold(source: str | Path, out: str | Path, *, inputs: list[str] | None = None,
             outputs: list[str] | None = None, name: str | None = None, seed: int = 0,
             force: bool = False) -> Scaffold:
    """Read ``source``, guess the task, split it and write task.yaml, schema.json and
    train/dev/test.jsonl into ``out``; the result is loaded back with load_task, so a
    written task is a valid one. Existing files are kept unless ``force``."""
    from ..tasks import load_task

    root = Path(out)
    clash = [f for f in FILES if (root / f).exists()]
    if clash and not force:
        raise ConfigError(f"{root} already holds {', '.join(clash)}: pass --force to overwrite, "
                          "or choose another --out directory.")
    rows = read_rows(source)
    draft = infer_task(rows, source, inputs, outputs, name or (root.name if root.name else None))
    parts = split_rows(rows, draft, seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "schema.json").write_text(json.dumps(draft.schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for split, members in parts.items():
        lines = (json.dumps(draft.example(r), ensure_ascii=False) for r in members)
        (root / f"{split}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    (root / "task.yaml").write_text(task_yaml(draft, source, seed), encoding="utf-8")
    task = load_task(root / "task.yaml")
    for split in parts:
        task.split(split)  # every line checked against the schema now, not at the first eval
    return Scaffold(draft, root, {k: len(v) for k, v in parts.items()})


def task_yaml(draft: Draft, source: str | Path, seed: int) -> str:
    """task.yaml with each guess as a comment next to what it decided."""
    import yaml

    def line(key: str, value) -> str:  # `key: value`, collections inline ([a, b], {k: v})
        flow = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False, width=1 << 16)
        return f"{key}: {flow.strip().removesuffix('...').strip()}"

    out = draft.outputs[0] if len(draft.outputs) == 1 else "fields " + ", ".join(draft.outputs)
    text = instructions(draft).strip().replace("\n", "\n  ")
    lines = [f"# Written by `ladder init {Path(source).name}` (seed {seed}). Check every guess, then edit:",
             *(f"#   {n}" for n in draft.notes),
             line("name", draft.name),
             "# The instructions start every prompt: say what the task is, in your own words.",
             f"instructions: |\n  {text}",
             line("inputs", draft.inputs),
             f"# The output ({out}) as JSON Schema; enums list the values seen in the data.",
             "output_schema: schema.json",
             "# How an output is scored (README: Metrics lists the comparators and text measures).",
             line("metric", draft.metric),
             line("data", {"train": "train.jsonl", "dev": "dev.jsonl", "test": "test.jsonl"})]
    return "\n".join(lines) + "\n"


def instructions(draft: Draft) -> str:
    """A first, plain instruction from the field names and the schema."""
    given = " and ".join(", ".join(draft.inputs).rsplit(", ", 1))
    noun = "label" if draft.outputs == ["expected"] else draft.outputs[0]  # task-format rows name none
    fields = list(draft.schema.get("properties", {}))
    values = [v for v in draft.schema.get("enum", []) if v is not None]
    if fields:
        return f"Given the {given}, fill in {', '.join(fields)}.\n"
    if values:
        return f"Given the {given}, answer with its {noun}, one of: {', '.join(map(str, values))}.\n"
    if "string" in str(draft.schema.get("type")):
        return f"Given the {given}, write the {noun}.\n"
    return f"Given the {given}, give the {noun}.\n"
