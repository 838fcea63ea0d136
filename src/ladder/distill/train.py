"""Student training: LoRA (or DoRA, IA3, full) supervised fine-tuning, on CPU or GPU.

One recipe, read top to bottom (litgpt's shape):

    setup   load the base (a bundled GGUF, dequantized by transformers, or an HF dir),
            wrap it with a PEFT method, tokenize the chat SFT rows
    fit     a plain loop: shuffled batches (seeded per epoch), loss only on answer
            tokens, AdamW + linear warmup/decay, a progress bar with loss and ETA,
            a checkpoint every ``save_every`` steps and at each epoch end
    validate  dev loss after each epoch; the best adapter is kept; early stopping
            after ``patience`` epochs without improvement

``resume=True`` continues from ``<out>/checkpoint/last.pt`` (trainable weights,
optimizer, scheduler, RNG, position in the epoch), so a killed run loses at most
``save_every`` steps. Export (GGUF, merged weights) lives in ``export.py``.

The same loop does continued pretraining (``train_corpus``): rows are raw text and
every token is a target; it reports held-out perplexity before and after.

Why our own loop and not ``transformers.Trainer``: the loop is 60 lines, its
checkpoint is one file, and resume-after-SIGKILL is exact; Trainer's is not
smaller to read. For multi-GPU, the same rows feed ``accelerate launch``.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError, require

Method = Literal["lora", "dora", "ia3", "full"]


class TrainConfig(BaseModel):
    """Training options. Defaults are sized for 2 CPU cores and a 135M-270M base."""

    model_config = ConfigDict(extra="forbid")
    # a built-in model name, a .gguf path, or an HF directory. Gemma 3 270M by default: as a
    # quick-preset student on the expenses task it got 58 % of 60 test rows exact against
    # SmolLM2-135M's ~10 % (bench/RESULTS.md); multilingual, 262k vocabulary
    base: str = "gemma3-270m"
    method: Method = "lora"
    r: int = Field(16, ge=1)
    alpha: float = 32.0
    dropout: float = 0.0
    # None: every linear layer of attention and MLP (never embeddings / LM head:
    # Gemma's 262k vocabulary makes those huge, and llama.cpp LoRA skips them).
    target_modules: list[str] | None = None
    epochs: int = Field(3, ge=1)
    batch_size: int = Field(8, ge=1)
    lr: float | None = None  # None: 2e-4 for LoRA/DoRA, 3e-3 for IA3, 5e-5 for full
    warmup: float = 0.05  # fraction of steps
    max_length: int = Field(384, ge=16)
    seed: int = 0
    save_every: int = Field(10, ge=1)  # steps between checkpoints
    patience: int = Field(1, ge=0)  # epochs without dev improvement before stopping; 0 = never stop early
    dev_limit: int = 64  # dev rows used for the per-epoch dev loss
    max_steps: int | None = None  # stop after this many steps in total (quick presets, tests)
    threads: int | None = None


@dataclass
class Base:
    """A resolved student base: where its weights are and how its prompts look."""

    name: str  # "smollm2", "gemma3-270m", or the path given
    source: str  # .gguf file or HF directory
    chat_format: str | None  # llama.cpp CHAT_TEMPLATES key, when the file carries no template
    gguf: str | None  # the GGUF the student is served on (LoRA on top), when there is one


def resolve_base(name: str) -> Base:
    """A built-in model name, a .gguf path or an HF directory -> Base."""
    from ..models import _ALIASES, BUILTINS

    canonical = _ALIASES.get(name, name)
    if canonical in BUILTINS:
        b = BUILTINS[canonical]
        try:
            path = str(b.locate())
        except FileNotFoundError as e:
            raise ConfigError(f"Student base {canonical!r} is not installed. Install it with: {e}") from None
        return Base(canonical, path, b.chat_format, path)
    p = Path(name)
    if p.is_file() and p.suffix == ".gguf":
        return Base(name, str(p), None, str(p))
    if p.is_dir() and (p / "config.json").is_file():
        return Base(name, str(p), None, None)
    raise ConfigError(f"Unknown student base {name!r}: use smollm2, gemma3-270m, a .gguf file "
                      "or a Hugging Face model directory (with config.json).")


# -- setup ---------------------------------------------------------------------------

def load_base(base: Base, dtype: str = "float32"):
    """(model, tokenizer) in float32, trainable: the GGUF quantizer marker is cleared,
    otherwise transformers refuses to train or save a model it believes quantized."""
    from ..models.hf import load_hf

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model, tok = load_hf(base.source, dtype=dtype)
    for attr in ("hf_quantizer", "quantization_method"):
        if hasattr(model, attr):
            setattr(model, attr, None)
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model, tok


def peft_wrap(model, config: TrainConfig):
    """Wrap with the PEFT method (LoRA/DoRA/IA3), or unfreeze everything for full FT."""
    if config.method == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return model
    peft = require("peft", "peft", "train", "LoRA training")
    targets = config.target_modules or _linear_targets(model)
    if config.method == "ia3":
        ff = [t for t in targets if t in {"down_proj", "fc2", "w2"}] or targets[-1:]
        cfg = peft.IA3Config(task_type="CAUSAL_LM", target_modules=targets, feedforward_modules=ff)
    else:
        cfg = peft.LoraConfig(task_type="CAUSAL_LM", r=config.r, lora_alpha=config.alpha,
                              lora_dropout=config.dropout, target_modules=targets,
                              use_dora=config.method == "dora")
    return peft.get_peft_model(model, cfg)


def _linear_targets(model) -> list[str]:
    import torch

    names = {n.rsplit(".", 1)[-1] for n, m in model.named_modules()
             if isinstance(m, torch.nn.Linear) and ".layers." in n}
    return sorted(names)


class ChatEncoder:
    """Chat rows -> token ids + labels, masking everything but the answer.

    The prompt is rendered with the same jinja template llama.cpp uses at inference
    (``CHAT_TEMPLATES[chat_format]`` or the model's own), so the student trains on
    exactly the text it will see. The answer is what the template puts after the
    prompt for the final assistant turn (the answer and its end-of-turn marker).
    """

    def __init__(self, tokenizer, chat_format: str | None, max_length: int):
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        from ..models.llamacpp import CHAT_TEMPLATES

        template = CHAT_TEMPLATES.get(chat_format or "") or tokenizer.chat_template
        if not template:
            raise ConfigError("The student base has no chat template: give a chat_format "
                              f"({', '.join(sorted(CHAT_TEMPLATES))}).")
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        self.template = env.from_string(template)
        self.tok, self.max_length = tokenizer, max_length
        self.specials = dict(bos_token=tokenizer.bos_token or "", eos_token=tokenizer.eos_token or "")

    def render(self, messages: list[dict], generation_prompt: bool) -> str:
        return self.template.render(messages=messages, add_generation_prompt=generation_prompt,
                                    **self.specials)

    def encode(self, messages: list[dict]) -> dict | None:
        """{"input_ids", "labels"} for a chat ending with the assistant's answer."""
        if not messages or messages[-1]["role"] != "assistant":
            raise ConfigError("Each SFT row must end with the assistant's answer.")
        prompt = self.render(messages[:-1], True)
        full = self.render(messages, False)
        if not full.startswith(prompt):
            raise ConfigError("The chat template renders the prompt differently with and without the "
                              "answer; pick another chat_format.")
        answer = full[len(prompt):].rstrip("\n")
        p = self.tok(prompt, add_special_tokens=False)["input_ids"]
        a = self.tok(answer, add_special_tokens=False)["input_ids"]
        if len(p) + len(a) > self.max_length:
            return None  # too long: skipped and counted, never silently truncated
        return {"input_ids": p + a, "labels": [-100] * len(p) + a}

    def encode_text(self, text: str) -> list[dict]:
        """Raw text (continued pretraining) -> windows of max_length, every token a target."""
        ids = self.tok(text, add_special_tokens=False)["input_ids"]
        if self.tok.eos_token_id is not None:
            ids = ids + [self.tok.eos_token_id]
        step = self.max_length
        return [{"input_ids": ids[i:i + step], "labels": ids[i:i + step]}
                for i in range(0, len(ids), step) if len(ids[i:i + step]) > 8]


def collate(rows: list[dict], pad_id: int):
    import torch

    n = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), n), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), n), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), n), dtype=torch.long)
    for i, r in enumerate(rows):
        k = len(r["input_ids"])
        ids[i, :k] = torch.tensor(r["input_ids"])
        labels[i, :k] = torch.tensor(r["labels"])
        mask[i, :k] = 1
    return ids, mask, labels


