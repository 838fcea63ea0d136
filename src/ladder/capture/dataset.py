"""The capture log as a Task's dataset: `ladder dataset from-log` and `ladder init --from-log`.

    built = from_log("expenses", since="7d")     # rows, provenance, schema, instructions
    write_dataset(built, "data.jsonl")            # + data.provenance.jsonl, line for line
    made = scaffold_from_log("expenses", "tasks/expenses")   # task.yaml + train/dev/test

One row per distinct input, in the task format ``{"input": {...}, "expected": ...}``:

- input: the call's template variables (metadata ``input.NAME``), else the last user
  message as ``text`` (ladder.capture.template);
- expected: the upstream's answer. A call made with ``response_format`` json_schema
  has its answer parsed and validated against that schema (an invalid one is skipped
  and counted); json_object answers are parsed; anything else is the answer's text;
- only the upstream's successful answers count (never a student's, never an error);
  when the calls of a tag used different output formats, the most common one wins;
- duplicates (the same input asked again) keep the latest answer; how many answers an
  input had, and whether they differed, is in its provenance.

Provenance (call id, time, model, backend, duplicates) cannot sit in the row itself:
a task's dataset lines hold ``input`` and ``expected`` only. It goes to a sidecar file,
``<name>.provenance.jsonl``, one line per dataset line, in the same order.

The task ``ladder init --from-log`` writes takes its instructions from the calls'
system prompt (the most common one), its output schema from their response_format
(else inferred from the answers, as `ladder init` does), and splits the rows 70/15/15
with the scaffold's seeded, input-grouped split, so `ladder climb` and `ladder distill
--source gold` run on it as on any task.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..schema import schema_key, validate
from .store import get_store
from .template import call_input, output_format, system_prompt


@dataclass
class Built:
    """A tag's captured calls as dataset rows."""

    tag: str
    rows: list[dict]  # {"input": {...}, "expected": ...}
    provenance: list[dict]  # one per row
    kind: str  # json_schema | json_object | text
    schema: dict | None  # the calls' response_format schema (json_schema)
    instructions: str | None  # the most common system prompt
    calls: int  # upstream answers read
    skipped: Counter = field(default_factory=Counter)  # reason -> calls left out
    duplicates: int = 0

    def summary(self) -> str:
        why = ", ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())
        return (f"{len(self.rows)} rows from {self.calls} captured call(s) tagged {self.tag!r}"
                + (f"; {self.duplicates} duplicate input(s) merged" if self.duplicates else "")
                + (f"; skipped {why}" if why else ""))


def parse_since(value: str | float | None) -> float | None:
    """Unix seconds from '2026-03-01', '2026-03-01T12:00', or an age: '30m', '12h', '7d'."""
    if value is None or isinstance(value, (int, float)):
        return value
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", value)
    if m:
        seconds = float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        return dt.datetime.now().timestamp() - seconds
    try:
        return dt.datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise ConfigError(f"--since {value!r}: give a date (2026-03-01), a time (2026-03-01T12:00) "
                          "or an age (30m, 12h, 7d).") from None


