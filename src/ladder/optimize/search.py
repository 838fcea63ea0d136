"""The search: gepa's engine, with llm-ladder's task, rung, metric and models plugged in.

    optimize(task, model, proposer, dev, budget=N, name=NAME)
      seed candidate  {"instructions": task.instructions, "demos": "[]"}  (+ retrieve k)
      gepa.optimize   trainset = task.train (minibatches the proposer learns from)
                      valset   = the dev items (every accepted candidate is scored on all)
                      adapter  = LadderAdapter: evaluate / make_reflective_dataset / propose_new_texts
      -> Artifact     the best dev candidate, saved as <data dir>/optimized/NAME/artifact.json

One gepa iteration: pick a candidate from the Pareto front, run it on a minibatch of
training items, show the failures to the proposer, score the proposal on the same
minibatch, and only when it does better score it on every dev item. ``budget`` is
gepa's ``max_metric_calls``: every (candidate, item) scored counts, dev and train.

The two components are changed in turn (gepa's round-robin module selector):

- ``instructions``: the proposer model reads the failures (gepa's rendering of the
  reflective dataset) and writes the rules missing from the instructions, which are
  appended (``proposal="add-rules"``, the default: small local proposers asked for a
  whole rewrite echo the instructions back), or rewrites them whole with gepa's own
  prompt (``proposal="rewrite"``, for a strong proposer).
- ``demos``: a JSON list of training-item sources (``train.jsonl:12``). The failing
  minibatch items are swapped in as demonstrations (the newest last, at most
  ``max_demos``): the examples the current prompt gets wrong are the ones worth showing.
  No model call; gepa's acceptance test keeps the change only when it scores better.

Resuming: gepa checkpoints its state into ``gepa/`` before every iteration; on top of
that every (candidate, item) score and every proposer answer is appended to a JSONL
file as it happens, so a search killed mid-iteration redoes no model call on resume
(the iteration is replayed from the stored scores and answers).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError, LadderError
from ..models.base import Model
from ..progress import Progress
from ..rungs.prompting import PromptRung
from ..tasks import Example, Task
from .artifact import Artifact, JsonlLog, artifact_dir, candidate_hash, check_name
from .rung import OptimizedPrompt

FEEDBACK_CHARS = 600  # per shown output: a small proposer's context is short

# The proposer's prompts, in gepa's template format (its placeholders, its rendering of
# the failures). "add-rules" (the default) asks only for the missing rules and appends
# them: qwen2.5-coder-1.5b asked for a whole rewrite (gepa's default prompt, or a shorter
# one) echoed the current instructions unchanged or wrote a task description around a
# JSON example. "rewrite" is gepa's own prompt and full replacement, for strong proposers.
ADD_RULES_TEMPLATE = """An assistant followed these instructions for a task:
```
<curr_param>
```

It made these mistakes (the input, its answer, and feedback with the correct answer):

<side_info>

Which rules are missing or unclear in the instructions, so that it made these mistakes? Write 1 to 3
short new rules that would have prevented them, stated generally (for every input, not only these).
Write each rule as an order to the assistant, e.g. "- When the text says ..., answer ...", not as a
remark about the instructions. Do not repeat rules that are already there.
Reply with only the new rules, one "- " line each, inside one ``` block."""

_FENCED = re.compile(r"```([A-Za-z]*)\n?(.*?)```", re.S)
_CHATTER = re.compile(r"^(sure|certainly|here is|here's|below is|this new instruction|these instructions|"
                      r"the new instruction|i hope|note:)", re.I)


def extract_instructions(answer: str) -> str:
    """The new instructions in a proposer's answer: the longest fenced block that is not
    code or JSON (an example the model added); else the text without its framing lines
    ("Certainly! ...", "---", "This new instruction ...")."""
    blocks = []
    for lang, body in _FENCED.findall(answer):
        body = body.strip()
        if _is_json(body) or lang.lower() in ("python", "sql"):  # an example, not instructions
            continue
        blocks.append(body)
    if blocks:
        return max(blocks, key=len)
    if answer.count("```") == 1:  # an unclosed block: what follows the fence
        after = answer.split("```", 1)[1]
        return re.sub(r"^[A-Za-z]*\n", "", after).strip()
    text = _FENCED.sub("", answer)
    lines = [ln for ln in text.splitlines() if not _CHATTER.match(ln.strip()) and ln.strip() not in ("---", "***")]
    return "\n".join(lines).strip()


