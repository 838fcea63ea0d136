"""Task: what the user wants done, declared in a small YAML file.

    name: expenses
    instructions: |
      Extract the expense ...
    inputs: [text, today, default_currency]      # input fields (or {field: description})
    output_schema: schema.json                   # a path, or the schema inline: any JSON type
    metric: {fields: {merchant: casefold, amount: number}}   # see ladder.evals.metrics
    generation: {max_tokens: 256, temperature: 0}            # optional
    data: {train: train.jsonl, dev: dev.jsonl, test: test.jsonl}

Paths are relative to the task file. Unknown keys are an error naming the key; so
is every malformed part (a file that is not a mapping, a missing split file, a bad
schema, an unknown metric or comparator). Dataset lines are ``{"input": {...},
"expected": ...}``; a bad line is an error naming the file and the line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError, DatasetError
from .schema import to_json_schema, validate


class GenerationSpec(BaseModel):
    """How the model generates for this task (every rung uses these settings)."""

    model_config = ConfigDict(extra="forbid")
    max_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0.0, le=2.0)


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
    # {type: fields | text | judge | execution, ...}: checked by ladder.evals.metrics
    metric: dict = Field(default_factory=dict)
    generation: GenerationSpec = Field(default_factory=GenerationSpec)
    data: DataSpec = Field(default_factory=DataSpec)
    # A Python file defining ``validate(input, output) -> list[str]``: task rules beyond
    # the schema (the self-check rung feeds these problems back to the model).
    validators: str | None = None
    # The student base `ladder distill` trains when --student is not given (measured per task:
    # qwen2.5-coder-0.5b for SQL, bench/RESULTS.md); None: the TrainConfig default (gemma3-270m).
    student: str | None = None


@dataclass
class Example:
    """One labelled dataset line: the input fields, the expected output, where it came from."""

    input: dict
    expected: Any  # the labelled output (any JSON type); None when unlabelled
    source: str = ""  # "file:line", for error messages and reports


class Task:
    """What the user wants done: instructions, input fields, output schema, data splits, metric."""

    def __init__(self, spec: TaskSpec, root: Path, where: str | Path | None = None):
        from .evals.metrics import MetricContext, build_metric  # lazy: evals imports tasks

        self.spec, self.root = spec, root
        where = str(where or root / "task.yaml")
        self.name, self.instructions = spec.name, spec.instructions.strip()
        self.schema: dict = _output_schema(spec.output_schema, root, where)
        self.generation: GenerationSpec = spec.generation
        self.input_fields: list[str] = list(spec.inputs)
        props = self.schema.get("properties") if self.schema.get("type") == "object" else None
        # top-level keys of an object answer; [] for a string, number, boolean or array answer
        self.output_fields: list[str] = list(props) if isinstance(props, dict) else []
        self.student: str | None = spec.student
        self.metric = build_metric(spec.metric, MetricContext(schema=self.schema, root=root, where=where))
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
            err = self._expected_error(expected)
            if err:
                raise DatasetError(path, n, f'"expected" does not match the output schema: {err}')
        return Example(inp, expected, f"{path}:{n}")

    def _expected_error(self, expected: Any) -> str | None:
        """Why ``expected`` is not a valid label; a metric that takes several references
        (``text``) also accepts a non-empty list of answers, each valid."""
        _, err = validate(self.schema, json.dumps(expected))
        if err and getattr(self.metric, "references", False) and isinstance(expected, list) and expected:
            errs = [validate(self.schema, json.dumps(e))[1] for e in expected]
            return next((e for e in errs if e), None)
        return err

    def check(self, input: dict, output: Any) -> list[str]:
        """Problems with an output: schema errors first, then the task's validators.
        A validator that raises is itself a problem, reported, not a crash."""
        err = self._schema_error(output)
        if err:
            return [err]
        return [_problem_text(p) for p in self._problems(input, output)]

    def _schema_error(self, output: Any) -> str | None:
        return validate(self.schema, json.dumps(output, ensure_ascii=False))[1]

    def _problems(self, input: dict, output: Any) -> list:
        if not self._validate:
            return []
        try:
            found = self._validate(input, output) or []
            return [found] if isinstance(found, (str, dict)) else list(found)  # one problem returned bare
        except Exception as e:  # the user's code: report it with the item, keep the run going
            return [f"the task's validators raised {type(e).__name__}: {e}"]

    def repair(self, input: dict, output: Any) -> tuple[Any, list[str]]:
        """(the output with the fixes the validators name applied, the problems fixed).

        A validator may return a problem as ``{"problem": "...", "fix": {field: value}}``
        when the rule itself says the right value (expenses: "it says 昨天, so the date
        is 2025-12-01"). The fixes are set and the output checked again (a fix can reveal
        another, up to 3 rounds); an output the fixes would make schema-invalid is
        returned unchanged. No fix, no change: a plain string problem is never guessed at."""
        if not self._validate or not isinstance(output, dict) or self._schema_error(output):
            return output, []
        fixed, done = output, []
        for _ in range(3):
            fixes = [p for p in self._problems(input, fixed)
                     if isinstance(p, dict) and isinstance(p.get("fix"), dict) and p["fix"]]
            new = {**fixed}
            for p in fixes:
                new.update(p["fix"])
            if new == fixed or self._schema_error(new):
                break
            done += [_problem_text(p) for p in fixes]
            fixed = new
        return fixed, done

    def format_input(self, input: dict) -> str:
        """The input as the model sees it: one 'field: value' line per input field;
        objects and lists as JSON (not Python reprs)."""
        def text(v: Any) -> str:
            return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
        return "\n".join(f"{k}: {text(input[k])}" for k in self.input_fields if k in input)

    def input_descriptions(self) -> dict[str, str]:
        """{field: description} for the input fields the task file describes."""
        inputs = self.spec.inputs
        return {k: d.strip() for k, d in inputs.items() if d and str(d).strip()} if isinstance(inputs, dict) else {}


def _problem_text(p: Any) -> str:
    """A validator's problem as words: a string, or the "problem" of a {"problem", "fix"} dict."""
    return str(p.get("problem") or p) if isinstance(p, dict) else str(p)


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
    if not path.is_file():
        raise ConfigError(f"Task file {path} does not exist: `ladder init` writes one from a CSV or JSONL "
                          "of examples.")
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"Cannot read task file {path}: {e}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"Task file {path} must be a YAML mapping (name:, instructions:, inputs:, "
                          f"output_schema:, ...), not a {type(raw).__name__}; see examples/expenses/task.yaml.")
    try:
        spec = TaskSpec(**raw)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or '(top level)'}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"Task file {path}: {problems}") from None
    for split in DataSpec.model_fields:
        rel = getattr(spec.data, split)
        if rel is not None and not (path.parent / rel).is_file():
            raise ConfigError(f"Task file {path}: data.{split}: {path.parent / rel} does not exist; "
                              "fix the path (relative to the task file) or remove the key.")
    return Task(spec, path.parent, path)


def _output_schema(schema: str | dict, root: Path, where: str) -> dict:
    try:
        return to_json_schema(schema if isinstance(schema, dict) else root / schema)
    except ConfigError as e:
        raise ConfigError(f"Task file {where}: output_schema: {e}") from None


def _load_validator(path: Path):
    import importlib.util

    if not path.is_file():
        raise ConfigError(f"Validators file {path} does not exist: check 'validators' in the task file.")
    spec = importlib.util.spec_from_file_location(f"ladder_task_validators_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "validate", None)):
        raise ConfigError(f"{path} must define validate(input, output) -> a list of problems (strings, "
                          'or {"problem": "...", "fix": {field: value}} when the rule knows the right value).')
    return module.validate
