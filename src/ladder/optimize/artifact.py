"""The optimized prompt on disk: one folder per name under ``<data dir>/optimized/``.

    <data dir>/optimized/<name>/
      artifact.json     the best prompt so far: instructions, demos, dev score, provenance
      candidates.jsonl  every candidate proposed: its prompt, then each score it got
      evals.jsonl       every (candidate, item) scored: what a resumed search never redoes
      proposals.jsonl   every proposer call: its prompt and answer (a resume replays them)
      gepa/             the search engine's own checkpoint (gepa's run_dir)

``artifact.json`` is rewritten whenever the search finds a better dev score, so a
killed search still leaves a usable ``optimized:<name>`` rung (``"complete": false``
until the budget is spent).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..log import data_dir
from ..tasks import Example

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def check_name(name: str) -> str:
    if not NAME.fullmatch(name or ""):
        raise ConfigError(f"Optimized prompt name {name!r} is not usable in a rung spec: use letters, digits, "
                          "'.', '_' and '-' (e.g. expenses-0.5b).")
    return name


def optimized_dir() -> Path:
    return data_dir() / "optimized"


def artifact_dir(name: str) -> Path:
    return optimized_dir() / check_name(name)


@dataclass
class Artifact:
    """An optimized prompt for one task: what replaces the task's instructions, the
    fixed demonstrations shown before the input, and how it was found."""

    name: str
    task: str
    instructions: str
    demos: list[dict] = field(default_factory=list)  # [{"input", "expected", "source"}], shown in order
    retrieve: int = 0  # > 0: the k nearest training examples follow the fixed demos
    dev_score: float | None = None  # the task metric's mean on the dev items searched on
    seed_dev_score: float | None = None  # the starting prompt's, on the same items
    complete: bool = False  # False while (or if killed before) the budget is spent
    provenance: dict[str, Any] = field(default_factory=dict)  # model, proposer, budget, gepa version, times

    def examples(self) -> list[Example]:
        return [Example(d["input"], d["expected"], d.get("source", "")) for d in self.demos]

    def save(self) -> Path:
        path = artifact_dir(self.name) / "artifact.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # atomic: a kill never leaves half a file
        return path


def load_artifact(name: str) -> Artifact:
    path = artifact_dir(name) / "artifact.json"
    if not path.is_file():
        known = list_artifacts()
        listed = f" Optimized prompts here: {', '.join(a.name for a in known)}." if known else ""
        raise ConfigError(f"No optimized prompt {name!r} in {optimized_dir()}: make one with "
                          f"`ladder optimize --task TASK --model MODEL --name {name}`.{listed}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Artifact(**raw)
    except (json.JSONDecodeError, TypeError) as e:
        raise ConfigError(f"{path} is not an optimized prompt ({e}): run `ladder optimize ... --name {name}` "
                          "again, or delete the folder.") from None


def list_artifacts(task: str | None = None) -> list[Artifact]:
    """Every optimized prompt in the data dir (for ``task`` only, when given), by name."""
    root = optimized_dir()
    out = []
    for path in sorted(root.glob("*/artifact.json")) if root.is_dir() else []:
        try:
            art = Artifact(**json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError):
            continue  # a broken folder is reported when it is named, not when listing
        if task is None or art.task == task:
            out.append(art)
    return out


def candidate_hash(candidate: dict[str, str]) -> str:
    """A candidate's stable id (its components, sorted): the key of every stored score."""
    return hashlib.sha256(json.dumps(candidate, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


class JsonlLog:
    """An append-only JSONL file, each line flushed as written (a kill loses at most
    the line being written; a torn last line is skipped on reading)."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> list[dict]:
        if not self.path.is_file():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return rows

    def append(self, row: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