def add_rules(instructions: str, rules: str, most: int = 3) -> str:
    """``instructions`` with the first ``most`` proposed rules appended, each as a "- "
    line, leaving out the ones already there (a small proposer may repeat itself until
    max_tokens: qwen2.5-coder-1.5b wrote 20 near-identical lines)."""
    have = {ln.strip().lstrip("-* ").strip().lower() for ln in instructions.splitlines()}
    new = []
    for ln in rules.splitlines():
        rule = ln.strip().lstrip("-*0123456789.) ").strip()
        if rule and rule.lower() not in have and rule.lower() not in {r.lower() for r in new}:
            new.append(rule)
        if len(new) == most:
            break
    return instructions.rstrip() + "".join(f"\n- {r}" for r in new) if new else instructions


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


def item_id(task: Task, ex: Example) -> str:
    """An item's stable name in stored scores and demos: its source relative to the task
    folder (``train.jsonl:12``), so a moved checkout or an installed package still matches."""
    path, colon, line = ex.source.rpartition(":")
    if colon:
        try:
            return f"{Path(path).resolve().relative_to(task.root.resolve()).as_posix()}:{line}"
        except ValueError:
            pass
    return ex.source


PROPOSALS = ("add-rules", "rewrite")


class LadderAdapter:
    """gepa's ``GEPAAdapter`` for one task and model: a candidate is run as the
    ``optimized`` prompt rung and scored by the task's own metric."""

    def __init__(self, task: Task, model: Model, reflect: Callable[[str], str], folder, *, retrieve: int = 0,
                 max_demos: int = 4, proposal: str = "add-rules", on_scored: Callable[[], None] | None = None):
        if proposal not in PROPOSALS:
            raise ConfigError(f"proposal={proposal!r}: use one of {', '.join(PROPOSALS)}.")
        self.task, self.model, self.reflect, self.retrieve, self.max_demos = task, model, reflect, retrieve, max_demos
        self.proposal = proposal
        self.by_source = {item_id(task, ex): ex for ex in task.train}
        self.evals = JsonlLog(folder / "evals.jsonl")  # one line per (candidate, item) scored
        self.candidates = JsonlLog(folder / "candidates.jsonl")  # a candidate's prompt, then its scores
        self.cache: dict[tuple[str, str], dict] = {(r["candidate"], r["item"]): r for r in self.evals.read()}
        self.seen = {r["candidate"] for r in self.candidates.read() if "instructions" in r}
        self.model_calls = 0  # items actually run this process (not replayed from the cache)
        self.on_scored = on_scored

    # -- a candidate as a rung ----------------------------------------------------------
    def demos(self, candidate: dict[str, str]) -> list[Example]:
        sources = json.loads(candidate.get("demos") or "[]")
        missing = [s for s in sources if s not in self.by_source]
        if missing:
            raise ConfigError(f"Demos {missing} are not in {self.task.name}'s training split (it changed since "
                              "the search began): start a new search with another --name.")
        return [self.by_source[s] for s in sources]

    def rung(self, candidate: dict[str, str]) -> PromptRung:
        part = OptimizedPrompt(candidate["instructions"], self.demos(candidate), self.retrieve)
        return PromptRung([part], name="optimized")

    def record(self, candidate: dict[str, str]) -> str:
        h = candidate_hash(candidate)
        if h not in self.seen:
            self.seen.add(h)
            self.candidates.append({"candidate": h, "instructions": candidate["instructions"],
                                    "demos": json.loads(candidate.get("demos") or "[]"), "ts": time.time()})
        return h

    # -- gepa's interface ---------------------------------------------------------------
    def evaluate(self, batch: list[Example], candidate: dict[str, str], capture_traces: bool = False):
        from gepa import EvaluationBatch

        h = self.record(candidate)
        rung = None
        rows = []
        for ex in batch:
            key = (h, item_id(self.task, ex))
            row = self.cache.get(key)
            if row is None:
                rung = rung or self.rung(candidate)
                row = self._run(rung, h, ex)
                self.cache[key] = row
                self.evals.append(row)
                self.model_calls += 1
            rows.append(row)
            if self.on_scored:
                self.on_scored()
        return EvaluationBatch(outputs=[r["output"] for r in rows], scores=[r["score"] for r in rows],
                               trajectories=rows if capture_traces else None)

    def _run(self, rung: PromptRung, h: str, ex: Example) -> dict:
        try:
            pred = rung(self.task, ex.input, self.model)
            output, error, text = pred.output, pred.error, pred.text
        except LadderError as e:  # one failed item scores 0; a broken setup fails every item the same way
            output, error, text = None, str(e), ""
        score = self.task.metric(ex.input, ex.expected, output)
        return {"candidate": h, "item": item_id(self.task, ex), "score": float(score.value), "reason": score.reason,
                "output": output, "error": error, "text": text[:FEEDBACK_CHARS], "ts": time.time()}

    def make_reflective_dataset(self, candidate: dict[str, str], eval_batch, components_to_update: list[str]
                                ) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        rows = eval_batch.trajectories or []
        out: dict[str, list[dict]] = {}
        for comp in components_to_update:
            if comp == "demos":
                out[comp] = [{"source": r["item"], "score": r["score"]} for r in rows]
                continue
            records = []
            for r in sorted(rows, key=lambda r: r["score"]):  # failures first
                ex = self.by_source.get(r["item"])
                if ex is None:
                    continue
                shown = r["output"] if r["output"] is not None else (r["text"] or "(no valid output)")
                expected = json.dumps(ex.expected, ensure_ascii=False)
                if r["score"] >= 1.0:
                    feedback = "Correct."
                else:
                    why = r["reason"] or r["error"] or "wrong"
                    feedback = f"Wrong ({why[:FEEDBACK_CHARS]}). The correct answer is {expected}."
                records.append({"Inputs": self.task.format_input(ex.input),
                                "Generated Outputs": json.dumps(shown, ensure_ascii=False)[:FEEDBACK_CHARS],
                                "Feedback": feedback})
            out[comp] = records
        return out

    def propose_new_texts(self, candidate: dict[str, str], reflective_dataset: Mapping[str, Sequence[Mapping]],
                          components_to_update: list[str]) -> dict[str, str]:
        from gepa.strategies.instruction_proposal import InstructionProposalSignature

        new = {}
        for comp in components_to_update:
            if comp == "demos":
                current = json.loads(candidate.get("demos") or "[]")
                failing = [r["source"] for r in reflective_dataset[comp] if r["score"] < 1.0]
                keep = [s for s in current if s not in failing]
                new[comp] = json.dumps((keep + failing)[-self.max_demos:] if self.max_demos else [])
            else:
                records = list(reflective_dataset[comp])
                if self.proposal == "add-rules":  # only the mistakes: they are what the rules must fix
                    records = [r for r in records if r["Feedback"] != "Correct."] or records
                prompt = InstructionProposalSignature.prompt_renderer({
                    "current_instruction_doc": candidate[comp], "dataset_with_feedback": records,
                    "prompt_template": ADD_RULES_TEMPLATE if self.proposal == "add-rules" else None})
                text = extract_instructions(self.reflect(prompt))
                if self.proposal == "add-rules":
                    text = add_rules(candidate[comp], text)
                new[comp] = text or candidate[comp]  # an empty proposal keeps the current text
        return new


