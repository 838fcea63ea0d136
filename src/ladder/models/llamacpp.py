"""Local GGUF models through llama-cpp-python, in-process.

The chat template comes from the model file (``tokenizer.chat_template``); a model
without one (Gemma 3 270M here is a base model) needs ``chat_format=`` naming one
of CHAT_TEMPLATES. We render the prompt ourselves so the call log holds the exact
text the model saw, then drive ``Llama.generate`` token by token: that gives exact
token counts, time to first token, and the prefix-cache hit (llama.cpp keeps the
KV cache of the previous prompt and only evaluates the new suffix).

The chat template is rendered by ``templates.render`` (shared with training). A JSON
schema becomes a llama.cpp grammar and greedy decoding under it uses ``GreedyGrammar``
(both in ``grammar.py``): output is complete, valid JSON by construction. Here: the
thread policy, the process-wide cache of loaded models (one Llama per file and
settings, shared by every Model object; a lock serializes calls, as llama.cpp contexts
are not thread-safe), and the decode loop. (~310 lines: loading holds two llama.cpp
workarounds, ``model_params`` and ``_quiet_llama_log``, each explained where it is.)

Devices: ``LlamaCppModel(device="auto"|"cpu"|"cuda")`` (also ``get_model(name,
device=...)``); left unset, ``$LADDER_DEVICE``, else ``auto``. ``cuda`` offloads every
layer (``n_gpu_layers=-1``) and needs a GPU build of llama-cpp-python; ``auto``
offloads when the build can (``llama_supports_gpu_offload``), so the CPU wheel stays
on the CPU. The same setting picks the training device (``requested_device``).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import logging
import os
import threading
from pathlib import Path
from typing import Generator, Iterator

from ..errors import ConfigError, ModelError, require
from ..schema import schema_key
from . import templates
from .base import Done, Model, Request
from .grammar import GreedyGrammar, compile_grammar, greedy_sampler, minimal_json
from .templates import CHAT_TEMPLATES  # noqa: F401  (old import path; use ladder.models.templates)


def physical_cores() -> int:
    """Threads for llama.cpp and training: ``$LADDER_THREADS`` if set, else the physical
    cores (llama.cpp is slower with hyper-threads), else the logical ones. Set
    LADDER_THREADS=1 when several jobs share a small machine: oversubscribed threads
    spin-wait and can make each job several times slower."""
    env = os.environ.get("LADDER_THREADS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ConfigError(f"LADDER_THREADS={env!r} is not a positive integer; unset it or use e.g. 1")
        return int(env)
    try:
        pairs = set()
        phys = core = None
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("physical id"):
                phys = line.split(":")[1].strip()
            elif line.startswith("core id"):
                core = line.split(":")[1].strip()
            elif not line.strip() and core is not None:
                pairs.add((phys, core))
                phys = core = None
        if core is not None:
            pairs.add((phys, core))
        n = len(pairs)
    except OSError:
        n = 0
    avail = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(n or avail, avail))


DEVICES = ("auto", "cpu", "cuda")
CUDA_LLAMA_CPP = ('CMAKE_ARGS="-DGGML_CUDA=on" pip install --force-reinstall --no-cache-dir '
                  'llama-cpp-python==0.3.36')


def requested_device(device: str | None) -> str:
    """The device asked for: ``device``, else ``$LADDER_DEVICE``, else "auto" (one of
    DEVICES). Shared by llama.cpp offload and training; each resolves "auto" itself."""
    value = (device or os.environ.get("LADDER_DEVICE", "").strip() or "auto").lower()
    if value not in DEVICES:
        where = "device" if device else "LADDER_DEVICE"
        raise ConfigError(f"{where}={value!r}: use auto, cpu or cuda.")
    return value


def gpu_layers(device: str | None) -> int:
    """llama.cpp's ``n_gpu_layers`` for a device: -1 (all) on cuda, 0 on cpu; "auto" offloads
    when this llama-cpp-python build supports it. ConfigError for cuda on a CPU-only build."""
    device = requested_device(device)
    if device == "cpu":
        return 0
    llama_cpp = require("llama_cpp", "llama-cpp-python", "llamacpp", "Running GGUF models")
    can = bool(llama_cpp.llama_supports_gpu_offload())
    if device == "cuda" and not can:
        raise ConfigError("device 'cuda' was asked for, but this llama-cpp-python was built without GPU "
                          f"offload. Reinstall it with CUDA: {CUDA_LLAMA_CPP}; or use --device cpu (or auto, "
                          "LADDER_DEVICE=auto) to run on the CPU.")
    return -1 if can else 0


_loaded: dict[tuple, tuple[object, threading.Lock]] = {}  # (path, n_ctx, threads, lora, embedding, extra, gpu_layers) -> (Llama, lock)
_loaded_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    """Free models before interpreter teardown (Llama.__del__ then fails noisily)."""
    with _loaded_lock:
        while _loaded:
            _loaded.popitem()[1][0].close()


def _load(path: str, n_ctx: int, n_threads: int, lora: str | None, embedding: bool = False,
          extra_buffers: bool = False, n_gpu_layers: int = 0):
    key = (path, n_ctx, n_threads, lora, embedding, extra_buffers, n_gpu_layers)
    with _loaded_lock:
        if key not in _loaded:
            llama_cpp = require("llama_cpp", "llama-cpp-python", "llamacpp", "Running GGUF models")
            _quiet_llama_log(llama_cpp)
            with open(path, "rb") as f:
                if f.read(4) != b"GGUF":
                    raise ConfigError(
                        f"{path} is not a GGUF model file (its header is not 'GGUF'). "
                        "Convert it with llama.cpp's convert_hf_to_gguf.py, or load a Hugging "
                        "Face directory with the 'hf:' prefix instead."
                    )
            try:
                with model_params(use_extra_bufts=extra_buffers):
                    llm = llama_cpp.Llama(
                        model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                        n_batch=512, lora_path=lora, embedding=embedding, n_gpu_layers=n_gpu_layers,
                        verbose=False,
                    )
            except Exception as e:  # llama.cpp raises ValueError with little detail
                raise ModelError(f"llama.cpp could not load {path}: {e}") from e
            _loaded[key] = (llm, threading.Lock())
        return _loaded[key]


_log_callback = None  # the ctypes callback handed to llama.cpp; kept alive here
log = logging.getLogger("ladder.llama_cpp")


def _quiet_llama_log(llama_cpp) -> None:
    """Send llama.cpp's own log lines to the ``ladder.llama_cpp`` logger (DEBUG) instead of
    stderr: llama-cpp-python's callback prints some of them even with verbose=False
    (e.g. Gemma's "using full-size SWA cache"), which litters the demo's output."""
    global _log_callback
    if _log_callback is None:
        @llama_cpp.llama_log_callback
        def callback(level, text, user_data):
            log.debug("%s", text.decode("utf-8", errors="replace").rstrip("\n"))

        _log_callback = callback
        llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


@contextlib.contextmanager
def model_params(**overrides):
    """Set llama.cpp model parameters that ``Llama(...)`` has no argument for.

    Used for ``use_extra_bufts``: llama.cpp's extra CPU buffer types (AMX tiles, weight
    repacking) are on by default, and on a VM whose CPU advertises AMX without
    supporting it every multi-token decode dies with SIGSEGV in
    ``ggml_backend_amx_mul_mat`` (``ldtilecfg``; seen on this project's machines, for
    SmolLM2 Q4_1 and Gemma 3 Q4_K_M). Off by default; ``extra_buffers=True`` turns them
    back on. ``Llama.__init__`` reads ``llama_model_default_params()``; a test fails if
    llama-cpp-python stops doing so. Callers hold ``_loaded_lock``.
    """
    import llama_cpp.llama as module

    real = module.llama_cpp.llama_model_default_params

    def patched():
        params = real()
        for name, value in overrides.items():
            setattr(params, name, value)
        return params

    module.llama_cpp.llama_model_default_params = patched
    try:
        yield
    finally:
        module.llama_cpp.llama_model_default_params = real


class LlamaCppModel(Model):
    constrains_decoding = True
    supports_tools = False  # tools go through constrained JSON (ladder.agents)
    local = True

    def __init__(self, path: str | Path, name: str | None = None, *, chat_format: str | None = None,
                 n_ctx: int = 4096, n_threads: int | None = None, lora: str | Path | None = None,
                 extra_buffers: bool = False, device: str | None = None):
        self.path = str(path)
        if not Path(self.path).is_file():
            raise ConfigError(f"Model file {self.path} does not exist: check the path.")
        self.name = name or Path(self.path).stem
        self.chat_format = chat_format
        self.n_ctx = n_ctx
        self.n_threads = n_threads or physical_cores()
        self.lora = str(lora) if lora else None
        self.extra_buffers = extra_buffers  # llama.cpp's AMX/repacked weights (see model_params)
        self.device = requested_device(device)  # auto | cpu | cuda; resolved to n_gpu_layers on load
        self._gpu_layers: int | None = None
        self._reserves: dict[str, int] = {}  # schema key -> closing reserve in tokens
        self._template: str | None = None  # jinja, set on first use (needs the loaded file)

    @property
    def n_gpu_layers(self) -> int:
        """Layers offloaded to the GPU: -1 all (cuda), 0 none (cpu)."""
        if self._gpu_layers is None:
            self._gpu_layers = gpu_layers(self.device)
        return self._gpu_layers

    def _handle(self, embedding: bool = False):
        return _load(self.path, self.n_ctx, self.n_threads, self.lora, embedding, self.extra_buffers,
                     self.n_gpu_layers)

    @property
    def llama(self):
        return self._handle()[0]

    @property
    def lock(self) -> threading.Lock:
        return self._handle()[1]

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode(), add_bos=False, special=True))

    def render(self, messages) -> str:
        """The exact prompt text for these messages (chat template applied)."""
        self._chat_setup()
        return templates.render(self._template, [m.model_dump(exclude_none=True) for m in messages],
                                bos_token=self._bos, eos_token=self._eos)

    def _chat_setup(self) -> None:
        if self._template is None:
            llm = self.llama
            template = templates.template_for(self.chat_format, llm.metadata.get("tokenizer.chat_template"),
                                              self.path)
            vocab = llm._model

            def piece(tok):
                return vocab.token_get_text(tok) if tok >= 0 else ""

            self._bos, self._eos = piece(llm.token_bos()), piece(llm.token_eos())
            self._bos_in_template = templates.uses_bos(template)
            self._stops = [s for s in [self._eos, *templates.STOP_STRINGS.get(self.chat_format or "", [])] if s]
            self._template = template

    def execute(self, request: Request) -> Iterator[str | Done]:
        prompt = self.render(request.messages)
        opts = request.options
        with self.lock:
            llm = self.llama
            key = schema_key(request.schema) if request.schema else None
            grammar = compile_grammar(key, llm._model.vocab) if key else None
            tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=not self._bos_in_template, special=True)
            if len(tokens) + opts.max_tokens > self.n_ctx:
                raise ConfigError(
                    f"Prompt of {len(tokens)} tokens + max_tokens {opts.max_tokens} exceeds the "
                    f"context window of {self.n_ctx}: shorten the prompt or load with a larger n_ctx."
                )
            cached = _prefix_hit(llm, tokens)
            if opts.seed is not None:
                llm.set_seed(opts.seed)
            stop_ids = {llm.token_eos()} | {t for t in _single_tokens(llm, self._stops)}
            out_ids: list[int] = []
            # Greedy under a grammar: our sampler (grammar.py); sampling: llama.cpp's chain.
            fast = (GreedyGrammar(llm, grammar, opts.max_tokens, self._reserve(key))
                    if grammar is not None and not opts.temperature else None)
            if fast is None:
                finish = yield from self._decode(llm, tokens, grammar, opts, stop_ids, out_ids)
            else:
                with greedy_sampler(llm, fast):
                    finish = yield from self._decode(llm, tokens, None, opts, stop_ids, out_ids)
        yield Done(prompt_tokens=len(tokens), completion_tokens=len(out_ids), cached_tokens=cached,
                   finish_reason=finish, prompt=prompt)

    def _reserve(self, key: str) -> int:
        """Tokens kept to close a JSON answer of this schema (see GreedyGrammar)."""
        if key not in self._reserves:
            # 1.5x: the grammar may force a literal in more tokens than the text alone takes
            self._reserves[key] = self.count_tokens(minimal_json(json.loads(key))) * 3 // 2 + 4
        return self._reserves[key]

    def _decode(self, llm, tokens, grammar, opts, stop_ids, out_ids) -> Generator[str, None, str]:
        """Yield text pieces, appending token ids to ``out_ids``; return the finish reason."""
        pending = b""  # bytes of an incomplete UTF-8 character
        text_so_far = ""
        gen = llm.generate(
            tokens, temp=opts.temperature, top_p=opts.top_p, top_k=0 if opts.temperature else 1,
            min_p=0.0, repeat_penalty=1.0, grammar=grammar,
        )
        try:
            for tok in gen:
                if tok in stop_ids or _is_eog(llm, tok):
                    return "stop"
                out_ids.append(tok)
                pending += llm.detokenize([tok], prev_tokens=tokens + out_ids[:-1])
                try:
                    piece = pending.decode("utf-8")
                    pending = b""
                except UnicodeDecodeError:
                    piece = ""
                if piece:
                    text_so_far += piece
                    hit = _find_stop(text_so_far, opts.stop)
                    if hit is not None:
                        keep = len(piece) - (len(text_so_far) - hit)
                        if keep > 0:
                            yield piece[:keep]
                        return "stop"
                    yield piece
                if len(out_ids) >= opts.max_tokens:
                    break
            return "length"
        finally:
            gen.close()

    def embed(self, texts: list[str]) -> list[list[float]]:
        llm = self._handle(embedding=True)[0]
        return [llm.embed(t) for t in texts]

    def close(self) -> None:
        with _loaded_lock:
            for key in [k for k in _loaded if k[0] == self.path]:
                _loaded.pop(key)[0].close()


def _prefix_hit(llm, tokens: list[int]) -> int:
    """Prompt tokens llama.cpp will not recompute (same rule as Llama.generate)."""
    n = 0
    for a, b in zip(llm._input_ids[: llm.n_tokens], tokens):
        if a != b:
            break
        n += 1
    return n - 1 if n == len(tokens) and n > 0 else n


def _single_tokens(llm, texts: list[str]) -> list[int]:
    out = []
    for text in texts:
        ids = llm.tokenize(text.encode(), add_bos=False, special=True)
        if len(ids) == 1:
            out.append(ids[0])
    return out


def _is_eog(llm, tok: int) -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_vocab_is_eog(llm._model.vocab, tok))


def _find_stop(text: str, stops: list[str]) -> int | None:
    hits = [text.find(s) for s in stops if s and s in text]
    return min(hits) if hits else None
