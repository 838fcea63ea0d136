"""Task: what the user wants done, declared in a small YAML file.

    name: expenses
    instructions: |
      Extract the expense ...
    inputs: [text, today, default_currency]      # input fields (or {field: description})
    output_schema: schema.json                   # a path, or the schema inline
    metric: {fields: {merchant: casefold, amount: number}}
    data: {train: train.jsonl, dev: dev.jsonl, test: test.jsonl}

Paths are relative to the task file. Unknown keys are an error naming the key.
Dataset lines are ``{"input": {...}, "expected": {...}}``; a bad line is an error
naming the file and the line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError, DatasetError
from .schema import to_json_schema, validate

Comparator = Literal["exact", "casefold", "number"]


class MetricSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["fields", "execution"] = "fields"
    # How each output field is compared; fields not listed compare exactly.
    fields: dict[str, Comparator] = {}
    # type: execution — the output's "sql" is right when it returns the same rows as the
    # expected "sql" on this database (a SQLite file or .sql seed, relative to the task
    # file); scored by ladder.sql.score_task_output.
    db: str | None = None


class DataSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    train: str | None = None
    dev: str | None = None
    test: str | None = None
    # {"a": input, "b": input} lines: two wordings that must give the same output
    paraphrases: str | None = None


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    instructions: str
    inputs: list[str] | dict[str, str]
    output_schema: str | dict
    metric: MetricSpec = Field(default_factory=MetricSpec)
    data: DataSpec = Field(default_factory=DataSpec)
    # A Python file defining ``validate(input, output) -> list[str]``: task rules beyond
    # the schema (the self-check rung feeds these problems back to the model).
    validators: str | None = None


@dataclass
class Example:
    input: dict
    expected: dict | None
    source: str = ""  # "file:line", for error messages and reports


class Task:
    def __init__(self, spec: TaskSpec, root: Path):
        self.spec, self.root = spec, root
        self.name, self.instructions = spec.name, spec.instructions.strip()
        schema = spec.output_schema
        self.schema: dict = to_json_schema(schema if isinstance(schema, dict) else root / schema)
        self.input_fields: list[str] = list(spec.inputs)
        self.comparators: dict[str, str] = dict(spec.metric.fields)
        self.output_fields: list[str] = list(self.schema.get("properties", {}))
        self._splits: dict[str, list[Example]] = {}
        self._validate = _load_validator(root / spec.validators) if spec.validators else None

    def __repr__(self) -> str:
        return f"<Task {self.name}>"

    def split(self, name: str) -> list[Example]:
        """The examples of a split named in the task file (train, dev or test)."""
        if name not in self._splits:
            rel = getattr(self.spec.data, name, None) if name in DataSpec.model_fields else None
            if rel is None:
                raise ConfigError(f"Task {self.name!r} has no {name!r} split: add data.{name} to the task file.")
            self._splits[name] = self.load(self.root / rel)
        return self._splits[name]

    @property
    def train(self) -> list[Example]:
        return self.split("train") if self.spec.data.train else []

    def paraphrase_pairs(self) -> list[tuple[dict, dict]]:
        """Pairs of inputs that must give the same output (data.paraphrases), checked."""
        if not self.spec.data.paraphrases:
            return []
        path = self.root / self.spec.data.paraphrases
        pairs = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                    a, b = row["a"], row["b"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise DatasetError(path, n, 'each line must be {"a": {input}, "b": {input}}') from None
                for side in (a, b):
                    missing = [f for f in self.input_fields if f not in side]
                    if missing:
                        raise DatasetError(path, n, f"input lacks field(s) {missing}")
                pairs.append((a, b))
        return pairs

    def load(self, path: str | Path, labelled: bool = True) -> list[Example]:
        """Read a JSONL file in the task's format, checking every line."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Dataset {path} does not exist: check the path.")
        out = []
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                out.append(self.parse_line(line, path, n, labelled))
        if not out:
            raise ConfigError(f"Dataset {path} has no examples.")
        return out

    def parse_line(self, line: str, path, n: int, labelled: bool = True) -> Example:
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(path, n, f"not valid JSON ({e.msg} at column {e.colno}). "
                               'Each line must be one object: {"input": {...}, "expected": {...}}') from None
        if not isinstance(row, dict) or "input" not in row:
            raise DatasetError(path, n, 'missing "input": each line must be {"input": {...}, "expected": {...}}')
        extra = set(row) - {"input", "expected"}
        if extra:
            raise DatasetError(path, n, f"unknown key(s) {sorted(extra)}; only 'input' and 'expected' are allowed")
        inp = row["input"]
        if not isinstance(inp, dict):
            raise DatasetError(path, n, '"input" must be an object with the fields ' + ", ".join(self.input_fields))
        missing = [f for f in self.input_fields if f not in inp]
        if missing:
            raise DatasetError(path, n, f"input lacks field(s) {missing} (task {self.name!r} needs {self.input_fields})")
        expected = row.get("expected")
        if labelled and expected is None:
            raise DatasetError(path, n, 'missing "expected" (the labelled output)')
        if expected is not None:
            _, err = validate(self.schema, json.dumps(expected))
            if err:
                raise DatasetError(path, n, f'"expected" does not match the output schema: {err}')
        return Example(inp, expected, f"{path}:{n}")

    def check(self, input: dict, output: Any) -> list[str]:
        """Problems with an output: schema errors first, then the task's validators."""
        _, err = validate(self.schema, json.dumps(output, ensure_ascii=False))
        if err:
            return [err]
        return list(self._validate(input, output)) if self._validate else []

    def format_input(self, input: dict) -> str:
        """The input as the model sees it: one 'field: value' line per input field."""
        return "\n".join(f"{k}: {input[k]}" for k in self.input_fields if k in input)


def bundled_tasks_dir() -> Path:
    """Where the demo tasks live: inside the wheel, or examples/ in a checkout."""
    here = Path(__file__).parent
    for candidate in (here / "_examples", here.parent.parent / "examples"):
        if candidate.is_dir():
            return candidate
    return here / "_examples"


def load_task(name_or_path: str | Path) -> Task:
    """Load a task by bundled name (``expenses``), task directory or YAML path."""
    path = Path(name_or_path)
    if not path.exists():
        bundled = bundled_tasks_dir() / str(name_or_path)
        if bundled.is_dir():
            path = bundled
        else:
            names = sorted(p.name for p in bundled_tasks_dir().iterdir() if (p / "task.yaml").is_file())
            raise ConfigError(f"No task {str(name_or_path)!r}: give a task.yaml path or a bundled name ({', '.join(names)}).")
    if path.is_dir():
        path = path / "task.yaml"
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"Cannot read task file {path}: {e}") from None
    try:
        spec = TaskSpec(**(raw or {}))
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"Task file {path}: {problems}") from None
    return Task(spec, path.parent)


def _load_validator(path: Path):
    import importlib.util

    if not path.is_file():
        raise ConfigError(f"Validators file {path} does not exist: check 'validators' in the task file.")
    spec = importlib.util.spec_from_file_location(f"ladder_task_validators_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "validate", None)):
        raise ConfigError(f"{path} must define validate(input, output) -> list[str].")
    return module.validate