class Proposer:
    """gepa's ``reflection_lm`` (a ``str -> str`` callable) backed by a Model; every
    answer is stored, so a resumed search replays it instead of asking again."""

    def __init__(self, model: Model, folder, max_tokens: int = 450):
        self.model, self.max_tokens = model, max_tokens
        self.log = JsonlLog(folder / "proposals.jsonl")
        self.answers = {r["key"]: r["answer"] for r in self.log.read()}
        self.calls = 0

    def __call__(self, prompt: str | list) -> str:
        text = prompt if isinstance(prompt, str) else "\n\n".join(str(m.get("content", "")) for m in prompt)
        key = candidate_hash({"prompt": text, "model": self.model.name})
        if key in self.answers:
            return self.answers[key]
        response = self.model.generate([{"role": "user", "content": text}], max_tokens=self.max_tokens,
                                       temperature=0.0)
        self.calls += 1
        self.answers[key] = response.text
        self.log.append({"key": key, "model": self.model.name, "prompt": text, "answer": response.text,
                         "latency_s": round(response.latency_s, 2), "ts": time.time()})
        return response.text


class _Watch:
    """gepa callbacks: store every dev score, keep artifact.json on the best candidate,
    move the progress bar (metric calls used / budget, best dev score so far)."""

    def __init__(self, adapter: LadderAdapter, art: Artifact, bar: Progress, budget: int):
        self.adapter, self.art, self.bar, self.budget = adapter, art, bar, budget
        self.used, self.best = 0, art.dev_score
        self.started, self.earlier_wall_s = time.time(), float(art.provenance.get("wall_s", 0.0))
        self.n_candidates, self.pending = 0, 0  # pending: items scored in the batch under way
        adapter.on_scored = self.on_scored

    def on_scored(self) -> None:
        self.pending += 1
        self.bar.update(min(self.used + self.pending, self.budget), postfix=self.postfix())

    def postfix(self) -> str:
        best = f"{self.best:.1%}" if self.best is not None else "-"
        return f"best dev {best} · {self.n_candidates} candidate(s)"

    def on_budget_updated(self, event) -> None:
        self.used, self.pending = event["metric_calls_used"], 0
        # the cost so far, kept with the artifact: a killed search still reports what it spent
        self.art.provenance.update(metric_calls=self.used, wall_s=self.wall_s())
        if self.art.dev_score is not None:
            self.art.save()
        self.bar.update(min(self.used, self.budget), postfix=self.postfix())

    def wall_s(self) -> float:
        return round(self.earlier_wall_s + time.time() - self.started, 1)

    def on_valset_evaluated(self, event) -> None:
        cand, score = event["candidate"], float(event["average_score"])
        self.n_candidates = max(self.n_candidates, event["candidate_idx"] + 1)
        self.adapter.candidates.append({"candidate": candidate_hash(cand), "dev_score": score,
                                        "dev_items": event["num_examples_evaluated"],
                                        "gepa_index": event["candidate_idx"], "ts": time.time()})
        if event["candidate_idx"] == 0:
            self.art.seed_dev_score = score
        if self.best is None or score > self.best:
            self.best = score
            self.art.instructions = cand["instructions"]
            self.art.demos = [{"input": ex.input, "expected": ex.expected, "source": item_id(self.adapter.task, ex)}
                              for ex in self.adapter.demos(cand)]
            self.art.dev_score = score
            self.art.provenance["wall_s"] = self.wall_s()
            self.art.save()
        self.bar.update(min(self.used, self.budget), postfix=self.postfix())


