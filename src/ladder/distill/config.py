"""What a training run is asked to do (TrainConfig) and which base it starts from (Base).

A base is a built-in model name resolved through the models registry
(``ladder.models.builtin``: the same GGUF the climb runs), a ``.gguf`` path, or a
Hugging Face model directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError, ModelNotFound

Method = Literal["lora", "dora", "ia3", "full"]
DEFAULT_LR = {"lora": 2e-4, "dora": 2e-4, "ia3": 3e-3, "full": 5e-5}


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
    lr: float | None = None  # None: DEFAULT_LR[method] (2e-4 LoRA/DoRA, 3e-3 IA3, 5e-5 full)
    warmup: float = 0.05  # fraction of steps
    max_length: int = Field(384, ge=16)
    seed: int = 0
    save_every: int = Field(10, ge=1)  # steps between checkpoints
    patience: int = Field(1, ge=0)  # epochs without dev improvement before stopping; 0 = never stop early
    dev_limit: int = 64  # dev rows used for the per-epoch dev loss
    max_steps: int | None = None  # stop after this many steps in total (quick presets, tests)
    threads: int | None = None  # torch threads during the run (None: LADDER_THREADS or the physical cores)
    # auto: CUDA when torch.cuda.is_available(), else the CPU; None: $LADDER_DEVICE, else auto
    device: Literal["auto", "cpu", "cuda"] | None = None

    @property
    def learning_rate(self) -> float:
        return self.lr or DEFAULT_LR[self.method]


def resolve_device(device: str | None) -> str:
    """"cpu" or "cuda" for training: ``device`` (auto | cpu | cuda), else ``$LADDER_DEVICE``,
    else auto (CUDA when torch sees one). ConfigError with the fix when cuda is asked for
    and torch has none."""
    import torch

    from ..models.llamacpp import requested_device

    asked = requested_device(device)
    if asked == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if asked == "cuda":
        build = "a CPU-only build" if "+cpu" in torch.__version__ or not torch.version.cuda else "a CUDA build"
        raise ConfigError(f"device 'cuda' was asked for, but torch {torch.__version__} ({build}) sees no CUDA "
                          "device (torch.cuda.is_available() is False). Use --device cpu (or auto) to train on "
                          "the CPU, or install a CUDA build of torch "
                          "(pip install torch --index-url https://download.pytorch.org/whl/cu126) on a machine "
                          "with an NVIDIA GPU and driver.")
    return "cpu"


@dataclass
class Base:
    """A resolved student base: where its weights are and how its prompts look."""

    name: str  # "smollm2", "gemma3-270m", or the path given
    source: str  # .gguf file or HF directory
    chat_format: str | None  # a models.templates.CHAT_TEMPLATES key, when the file carries no template
    gguf: str | None  # the GGUF the student is served on (LoRA on top), when there is one


def resolve_base(name: str) -> Base:
    """A built-in model name, a .gguf path or an HF directory -> Base."""
    from ..models import builtin

    try:
        canonical, path, chat_format = builtin(name)
    except ModelNotFound:
        pass  # not a built-in name: a path
    except ConfigError as e:  # built in, but its package is missing: the message has the pip command
        raise ConfigError(f"Student base {name!r}: {e}") from None
    else:
        return Base(canonical, str(path), chat_format, str(path))
    p = Path(name)
    if p.is_file() and p.suffix == ".gguf":
        return Base(name, str(p), None, str(p))
    if p.is_dir() and (p / "config.json").is_file():
        return Base(name, str(p), None, None)
    raise ConfigError(f"Unknown student base {name!r}: use smollm2, gemma3-270m, a .gguf file "
                      "or a Hugging Face model directory (with config.json).")