# -- fit -----------------------------------------------------------------------------

@dataclass
class TrainResult:
    out: Path
    adapter: Path  # PEFT adapter dir (or the full model dir for method="full")
    base: Base
    method: str
    steps: int
    epochs_run: int
    train_loss: float
    dev_loss: list[float]  # per epoch
    skipped: int  # rows longer than max_length
    seconds: float
    seconds_per_step: float
    peak_rss_mb: float
    stopped_early: bool
    resumed_from_step: int


def train(rows: list[dict], dev_rows: list[dict], out: str | Path, config: TrainConfig | None = None,
          *, resume: bool = False, progress: bool = True, corpus: bool = False) -> TrainResult:
    """Fine-tune ``config.base`` on chat rows (``{"messages": [...]}``), or on raw text
    rows (``{"text": ...}``) when ``corpus``. Writes ``<out>/adapter`` (best dev loss),
    ``<out>/checkpoint/last.pt`` and ``<out>/train.json``."""
    import torch

    config = config or TrainConfig()
    out = Path(out)
    ckpt_path = out / "checkpoint" / "last.pt"
    if not resume and ckpt_path.exists():
        raise ConfigError(f"{out} already holds a training run: pass resume=True (--resume) to continue "
                          "it, or choose another output directory.")
    if resume and not ckpt_path.exists():
        resume = False  # nothing to resume: start fresh (a kill before the first checkpoint)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(config.model_dump_json(indent=2))

    # setup
    from ..models.llamacpp import physical_cores

    torch.set_num_threads(config.threads or physical_cores())
    _seed_all(config.seed)
    base = resolve_base(config.base)
    model, tok = load_base(base)
    model = peft_wrap(model, config)
    enc = ChatEncoder(tok, base.chat_format, config.max_length)
    train_set, skipped = _encode_all(enc, rows, corpus)
    dev_set, _ = _encode_all(enc, dev_rows[: config.dev_limit] if not corpus else dev_rows, corpus)
    if not train_set:
        raise ConfigError(f"No training rows fit in max_length={config.max_length} tokens: raise max_length.")
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0

    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    total = steps_per_epoch * config.epochs
    if config.max_steps:
        total = min(total, config.max_steps)
    lr = config.lr or {"ia3": 3e-3, "full": 5e-5}.get(config.method, 2e-4)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    warm = max(1, int(config.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))

    state = {"step": 0, "epoch": 0, "pos": 0, "best": math.inf, "bad_epochs": 0, "dev_loss": [],
             "losses": [], "seconds": 0.0}
    if resume:
        state = _load_checkpoint(ckpt_path, model, opt, sched)
    resumed_from = state["step"]

    # fit
    bar = _Progress(total, enabled=progress, start=state["step"])
    t0 = time.perf_counter() - state["seconds"]
    stopped_early = False
    model.train()
    while state["epoch"] < config.epochs and state["step"] < total:
        batches = _batches([len(r["input_ids"]) for r in train_set], config.batch_size,
                           random.Random(config.seed * 1000 + state["epoch"]))
        for b in range(state["pos"], len(batches)):
            if state["step"] >= total:
                break
            ids, mask, labels = collate([train_set[i] for i in batches[b]], pad_id)
            loss = answer_loss(model, ids, mask, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            state["step"] += 1
            state["pos"] = b + 1
            state["losses"].append(round(loss.item(), 4))
            state["seconds"] = time.perf_counter() - t0
            bar.update(state["step"], state["losses"][-1], state["epoch"] + 1)
            if state["step"] % config.save_every == 0:
                _save_checkpoint(ckpt_path, model, opt, sched, state)
        # validate
        epoch_done = state["pos"] >= len(batches)
        dev = _dev_loss(model, dev_set, config.batch_size, pad_id) if dev_set else None
        if dev is not None:
            state["dev_loss"].append(round(dev, 4))
            bar.note(f"epoch {state['epoch'] + 1}: dev loss {dev:.4f}")
        if dev is None or dev < state["best"] - 1e-4:
            state["best"] = dev if dev is not None else state["best"]
            state["bad_epochs"] = 0
            _save_student(model, tok, out / "adapter", config.method)
        else:
            state["bad_epochs"] += 1
        if epoch_done:
            state["epoch"] += 1
            state["pos"] = 0
        _save_checkpoint(ckpt_path, model, opt, sched, state)
        model.train()
        if config.patience and state["bad_epochs"] >= config.patience:
            stopped_early = True
            bar.note(f"early stop: dev loss did not improve for {config.patience} epoch(s)")
            break
        if not epoch_done:
            break  # max_steps reached mid-epoch
    bar.close()
    if not (out / "adapter").exists():
        _save_student(model, tok, out / "adapter", config.method)

    seconds = time.perf_counter() - t0
    recent = state["losses"][-steps_per_epoch:] or [math.nan]
    result = TrainResult(out, out / "adapter", base, config.method, state["step"], state["epoch"],
                         sum(recent) / len(recent), state["dev_loss"], skipped, round(seconds, 1),
                         round(seconds / max(1, state["step"] - resumed_from), 3), peak_rss_mb(),
                         stopped_early, resumed_from)
    (out / "train.json").write_text(json.dumps(_jsonable(result), indent=2))
    return result


def _batches(lengths: list[int], size: int, rng: random.Random, group: int = 16) -> list[list[int]]:
    """Shuffled batches of similar length: shuffle, sort each window of ``group`` batches
    by length, cut it into batches, shuffle the batch order. Less padding per step (the
    HF Trainer's ``group_by_length``), still a seeded, reproducible order (so resume is
    exact)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = size * group
    batches = []
    for i in range(0, len(order), window):
        part = sorted(order[i:i + window], key=lambda j: lengths[j])
        batches += [part[k:k + size] for k in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def answer_loss(model, ids, mask, labels):
    """Cross-entropy on target tokens only, computing the LM head only where there is a
    target. Same value as ``model(..., labels=labels).loss``, but the [batch, seq, vocab]
    logits tensor is never built: with a 49k-262k vocabulary that tensor is most of
    the memory and (for Gemma's 262k) most of the compute."""
    import torch.nn.functional as F

    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = causal.model(input_ids=ids, attention_mask=mask).last_hidden_state  # [b, t, d]
    targets = labels[:, 1:]
    keep = targets != -100
    logits = causal.lm_head(hidden[:, :-1][keep])  # [n_targets, vocab]
    cap = getattr(causal.config, "final_logit_softcapping", None)
    if cap:
        logits = (logits / cap).tanh() * cap
    return F.cross_entropy(logits.float(), targets[keep])


def _encode_all(enc: ChatEncoder, rows: list[dict], corpus: bool) -> tuple[list[dict], int]:
    out, skipped = [], 0
    for row in rows:
        if corpus:
            out.extend(enc.encode_text(row["text"]))
            continue
        item = enc.encode(row["messages"])
        if item is None:
            skipped += 1
        else:
            out.append(item)
    return out, skipped


def _dev_loss(model, dev_set: list[dict], batch_size: int, pad_id: int) -> float:
    """Mean loss per answer token over the dev rows."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(dev_set), batch_size):
            ids, mask, labels = collate(dev_set[i:i + batch_size], pad_id)
            n = int((labels[:, 1:] != -100).sum())
            total += float(answer_loss(model, ids, mask, labels)) * n
            count += n
    return total / max(1, count)


def perplexity(base: str, texts: list[str], adapter: str | Path | None = None, max_length: int = 384) -> float:
    """Held-out perplexity of a base (optionally + adapter) on raw text."""
    b = resolve_base(base)
    model, tok = load_base(b)
    if adapter:
        import peft

        model = peft.PeftModel.from_pretrained(model, str(adapter))
    enc = ChatEncoder(tok, b.chat_format, max_length)
    rows = [w for t in texts for w in enc.encode_text(t)]
    return math.exp(_dev_loss(model, rows, 4, tok.pad_token_id or 0))


def _save_student(model, tok, path: Path, method: str) -> None:
    """The PEFT adapter (or the whole model for full fine-tuning) + tokenizer, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    (tmp / "ladder_method.txt").write_text(method)
    cfg = model.config.to_dict()  # sizes the GGUF exporter needs (a PeftModel forwards .config)
    keys = ("model_type", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "hidden_size")
    (tmp / "base_config.json").write_text(json.dumps({k: cfg.get(k) for k in keys}))
    if path.exists():
        import shutil

        shutil.rmtree(path)
    tmp.replace(path)


def _save_checkpoint(path: Path, model, opt, sched, state: dict) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    trainable = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    blob = {"weights": trainable, "opt": opt.state_dict(), "sched": sched.state_dict(), "state": state,
            "rng": {"torch": torch.get_rng_state(), "python": random.getstate()}}
    tmp = path.with_suffix(".tmp")
    torch.save(blob, tmp)
    os.replace(tmp, path)  # atomic: a kill mid-save leaves the previous checkpoint


def _load_checkpoint(path: Path, model, opt, sched) -> dict:
    import torch

    blob = torch.load(path, weights_only=False)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for n, w in blob["weights"].items():
            params[n].copy_(w)
    opt.load_state_dict(blob["opt"])
    sched.load_state_dict(blob["sched"])
    torch.set_rng_state(blob["rng"]["torch"])
    random.setstate(blob["rng"]["python"])
    return blob["state"]


def _seed_all(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


def peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _jsonable(result: TrainResult) -> dict:
    d = dict(result.__dict__)
    d["out"], d["adapter"], d["base"] = str(d["out"]), str(d["adapter"]), result.base.__dict__
    return d


class _Progress:
    """A rich progress bar with loss and ETA (plain lines when not a terminal)."""

    def __init__(self, total: int, enabled: bool, start: int = 0):
        self.enabled, self.total = enabled, total
        self.bar = None
        if enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.bar = Progress(TextColumn("train epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("loss {task.fields[loss]:.4f}"), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn())
            self.task = self.bar.add_task("train", total=total, completed=start, loss=math.nan, epoch=1)
            self.bar.start()

    def update(self, step: int, loss: float, epoch: int) -> None:
        if self.bar:
            self.bar.update(self.task, completed=step, loss=loss, epoch=epoch)
            if not self.bar.console.is_terminal:  # piped (make demo | tee, nohup): a line per step
                t = self.bar.tasks[0]
                eta = f"{t.time_remaining:.0f}s" if t.time_remaining is not None else "?"
                self.bar.console.print(f"step {step}/{self.total} epoch {epoch} loss {loss:.4f} ETA {eta}")

    def note(self, text: str) -> None:
        if self.bar:
            self.bar.console.print(text)

    def close(self) -> None:
        if self.bar:
            self.bar.stop()