def optimize(task: Task, model: Model, dev: Sequence[Example], *, proposer: Model | None = None, budget: int = 100,
             name: str | None = None, resume: bool = False, retrieve: int = 0, max_demos: int = 4,
             minibatch: int = 3, seed: int = 0, proposal: str = "add-rules", progress: bool = True) -> Artifact:
    """Search instructions and demos for ``task`` on ``model``, scored on ``dev`` by the
    task's metric, within ``budget`` metric calls; return (and save) the best as an
    Artifact named ``name`` (default ``<task>-<model>``). ``resume`` continues a killed
    or finished search of the same name (a bigger budget searches on). ``proposal``:
    "add-rules" (the proposer writes the missing rules, appended) or "rewrite" (gepa's
    prompt: the proposer rewrites the whole instructions)."""
    import gepa

    name = check_name(name or f"{task.name}-{model.name}".replace("/", "-").replace(":", "-"))
    folder = artifact_dir(name)
    if not task.train:
        raise ConfigError(f"Task {task.name!r} has no training examples: the search learns from data.train "
                          "(demonstrations and the failures shown to the proposer). Add a train split.")
    if not dev:
        raise ConfigError(f"No dev items to score candidates on: add data.dev to {task.name}'s task file.")
    floor = len(dev) + 2 * minibatch
    if budget < floor:
        raise ConfigError(f"--budget {budget} is too small: scoring the starting prompt on the {len(dev)} dev items "
                          f"and one proposal takes {floor} metric calls. Give --budget {floor * 3} or more, or "
                          "fewer dev items (--limit).")
    proposer = proposer or model
    settings = {"task": task.name, "model": model.name, "proposer": proposer.name, "retrieve": retrieve,
                "max_demos": max_demos, "minibatch": minibatch, "seed": seed,
                "dev_items": [item_id(task, ex) for ex in dev]}
    settings_path = folder / "settings.json"
    if folder.exists() and any(folder.iterdir()):
        if not resume:
            raise ConfigError(f"An optimized prompt {name!r} already exists ({folder}): add --resume to continue "
                              "its search, or give another --name.")
        old = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.is_file() else {}
        changed = [k for k in settings if k in old and old[k] != settings[k]]
        if changed:
            raise ConfigError(f"--resume with other settings than the search {name!r} began with "
                              f"({', '.join(changed)} differ): use the same options, or another --name.")
    folder.mkdir(parents=True, exist_ok=True)
    settings_path.write_text(json.dumps(settings, indent=1, ensure_ascii=False), encoding="utf-8")

    started = time.time()
    art = Artifact(name=name, task=task.name, instructions=task.instructions, retrieve=retrieve)
    earlier_wall_s = 0.0
    if (folder / "artifact.json").is_file():  # resuming: the best so far stays the best until beaten
        from .artifact import load_artifact

        art = load_artifact(name)
        art.complete = False
        earlier_wall_s = float(art.provenance.get("wall_s", 0.0))
    bar = Progress(f"optimize {name}", total=budget, enabled=progress, lines=True)
    reflect = Proposer(proposer, folder)
    adapter = LadderAdapter(task, model, reflect, folder, retrieve=retrieve, max_demos=max_demos, proposal=proposal)
    watch = _Watch(adapter, art, bar, budget)
    art.provenance = {**art.provenance, "model": model.name, "proposer": proposer.name, "budget": budget,
                      "gepa": _gepa_version(), "started": art.provenance.get("started") or _utc(started)}
    components = {"instructions": task.instructions}
    if max_demos:
        components["demos"] = "[]"
    log = JsonlLog(folder / "gepa.log.jsonl")
    try:
        result = gepa.optimize(
            seed_candidate=components, trainset=list(task.train), valset=list(dev), adapter=adapter,
            max_metric_calls=budget, reflection_minibatch_size=minibatch, module_selector="round_robin",
            candidate_selection_strategy="pareto", run_dir=str(folder / "gepa"), seed=seed,
            logger=_Logger(log), callbacks=[watch], display_progress_bar=False, raise_on_exception=True,
            track_best_outputs=False)
    finally:
        bar.close()
    best = result.best_candidate
    watch.best = None  # the final word is gepa's best (on the Pareto front's aggregate)
    watch.on_valset_evaluated({"candidate": best, "average_score": result.val_aggregate_scores[result.best_idx],
                               "candidate_idx": result.best_idx, "num_examples_evaluated": len(dev)})
    art.seed_dev_score = result.val_aggregate_scores[0]
    art.complete = True
    art.provenance.update({
        "metric_calls": result.total_metric_calls, "candidates": len(result.candidates),
        "dev_items": len(dev), "train_pool": len(task.train), "seed": seed,
        "model_calls_this_run": adapter.model_calls, "proposer_calls_this_run": reflect.calls,
        "wall_s": round(earlier_wall_s + time.time() - started, 1), "finished": _utc(time.time())})
    art.save()
    return art


class _Logger:
    """gepa's log lines into a file beside the candidates (not onto the progress bar)."""

    def __init__(self, log: JsonlLog):
        self.log_file = log

    def log(self, message: str) -> None:
        self.log_file.append({"ts": time.time(), "message": str(message)})


def _gepa_version() -> str:
    from importlib.metadata import version

    return version("gepa")


def _utc(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
