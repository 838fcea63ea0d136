"""What a run leaves on disk, written atomically (a kill mid-write keeps the previous file):

    <out>/checkpoint/last.pt   trainable weights, optimizer, scheduler, torch RNG, loop state
                               (step, epoch, position in the epoch, losses): resume is exact
    <out>/adapter/             the best student so far: PEFT adapter (or the full model),
                               tokenizer, ladder_method.txt, base_config.json (for export)
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

EMBEDDING_NAMES = {"embed_tokens", "lm_head", "wte", "embed_out"}


def save_checkpoint(path: Path, model, opt, sched, state: dict) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    trainable = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    # the torch RNG drives dropout: restored on resume so the continued run draws the same masks
    blob = {"weights": trainable, "opt": opt.state_dict(), "sched": sched.state_dict(), "state": state,
            "rng": {"torch": torch.get_rng_state()}}
    tmp = path.with_suffix(".tmp")
    torch.save(blob, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, model, opt, sched) -> dict:
    """Restore weights, optimizer, scheduler and the torch RNG; return the loop state.
    Call inside the run's own RNG scope (train forks it), never on the caller's."""
    import torch

    blob = torch.load(path, weights_only=False, map_location="cpu")  # a GPU run resumes on a CPU, too
    params = dict(model.named_parameters())
    with torch.no_grad():
        for n, w in blob["weights"].items():
            params[n].copy_(w)
    opt.load_state_dict(blob["opt"])
    sched.load_state_dict(blob["sched"])
    torch.set_rng_state(blob["rng"]["torch"])  # older checkpoints also hold a "python" state: unused
    return blob["state"]


def save_student(model, tok, path: Path, method: str) -> None:
    """The PEFT adapter (or the whole model for full fine-tuning) + tokenizer, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    if hasattr(model, "peft_config"):
        # Say whether embeddings are saved: left "auto", peft looks for the base's config
        # (on the hub, for a GGUF's directory) to see if the vocabulary grew, and warns
        # when it cannot. We never resize the vocabulary; embeddings are saved only when
        # targeted.
        targets = set(model.peft_config["default"].target_modules or ())
        model.save_pretrained(tmp, save_embedding_layers=bool(targets & EMBEDDING_NAMES))
    else:
        model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    (tmp / "ladder_method.txt").write_text(method)
    cfg = model.config.to_dict()  # sizes the GGUF exporter needs (a PeftModel forwards .config)
    keys = ("model_type", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "hidden_size")
    (tmp / "base_config.json").write_text(json.dumps({k: cfg.get(k) for k in keys}))
    if path.exists():
        shutil.rmtree(path)
    tmp.replace(path)