def from_log(tag: str, *, since: str | float | None = None, model: str | None = None, store=None) -> Built:
    """The dataset rows of the calls tagged ``tag`` (see the module docstring)."""
    store = store or get_store()
    exchanges = store.rows(tag, since=parse_since(since), model=model, served_by="upstream")
    if not exchanges:
        tags = store.tags()
        known = ", ".join(f"{t} ({n})" for t, n in sorted(tags.items())) or "none yet"
        raise ConfigError(f"No captured calls tagged {tag!r}" + (f" for model {model!r}" if model else "")
                          + (f" since {since}" if since else "") + f" in {store.path}. Tags logged: {known}. "
                          "Capture some with `ladder serve --upstream ...` and an X-Ladder-Tag header "
                          '(or metadata={"tag": ...}).')
    skipped: Counter = Counter()
    ok = []
    for ex in exchanges:
        if ex["status"] != 200 or ex["error"]:
            skipped["failed calls"] += 1
        else:
            ok.append(ex)
    formats = Counter(_format_key(ex["request"]) for ex in ok)
    chosen = formats.most_common(1)[0][0] if formats else None
    systems = Counter(system_prompt(ex["request"]) for ex in ok)
    systems.pop(None, None)
    kind, schema = output_format(next(ex["request"] for ex in ok if _format_key(ex["request"]) == chosen)) \
        if chosen else ("text", None)
    by_input: dict[str, int] = {}
    rows, prov = [], []
    duplicates = 0
    for ex in ok:
        if _format_key(ex["request"]) != chosen:
            skipped["calls with another output format"] += 1
            continue
        inp = call_input(ex["request"], ex["metadata"])
        if not inp:
            skipped["calls without a user message"] += 1
            continue
        if "expected" in inp:
            raise ConfigError(f"Call {ex['id']}: a template variable may not be called 'expected' "
                              "(metadata input.expected); rename it in the client.")
        expected, why = _expected(ex["response"], kind, schema)
        if why:
            skipped[why] += 1
            continue
        key = json.dumps(inp, sort_keys=True, ensure_ascii=False)
        p = {"call_id": ex["id"], "time": dt.datetime.fromtimestamp(ex["ts"]).isoformat(timespec="seconds"),
             "ts": ex["ts"], "model": ex["model"], "backend": ex["backend"], "tag": ex["tag"],
             "redacted": bool(ex["redacted"])}
        if key in by_input:  # the latest answer wins; the provenance counts the others
            i = by_input[key]
            duplicates += 1
            earlier = prov[i]
            p["answers"] = earlier.get("answers", 1) + 1
            p["answers_differ"] = earlier.get("answers_differ", False) or rows[i]["expected"] != expected
            rows[i], prov[i] = {"input": inp, "expected": expected}, p
        else:
            by_input[key] = len(rows)
            rows.append({"input": inp, "expected": expected})
            prov.append(p)
    return Built(tag, rows, prov, kind, schema, systems.most_common(1)[0][0] if systems else None,
                 len(exchanges), skipped, duplicates)


def _format_key(body: dict) -> str:
    kind, schema = output_format(body)
    return kind + (":" + schema_key(schema) if schema else "")


def _expected(answer: str, kind: str, schema: dict | None):
    """(expected value, None) or (None, the reason the call is skipped)."""
    if kind == "json_schema":
        value, err = validate(schema, answer)
        return (None, "answers that fail their response_format schema") if err else (value, None)
    if kind == "json_object":
        try:
            value = json.loads(answer)
        except ValueError:
            return None, "answers that are not JSON"
        return (value, None) if isinstance(value, dict) else (None, "answers that are not JSON objects")
    text = answer.strip()
    return (text, None) if text else (None, "empty answers")


def provenance_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name.removesuffix(".jsonl") + ".provenance.jsonl")


