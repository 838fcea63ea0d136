"""Synthetic inputs: the teacher writes new inputs in the task's input format from seeds.

    seed inputs (train) ─▶ k shown per request (another sample each time), temperature 0.9
        ─▶ teacher writes {"<field>": ..., ...} (the task's input fields, schema-checked)
        ─▶ kept unless: a duplicate (of a kept input or a seed), or it overlaps dev/test
        ─▶ synthetic.jsonl ─▶ labelled by the teacher like any other input

Only inputs are written here; labels come from ``teacher.label`` and its filters, so a
synthetic input is as good as the label the teacher gives it. Each request gives one
JSONL record, kept or not, so the file is the provenance:

    {"request": 3, "kept": true, "input": {...} | null, "rejected_by": null | "invalid" |
     "duplicate" | "overlaps dev/test" | "near-duplicate of dev/test", "detail": "...",
     "seeds": [12, 40, ...],   # indices of the seed inputs shown
     "model": "qwen2.5-coder-1.5b", "temperature": 0.9, "prompt": "<exact prompt or messages>",
     "text": "<raw answer>", "prompt_tokens": 512, "completion_tokens": 30, "latency_s": 2.1}

Comparing texts: an input's text is its field values, NFKC-normalized, casefolded,
punctuation dropped and whitespace collapsed (``normalize``). Duplicates are exact
matches of that text; overlap with dev/test is an exact match or a character 3-gram
Jaccard similarity >= ``near`` (0.8) to any dev/test input — character n-grams because
the bundled tasks mix English with Chinese and Japanese, which have no spaces.

Diversity (``diversity``), reported beside the counts: the distinct-3-gram ratio of the
kept inputs (unique / all character 3-grams) next to the same measure on as many seed
inputs, and the mean nearest-neighbour similarity (3-gram Jaccard) of each kept input
to the seeds and to the other kept inputs: near 1 means paraphrases of what is there.

Resumable: request i always shows the same seeds and samples with seed ``seed*1000+i``,
so a rerun continues at the next request and asks nothing twice. It stops after ``n``
kept inputs or ``max_requests`` requests (default 3n + 10), whichever comes first.
"""

from __future__ import annotations

import json
import random
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InvalidOutput
from ..models.base import Model
from ..progress import Progress
from ..tasks import Task
from .teacher import append_to, read_labels


@dataclass
class SynthStats:
    """Counts of one ``synthesize`` call (the records themselves are in ``path``)."""

    path: Path
    requested: int  # n: kept inputs asked for
    kept: int  # kept inputs in the file now
    requests: int  # requests in the file now (kept or not)
    new_requests: int  # made in this call (the rest were resumed)
    reasons: dict[str, int]  # rejected_by -> records in the file
    diversity: dict[str, float | None]
    prompt_tokens: int  # this call
    completion_tokens: int
    seconds: float
    inputs: list[dict] = field(default_factory=list, repr=False)  # the kept inputs, in file order


def read_synthetic(path: str | Path) -> list[dict]:
    """The kept inputs of a synthetic-inputs file, in order."""
    return [r["input"] for r in read_labels(path) if r.get("kept")]


def synthesize(task: Task, model: Model, seeds: list[dict], n: int, out: str | Path, *, avoid: list[dict] = (),
               k: int = 8, temperature: float = 0.9, seed: int = 0, near: float = 0.8,
               max_requests: int | None = None, run_id: str | None = None, progress: bool = True) -> SynthStats:
    """Ask ``model`` for ``n`` new inputs of ``task``, ``k`` of ``seeds`` shown per request;
    inputs overlapping ``avoid`` (the dev and test inputs) are rejected. Appends to ``out``."""
    if n < 0 or k < 1:
        raise ConfigError(f"n={n}, k={k}: ask for n >= 0 synthetic inputs from k >= 1 seed inputs per request.")
    if not seeds:
        raise ConfigError(f"Task {task.name!r}: synthetic inputs need seed inputs (the train split or --inputs).")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    max_requests = 3 * n + 10 if max_requests is None else max_requests
    records = read_labels(out)
    seen = {normalize(task, s) for s in seeds} | {normalize(task, r["input"]) for r in records if r.get("kept")}
    avoid_text = {normalize(task, a) for a in avoid}
    avoid_grams = [(t, grams(t)) for t in avoid_text]
    schema = input_schema(task, seeds)
    kept = sum(bool(r.get("kept")) for r in records)
    start, tokens, new = time.perf_counter(), [0, 0], 0
    todo = max(0, min(n - kept, max_requests - len(records)))
    with append_to(out) as f, \
            Progress("synthetic inputs", n, enabled=progress and todo > 0, completed=min(kept, n)) as bar:
        i = len(records)
        while kept < n and i < max_requests:
            rec = _request(task, model, seeds, i, k, schema, temperature, seed, run_id)
            if rec["input"] is not None:
                text = normalize(task, rec["input"])
                g = grams(text)
                close = max(((jaccard(g, ag), t) for t, ag in avoid_grams), default=(0.0, ""))
                if not text:
                    rec.update(rejected_by="invalid", detail="no text left once normalized")
                elif text in avoid_text:
                    rec.update(rejected_by="overlaps dev/test", detail="the same text as a dev/test input")
                elif close[0] >= near:
                    rec.update(rejected_by="near-duplicate of dev/test",
                               detail=f"3-gram Jaccard {close[0]:.2f} >= {near} with {close[1][:80]!r}")
                elif text in seen:
                    rec.update(rejected_by="duplicate", detail="the same text as a seed or a kept input")
                else:
                    seen.add(text)
            rec["kept"] = rec["rejected_by"] is None
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            kept += rec["kept"]
            tokens[0] += rec["prompt_tokens"]
            tokens[1] += rec["completion_tokens"]
            new, i = new + 1, i + 1
            if rec["kept"]:
                bar.advance(postfix=f"{i} requests")
    records = read_labels(out)
    inputs = [r["input"] for r in records if r.get("kept")]
    reasons = Counter(r["rejected_by"] for r in records if not r.get("kept"))
    return SynthStats(out, n, len(inputs), len(records), new, dict(reasons.most_common()),
                      diversity(task, inputs, seeds), tokens[0], tokens[1],
                      round(time.perf_counter() - start, 1), inputs)


