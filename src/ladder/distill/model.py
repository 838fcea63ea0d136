"""The student being trained: the base loaded trainable, wrapped with a PEFT method, and
its loss on answer tokens."""

from __future__ import annotations

import contextlib
import warnings

from ..errors import require
from .config import Base, TrainConfig

# peft 0.21's PeftModel constructor reads `model.is_gradient_checkpointing`, which
# transformers 5 deprecated (FutureWarning, "use is_activation_checkpointing"). The warning
# is about peft's code, not ours, and says nothing a user can act on; silenced around the
# two peft calls we make (wrapping a model, loading an adapter), nowhere else. (Drop it
# once peft reads the new name.)
_PEFT_GC_WARNING = "`is_gradient_checkpointing` is deprecated"


def load_base(base: Base, dtype: str = "float32"):
    """(model, tokenizer) in float32, trainable: the GGUF quantizer marker is cleared,
    otherwise transformers refuses to train or save a model it believes quantized.
    Bases are local files, so the hub is never asked (``local_files_only``)."""
    from ..models.hf import load_hf

    model, tok = load_hf(base.source, dtype=dtype, local_files_only=True)
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
    targets = config.target_modules or linear_targets(model)
    if config.method == "ia3":
        ff = [t for t in targets if t in {"down_proj", "fc2", "w2"}] or targets[-1:]
        cfg = peft.IA3Config(task_type="CAUSAL_LM", target_modules=targets, feedforward_modules=ff)
    else:
        cfg = peft.LoraConfig(task_type="CAUSAL_LM", r=config.r, lora_alpha=config.alpha,
                              lora_dropout=config.dropout, target_modules=targets,
                              use_dora=config.method == "dora")
    with _quiet_peft():
        return peft.get_peft_model(model, cfg)


def load_adapter(model, adapter):
    """The base with a saved PEFT adapter on top (a PeftModel)."""
    peft = require("peft", "peft", "train", "PEFT adapters")
    with _quiet_peft():
        return peft.PeftModel.from_pretrained(model, str(adapter))


@contextlib.contextmanager
def _quiet_peft():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PEFT_GC_WARNING, category=FutureWarning)
        yield


def linear_targets(model) -> list[str]:
    """Names of the linear layers inside the transformer blocks (attention and MLP)."""
    import torch

    names = {n.rsplit(".", 1)[-1] for n, m in model.named_modules()
             if isinstance(m, torch.nn.Linear) and ".layers." in n}
    return sorted(names)


def autocast(device: str):
    """Mixed precision on CUDA only: bf16 autocast (fp16 on GPUs without bf16, with a
    GradScaler in the loop); float32 weights stay the master copy. On the CPU nothing:
    CPU autocast is slower than float32 for models this small."""
    import torch

    if device != "cuda":
        return contextlib.nullcontext()
    return torch.autocast("cuda", dtype=amp_dtype())


def amp_dtype():
    import torch

    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def answer_loss(model, ids, mask, labels):
    """Cross-entropy on target tokens only (labels != -100), shifted as in causal LM.

    Same value as ``model(..., labels=labels).loss``, but the [batch, seq, vocab]
    logits tensor is never built: the decoder gives hidden states ([b, t, d]) and the
    output embedding (LM head) runs only on the target positions ([n_targets, vocab]).
    With a 49k-262k vocabulary that tensor is most of the memory (Gemma, batch 8 x 384
    tokens: 3.2 GB in float32) and most of the compute. The public API is used
    (``get_decoder``, ``get_output_embeddings``), not the attribute names of one
    architecture; ``logits_to_keep`` cannot do this: it keeps the same positions in
    every row, the answers sit at different positions."""
    import torch.nn.functional as F

    causal = model.get_base_model() if hasattr(model, "get_base_model") else model  # PEFT: adapters are in place
    hidden = causal.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state  # [b, t, d]
    targets = labels[:, 1:]
    keep = targets != -100
    logits = causal.get_output_embeddings()(hidden[:, :-1][keep])  # [n_targets, vocab]
    cap = getattr(causal.config, "final_logit_softcapping", None)  # Gemma 2/3 cap their logits
    if cap:
        logits = (logits / cap).tanh() * cap
    return F.cross_entropy(logits.float(), targets[keep])


def mean_loss(model, rows: list[dict], batch_size: int, pad_id: int) -> float:
    """Mean loss per target token over encoded rows (the dev loss; log-perplexity)."""
    import torch

    from .encode import collate

    model.eval()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(rows), batch_size):
            ids, mask, labels = (t.to(device) for t in collate(rows[i:i + batch_size], pad_id))
            n = int((labels[:, 1:] != -100).sum())
            with autocast(device.type):
                total += float(answer_loss(model, ids, mask, labels)) * n
            count += n
    return total / max(1, count)
