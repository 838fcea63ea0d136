"""Student training: LoRA (or DoRA, IA3, full) supervised fine-tuning, on CPU or GPU.

One recipe, read top to bottom (litgpt's shape); the pieces live beside it:

    setup     config.py   TrainConfig; the base resolved through the models registry
              model.py    load the base trainable, wrap it with a PEFT method
              encode.py   chat rows -> ids + answer-only labels, length-grouped batches
    fit       this file   a plain loop: batches (seeded per epoch), loss only on answer
                          tokens (model.answer_loss), AdamW + linear warmup/decay, a progress
                          bar with loss and ETA, a checkpoint every ``save_every`` steps
              checkpoint.py  atomic checkpoint and adapter saves
    validate  this file   dev loss after each epoch; the best adapter is kept; early
                          stopping after ``patience`` epochs without improvement
    export    export.py   GGUF LoRA, merged weights, registration

Devices: ``TrainConfig.device`` (``--device``) auto | cpu | cuda; auto is CUDA when
``torch.cuda.is_available()``. On CUDA the model and batches move there and the
forward pass runs under bf16 autocast (fp16 + GradScaler on GPUs without bf16); on
the CPU, float32 as before.

``resume=True`` continues from ``<out>/checkpoint/last.pt`` (trainable weights,
optimizer, scheduler, RNG, position in the epoch), so a killed run loses at most
``save_every`` steps. With ``corpus=True`` the same loop does continued pretraining on
raw text (pretrain.py).

The run leaves the caller's process as it found it: the torch RNG is forked
(seeded inside, restored after) and the torch thread count is put back.

Why our own loop and not ``transformers.Trainer``: the loop is 60 lines, its
checkpoint is one file, and resume-after-SIGKILL is exact; Trainer's is not
smaller to read. For multi-GPU, the same rows feed ``accelerate launch``.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..progress import Progress
from .checkpoint import load_checkpoint, save_checkpoint, save_student
from .config import Base, TrainConfig, resolve_base, resolve_device
from .encode import ChatEncoder, collate, encode_chats, length_grouped_batches
from .model import amp_dtype, answer_loss, autocast, load_base, mean_loss, peft_wrap
from .pretrain import encode_texts


@dataclass
class TrainResult:
    """What a training run did and where it left the student (also ``<out>/train.json``)."""

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
    device: str = "cpu"  # where it trained: cpu | cuda


def train(rows: list[dict], dev_rows: list[dict], out: str | Path, config: TrainConfig | None = None,
          *, resume: bool = False, progress: bool = True, corpus: bool = False) -> TrainResult:
    """Fine-tune ``config.base`` on chat rows (``{"messages": [...]}``), or on raw text
    rows (``{"text": ...}``) when ``corpus``. Writes ``<out>/adapter`` (best dev loss),
    ``<out>/checkpoint/last.pt`` and ``<out>/train.json``."""
    import torch

    from ..models.llamacpp import physical_cores

    config = config or TrainConfig()
    device = resolve_device(config.device)  # before anything is written: cuda without CUDA is a ConfigError
    out = Path(out)
    ckpt = out / "checkpoint" / "last.pt"
    if not resume and ckpt.exists():
        raise ConfigError(f"{out} already holds a training run: pass resume=True (--resume) to continue "
                          "it, or choose another output directory.")
    resume = resume and ckpt.exists()  # nothing to resume (killed before the first checkpoint): start fresh
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(config.model_dump_json(indent=2))

    threads = torch.get_num_threads()
    try:
        with torch.random.fork_rng():
            torch.set_num_threads(config.threads or physical_cores())
            torch.manual_seed(config.seed)  # LoRA init and dropout: this run's RNG only
            result = _run(rows, dev_rows, out, ckpt, config, resume, progress, corpus, device)
    finally:
        torch.set_num_threads(threads)
    (out / "train.json").write_text(json.dumps(_jsonable(result), indent=2))
    return result


def _run(rows, dev_rows, out: Path, ckpt: Path, config: TrainConfig, resume: bool, progress: bool,
         corpus: bool, device: str) -> TrainResult:
    import torch

    # setup
    base = resolve_base(config.base)
    model, tok = load_base(base)
    model = peft_wrap(model, config).to(device)
    if corpus:
        train_set, skipped = encode_texts(tok, rows, config.max_length), 0
        dev_set = encode_texts(tok, dev_rows, config.max_length)
    else:
        enc = ChatEncoder(tok, base.chat_format, config.max_length, f"Student base {base.name!r}")
        train_set, skipped = encode_chats(enc, rows)
        dev_set, _ = encode_chats(enc, dev_rows[: config.dev_limit])
    if not train_set:
        raise ConfigError(f"No training rows fit in max_length={config.max_length} tokens: raise max_length.")
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0

    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    total = steps_per_epoch * config.epochs
    if config.max_steps:
        total = min(total, config.max_steps)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)
    warm = max(1, int(config.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    # fp16 autocast needs loss scaling; bf16 and float32 do not (then the scaler passes through)
    scaler = torch.amp.GradScaler("cuda", enabled=device == "cuda" and amp_dtype() == torch.float16)

    state = {"step": 0, "epoch": 0, "pos": 0, "best": math.inf, "bad_epochs": 0, "dev_loss": [],
             "losses": [], "seconds": 0.0}
    if resume:
        state = load_checkpoint(ckpt, model, opt, sched)
    resumed_from = state["step"]

    # fit
    bar = Progress("train", total, enabled=progress, completed=state["step"], lines=True)
    t0 = time.perf_counter() - state["seconds"]
    stopped_early = False
    model.train()
    while state["epoch"] < config.epochs and state["step"] < total:
        batches = length_grouped_batches([len(r["input_ids"]) for r in train_set], config.batch_size,
                                         random.Random(config.seed * 1000 + state["epoch"]))
        for b in range(state["pos"], len(batches)):
            if state["step"] >= total:
                break
            ids, mask, labels = (t.to(device) for t in collate([train_set[i] for i in batches[b]], pad_id))
            with autocast(device):
                loss = answer_loss(model, ids, mask, labels)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(opt)
            scaler.update()
            sched.step()
            opt.zero_grad(set_to_none=True)
            state["step"] += 1
            state["pos"] = b + 1
            state["losses"].append(round(loss.item(), 4))
            state["seconds"] = time.perf_counter() - t0
            bar.update(state["step"], postfix=f"epoch {state['epoch'] + 1} loss {state['losses'][-1]:.4f}")
            if state["step"] % config.save_every == 0:
                save_checkpoint(ckpt, model, opt, sched, state)

        # validate
        epoch_done = state["pos"] >= len(batches)
        dev = mean_loss(model, dev_set, config.batch_size, pad_id) if dev_set else None
        if dev is not None:
            state["dev_loss"].append(round(dev, 4))
            bar.note(f"epoch {state['epoch'] + 1}: dev loss {dev:.4f}")
        if dev is None or dev < state["best"] - 1e-4:
            state["best"] = dev if dev is not None else state["best"]
            state["bad_epochs"] = 0
            save_student(model, tok, out / "adapter", config.method)
        else:
            state["bad_epochs"] += 1
        if epoch_done:
            state["epoch"] += 1
            state["pos"] = 0
        save_checkpoint(ckpt, model, opt, sched, state)
        model.train()
        if config.patience and state["bad_epochs"] >= config.patience:
            stopped_early = True
            bar.note(f"early stop: dev loss did not improve for {config.patience} epoch(s)")
            break
        if not epoch_done:
            break  # max_steps reached mid-epoch
    bar.close()
    if not (out / "adapter").exists():
        save_student(model, tok, out / "adapter", config.method)

    seconds = time.perf_counter() - t0
    recent = state["losses"][-steps_per_epoch:] or [math.nan]
    return TrainResult(out, out / "adapter", base, config.method, state["step"], state["epoch"],
                       sum(recent) / len(recent), state["dev_loss"], skipped, round(seconds, 1),
                       round(seconds / max(1, state["step"] - resumed_from), 3), peak_rss_mb(),
                       stopped_early, resumed_from, device)


def peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _jsonable(result: TrainResult) -> dict:
    d = dict(result.__dict__)
    d["out"], d["adapter"], d["base"] = str(d["out"]), str(d["adapter"]), result.base.__dict__
    return d