def write_dataset(built: Built, out: str | Path) -> tuple[Path, Path]:
    """``out`` (task-format JSONL) and its provenance sidecar, line for line."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    side = provenance_path(out)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in built.rows), encoding="utf-8")
    side.write_text("".join(json.dumps({"line": n, **p}, ensure_ascii=False) + "\n"
                            for n, p in enumerate(built.provenance, 1)), encoding="utf-8")
    return out, side


FILES = ("task.yaml", "schema.json", "train.jsonl", "dev.jsonl", "test.jsonl", "provenance.jsonl")


def scaffold_from_log(tag: str, out: str | Path | None = None, *, since=None, model: str | None = None,
                      name: str | None = None, seed: int = 0, force: bool = False):
    """A task directory from a tag's captured calls; returns the scaffold's ``Scaffold``."""
    from ..scaffold import MIN_ROWS, Scaffold, choose_metric, infer_schema, split_rows
    from ..scaffold.infer import SCHEMA_URI, Draft
    from ..scaffold.read import TASK_FORMAT
    from ..tasks import load_task

    root = Path(out or re.sub(r"[^A-Za-z0-9_-]+", "-", tag).strip("-").lower() or "task")
    clash = [f for f in FILES if (root / f).exists()]
    if clash and not force:
        raise ConfigError(f"{root} already holds {', '.join(clash)}: pass --force to overwrite, "
                          "or choose another --out directory.")
    built = from_log(tag, since=since, model=model)
    if len({json.dumps(r["input"], sort_keys=True) for r in built.rows}) < MIN_ROWS:
        raise ConfigError(f"{built.summary()}: a task needs at least {MIN_ROWS} distinct inputs to split into "
                          "train, dev and test; capture more calls (a few dozen give meaningful numbers).")
    inputs = list(dict.fromkeys(k for r in built.rows for k in r["input"]))
    flat = [{**{k: r["input"].get(k) for k in inputs}, "expected": r["expected"], TASK_FORMAT: True}
            for r in built.rows]
    notes = [built.summary()]
    if built.schema is not None:
        schema = dict(built.schema)
        notes.append("output schema: the calls' response_format json_schema")
    else:
        schema = infer_schema([r["expected"] for r in built.rows], f"tag {tag!r}: the answers")
        notes.append(f"output schema: inferred from the {built.kind} answers")
    schema.setdefault("$schema", SCHEMA_URI)
    task_name = name or root.name or re.sub(r"[^A-Za-z0-9_-]+", "-", tag).strip("-").lower()
    draft = Draft(task_name, inputs, ["expected"], schema, choose_metric(schema), notes)
    for k in inputs:  # every call must give every field: a missing one is an empty string
        for r in flat:
            r[k] = "" if r[k] is None else r[k]
    parts = split_rows(flat, draft, seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "schema.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for split, members in parts.items():
        lines = (json.dumps(draft.example(r), ensure_ascii=False) for r in members)
        (root / f"{split}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    (root / "provenance.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n"
                                                   for p in built.provenance), encoding="utf-8")
    (root / "task.yaml").write_text(_task_yaml(draft, built, seed), encoding="utf-8")
    task = load_task(root / "task.yaml")
    for split in parts:
        task.split(split)  # every line checked against the schema now
    return Scaffold(draft, root, {k: len(v) for k, v in parts.items()})


def _task_yaml(draft, built: Built, seed: int) -> str:
    import yaml

    from ..scaffold import instructions as plain_instructions

    def line(key: str, value) -> str:
        flow = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False, width=1 << 16)
        return f"{key}: {flow.strip().removesuffix('...').strip()}"

    first, last = built.provenance[0]["time"], max(p["time"] for p in built.provenance)
    text = (built.instructions or plain_instructions(draft)).strip().replace("\r\n", "\n")
    text = "\n".join(("  " + t).rstrip() for t in text.split("\n"))
    how = ("the system prompt the calls sent" if built.instructions else
           "written from the field names (the calls sent no system prompt): say what the task is")
    lines = [f"# Written by `ladder init --from-log {built.tag}` (seed {seed}) from calls made {first} .. {last};",
             "# each row's call id, time and model are in provenance.jsonl. Check every guess, then edit:",
             *(f"#   {n}" for n in draft.notes),
             line("name", draft.name),
             f"# The instructions: {how}.",
             f"instructions: |-\n{text}",
             line("inputs", draft.inputs),
             "# The output: the upstream model's answer, as JSON Schema.",
             "output_schema: schema.json",
             "# How an output is scored (README: Metrics lists the comparators and text measures).",
             line("metric", draft.metric),
             line("data", {"train": "train.jsonl", "dev": "dev.jsonl", "test": "test.jsonl"})]
    return "\n".join(lines) + "\n"