def input_schema(task: Task, seeds: list[dict]) -> dict:
    """JSON Schema of one input: the task's input fields, all required; a field whose seed
    values are all strings must be a non-empty string (anything else: any JSON value)."""
    props = {}
    for name in task.input_fields:
        values = [s[name] for s in seeds if name in s]
        props[name] = {"type": "string", "minLength": 1} if values and all(isinstance(v, str) for v in values) else {}
    return {"type": "object", "properties": props, "required": list(task.input_fields),
            "additionalProperties": False}


def build_messages(task: Task, shown: list[dict]) -> list[dict]:
    """The prompt for one request: the task, its input fields, the seed inputs shown."""
    described = task.input_descriptions()
    fields = "\n".join(f"- {f}" + (f": {described[f]}" if f in described else "") for f in task.input_fields)
    examples = "\n".join(json.dumps({f: s[f] for f in task.input_fields if f in s}, ensure_ascii=False)
                         for s in shown)
    about = f"{task.name}: {task.spec.description}".strip().rstrip(":")
    user = (f"Task: {about}\nThe task's instructions, for context (do not answer them):\n{task.instructions}\n\n"
            f"An input has these fields:\n{fields}\n\nExample inputs, one JSON object a line:\n{examples}\n\n"
            "Write ONE new input that a real user could give this task: about something else than every "
            "example, in the same style and language mix, with different values. Answer with the JSON "
            "object only.")
    return [{"role": "system", "content": "You write realistic, varied inputs for testing a task."},
            {"role": "user", "content": user}]


def _request(task: Task, model: Model, seeds: list[dict], i: int, k: int, schema: dict, temperature: float,
             seed: int, run_id: str | None) -> dict:
    """Request number ``i``: its seeds and sampling seed depend on ``i`` only (resume)."""
    rng = random.Random(f"{seed}:{i}")
    shown = sorted(rng.sample(range(len(seeds)), min(k, len(seeds))))
    messages = build_messages(task, [seeds[j] for j in shown])
    rec = {"request": i, "kept": False, "input": None, "rejected_by": None, "detail": "", "seeds": shown,
           "model": getattr(model, "name", str(model)), "temperature": temperature, "prompt": messages,
           "text": "", "prompt_tokens": 0, "completion_tokens": 0, "latency_s": 0.0}
    try:
        # one attempt: a retry would be another request anyway, and one call per record
        # keeps the file's provenance exact
        r = model.generate(messages, schema=schema, temperature=temperature, seed=seed * 1000 + i,
                           max_tokens=256, attempts=1, run_id=run_id)
    except InvalidOutput as e:  # no token counts survive a failed generate: the call log has them
        rec.update(rejected_by="invalid", detail=e.validation_message, text=e.raw)
        return rec
    rec.update(input=r.parsed, text=r.text, prompt=r.prompt or messages, prompt_tokens=r.prompt_tokens,
               completion_tokens=r.completion_tokens, latency_s=round(r.latency_s, 3))
    return rec


# -- text comparison and diversity ---------------------------------------------------------

def normalize(task: Task, input: dict) -> str:
    """The input's field values as one comparable text (see the module docstring)."""
    values = [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
              for v in (input.get(f) for f in task.input_fields) if v is not None]
    text = unicodedata.normalize("NFKC", "\n".join(values)).casefold()
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(text.split())


def grams(text: str, n: int = 3) -> set[str]:
    """Character n-grams (a text shorter than n is its own one gram)."""
    return {text[i:i + n] for i in range(max(1, len(text) - n + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def diversity(task: Task, inputs: list[dict], seeds: list[dict]) -> dict[str, float | None]:
    """Distinct-3-gram ratios and mean nearest-neighbour similarities (module docstring);
    None where there is nothing to measure."""
    texts = [normalize(task, x) for x in inputs]
    seed_texts = [normalize(task, s) for s in seeds]

    def distinct(ts: list[str]) -> float | None:
        all_grams = [t[i:i + 3] for t in ts for i in range(max(1, len(t) - 2))]
        return round(len(set(all_grams)) / len(all_grams), 4) if all_grams else None

    g, sg = [grams(t) for t in texts], [grams(t) for t in seed_texts]
    to_seeds = [max(jaccard(a, b) for b in sg) for a in g] if sg else []
    within = [max(jaccard(a, b) for j, b in enumerate(g) if j != i) for i, a in enumerate(g)] if len(g) > 1 else []
    mean = (lambda xs: round(sum(xs) / len(xs), 4) if xs else None)
    return {"distinct_3grams": distinct(texts), "seeds_distinct_3grams": distinct(seed_texts[:len(texts)]),
            "nn_similarity_to_seeds": mean(to_seeds), "nn_similarity_within": mean(within)}


def as_dict(stats: SynthStats) -> dict[str, Any]:
    """The stats for distill.json (without the inputs themselves: they are in the file)."""
    return {**{k: v for k, v in stats.__dict__.items() if k != "inputs"}, "path": str(stats.path)}
