"""Export a trained student: GGUF LoRA, merged weights, merged GGUF, Ollama Modelfile,
and registration by name so every backend, the climb and the server can use it.

The default serving path is the LoRA adapter as a GGUF LoRA on top of the original
bundled base GGUF: llama.cpp applies it at load time (``LlamaCppModel(lora=...)``).
Merged exports are q8_0 (or f16). Re-quantizing a merged student to 4/5 bits erases a
small fine-tune for a specific reason: the bundled bases are already quantized, so the
merged weights are ``base_on_grid + delta``, and quantizing them to the base's own types
(a Gemma "Q4_K_M" is mostly Q5_0: 640 columns do not fit K-quant blocks) rounds every
weight whose |delta| is under half a step back to the base. ``quantize_gguf`` makes the
K-quants; bench/bench_quant.py measures quality, p50 and how much delta each type keeps.

``lora_to_gguf`` is a small re-implementation of llama.cpp's
``convert_lora_to_gguf.py`` for the architectures we ship (llama, gemma3), written
with the ``gguf`` package so no llama.cpp checkout is needed at run time:

    PEFT  base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight  [r, in]
    GGUF  blk.3.attn_q.weight.lora_a                                       [r, in]
    PEFT  ...q_proj.lora_B.weight                                          [out, r]
    GGUF  blk.3.attn_q.weight.lora_b                                       [out, r]

For llama, the converter permutes the rows of q/k weights (rotary layout); the
same permutation applies to lora_B (rows = output features). Metadata:
``general.type=adapter``, ``adapter.type=lora``, ``adapter.lora.alpha``.

For users who outgrow one machine, the PEFT adapter directory (``adapter/``:
``adapter_config.json`` + ``adapter_model.safetensors``) is served as is by vLLM's
multi-LoRA server; ``vllm_command`` writes the exact line (into ``export.json``, the
Modelfile's notes and the ``ladder distill`` output), e.g.

    vllm serve google/gemma-3-270m --enable-lora --lora-modules expenses-student=<out>/adapter

and clients ask for ``model="expenses-student"``. We cannot run vLLM here (no GPU), so
that line is untested; what is tested is that the adapter directory holds what vLLM
reads. The adapter was trained over the dequantized bundled GGUF, not the hub's bf16
weights: close, not identical. ``vllm serve <out>/merged`` (the merged weights, when
exported) serves exactly what was measured, without LoRA.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import ConfigError, require

ARCHES = {"llama": "LLAMA", "gemma3": "GEMMA3", "gemma3_text": "GEMMA3"}
# Hugging Face hub ids of the built-in bases (the GGUFs we ship are quantized from these)
HF_IDS = {"smollm2": "HuggingFaceTB/SmolLM2-135M-Instruct", "gemma3-270m": "google/gemma-3-270m",
          "qwen2.5-coder-0.5b": "Qwen/Qwen2.5-Coder-0.5B-Instruct",
          "qwen2.5-coder-1.5b": "Qwen/Qwen2.5-Coder-1.5B-Instruct"}
VLLM_DEFAULT_MAX_LORA_RANK = 16


def vllm_command(name: str, base, adapter_dir: str | Path) -> str:
    """The ``vllm serve`` line that serves this PEFT adapter as model ``name`` on its base
    (a built-in's hub id, or the HF directory trained from)."""
    if base.name in HF_IDS:
        served = HF_IDS[base.name]
    elif base.gguf is None:  # trained from an HF directory: serve that directory
        served = str(Path(base.source).resolve())
    else:  # a .gguf path: vLLM needs the HF model it came from
        served = "<hf-id-or-dir-of-the-base>"
    line = f"vllm serve {served} --enable-lora --lora-modules {name}={Path(adapter_dir).resolve()}"
    r = json.loads((Path(adapter_dir) / "adapter_config.json").read_text()).get("r") or 0
    if r > VLLM_DEFAULT_MAX_LORA_RANK:
        line += f" --max-lora-rank {r}"
    return line


def lora_to_gguf(adapter_dir: str | Path, out: str | Path, base_config: dict | None = None) -> Path:
    """Convert a PEFT LoRA adapter directory to a llama.cpp GGUF LoRA file."""
    gguf = require("gguf", "gguf", "train", "GGUF export")
    from safetensors.torch import load_file

    adapter_dir, out = Path(adapter_dir), Path(out)
    acfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    if acfg.get("peft_type") != "LORA" or acfg.get("use_dora"):
        raise ConfigError(f"{adapter_dir} is a {acfg.get('peft_type')}{' (DoRA)' if acfg.get('use_dora') else ''} "
                          "adapter; llama.cpp loads plain LoRA only. Export merged weights instead "
                          "(export_merged) or train with method='lora'.")
    if base_config is None:
        base_config = json.loads((adapter_dir / "base_config.json").read_text())
    model_type = base_config["model_type"]
    if model_type not in ARCHES:
        raise ConfigError(f"GGUF LoRA export supports {sorted(ARCHES)}, not {model_type!r}: export merged "
                          "weights and convert them with llama.cpp's convert_hf_to_gguf.py.")
    arch = getattr(gguf.MODEL_ARCH, ARCHES[model_type])
    names = gguf.get_tensor_name_map(arch, base_config["num_hidden_layers"])
    n_head = base_config["num_attention_heads"]
    n_kv = base_config.get("num_key_value_heads") or n_head
    alpha = float(acfg["lora_alpha"])

    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    pairs: dict[str, dict[str, object]] = {}
    for name, t in tensors.items():
        if ".lora_A." in name or ".lora_B." in name:
            kind = "a" if ".lora_A." in name else "b"
            hf = name.replace("base_model.model.", "", 1).replace(f".lora_{kind.upper()}.weight", ".weight")
            pairs.setdefault(hf, {})[kind] = t.float()
        else:
            raise ConfigError(f"Unexpected tensor {name!r} in the adapter (trained embeddings?): "
                              "llama.cpp LoRA cannot carry it; export merged weights instead.")

    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[arch])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    for hf, ab in sorted(pairs.items()):
        target = names.get_name(hf, try_suffixes=(".weight",))
        if target is None:
            raise ConfigError(f"No GGUF tensor for {hf!r}: this LoRA targets a layer llama.cpp does not map.")
        a, b = ab["a"], ab["b"]
        if arch == gguf.MODEL_ARCH.LLAMA and hf.endswith(("q_proj.weight", "k_proj.weight")):
            b = _permute(b, n_head, n_kv if hf.endswith("k_proj.weight") else n_head)
        writer.add_tensor(f"{target}.lora_a", a.contiguous().numpy().astype("float32"))
        writer.add_tensor(f"{target}.lora_b", b.contiguous().numpy().astype("float32"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def _permute(w, n_head: int, n_head_kv: int):
    """llama.cpp's rotary row permutation (convert_hf_to_gguf.py LlamaModel.permute)."""
    n = n_head_kv if n_head_kv != n_head else n_head
    return w.reshape(n, 2, w.shape[0] // n // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def export_merged(adapter_dir: str | Path, out: str | Path, base: str) -> Path:
    """Base + adapter merged into plain HF weights (safetensors + tokenizer) in ``out``."""
    from .config import resolve_base
    from .model import load_adapter, load_base

    method = (Path(adapter_dir) / "ladder_method.txt")
    if method.is_file() and method.read_text().strip() == "full":
        raise ConfigError(f"{adapter_dir} is already a full model: use it directly.")
    model, tok = load_base(resolve_base(base))
    model = load_adapter(model, adapter_dir).merge_and_unload()
    out = Path(out)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def has_converter() -> bool:
    try:
        convert_script()
        return True
    except ConfigError:
        return False


def convert_script() -> Path:
    """llama.cpp's convert_hf_to_gguf.py: $LADDER_LLAMA_CPP (a llama.cpp checkout or the
    llama-cpp-python sdist's vendor/llama.cpp), or the cache ``make gguf-tools`` fills."""
    from ..log import data_dir

    candidates = [os.environ.get("LADDER_LLAMA_CPP", ""), str(data_dir() / "llama.cpp"),
                  str(Path(sys.prefix) / "share" / "llama.cpp")]  # where `make` puts it
    for c in candidates:
        if c and (Path(c) / "convert_hf_to_gguf.py").is_file():
            return Path(c) / "convert_hf_to_gguf.py"
    raise ConfigError(
        "Merged GGUF export needs llama.cpp's convert_hf_to_gguf.py. Get it with: "
        "pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 && tar xzf llama_cpp_python-*.tar.gz, "
        "then set LADDER_LLAMA_CPP=<extracted dir>/vendor/llama.cpp. (The LoRA GGUF export needs none of this.)")


def merged_to_gguf(merged_dir: str | Path, out: str | Path, outtype: str = "q8_0") -> Path:
    """Merged HF weights -> one GGUF (f16 or q8_0) through llama.cpp's converter."""
    if outtype not in {"f16", "q8_0", "bf16", "f32"}:
        raise ConfigError(f"outtype {outtype!r}: the converter writes f32, f16, bf16 or q8_0; for K-quants "
                          "quantize its f16 output with quantize_gguf (see bench/bench_quant.py).")
    script = convert_script()
    cmd = [sys.executable, str(script), str(merged_dir), "--outfile", str(out), "--outtype", outtype]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(f"convert_hf_to_gguf.py failed: {done.stderr.strip()[-800:]}")
    return Path(out)


QUANT_TYPES = {  # name -> llama.cpp's LLAMA_FTYPE_* (llama-quantize's type names, lower case)
    "f16": "F16", "q8_0": "Q8_0", "q6_k": "Q6_K", "q5_k_m": "Q5_K_M", "q5_0": "Q5_0",
    "q4_k_m": "Q4_K_M", "q4_1": "Q4_1", "q4_0": "Q4_0",
}


def gguf_file_type(path: str | Path) -> str:
    """A GGUF's ``general.file_type`` as a llama.cpp type name (e.g. "Q4_K_M")."""
    gguf = require("gguf", "gguf", "train", "GGUF export")
    field = gguf.GGUFReader(str(path)).fields.get("general.file_type")
    code = int(field.parts[-1][0]) if field else 0
    return next((t.name for t in gguf.LlamaFileType if t.value == code), str(code)).removeprefix("MOSTLY_")


def quantize_gguf(src: str | Path, out: str | Path, qtype: str, *, allow_requantize: bool = False,
                  threads: int | None = None) -> Path:
    """``llama-quantize`` in-process: llama-cpp-python's ``llama_model_quantize`` turns an f32/f16
    GGUF into ``qtype`` (a QUANT_TYPES key: q8_0, q5_k_m, q4_k_m, ...). K-quants need this;
    the converter stops at q8_0.

    Quantize from the f32/f16 file. A source that is already quantized is refused unless
    ``allow_requantize``: its weights would be rounded twice (bench/bench_quant.py measures
    what that does to a fine-tune)."""
    import ctypes

    from ..models.llamacpp import _quiet_llama_log, physical_cores

    llama_cpp = require("llama_cpp", "llama-cpp-python", "llamacpp", "GGUF quantization")
    _quiet_llama_log(llama_cpp)  # llama-quantize logs every tensor: to the ladder.llama_cpp logger
    if qtype not in QUANT_TYPES:
        raise ConfigError(f"Unknown quantization {qtype!r}: use one of {', '.join(QUANT_TYPES)}.")
    src_type = gguf_file_type(src)
    if src_type not in {"ALL_F32", "F16", "BF16"} and not allow_requantize:
        raise ConfigError(f"{src} is already quantized ({src_type}): quantize from the f16 GGUF "
                          "(merged_to_gguf(merged_dir, out, 'f16')), or pass allow_requantize=True to round twice.")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{QUANT_TYPES[qtype]}")
    params.nthread = threads or physical_cores()
    params.allow_requantize = allow_requantize
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(out).encode(), ctypes.byref(params))
    if rc != 0:
        raise ConfigError(f"llama_model_quantize({src} -> {qtype}) failed (code {rc}); see the "
                          "ladder.llama_cpp log (DEBUG) for llama.cpp's reason.")
    return Path(out)


MODELFILE_TEMPLATES = {  # Ollama (Go template) forms of the chat templates we train with
    "chatml": ('{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}'
               '<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n', ["<|im_end|>"]),
    "gemma": ('<start_of_turn>user\n{{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}<end_of_turn>\n'
              '<start_of_turn>model\n', ["<end_of_turn>"]),
}


def write_modelfile(out_dir: str | Path, base_gguf: str | Path, adapter_gguf: str | Path,
                    chat_format: str | None, system: str, notes: tuple[str, ...] = ()) -> Path:
    """An Ollama Modelfile: the base GGUF + the GGUF LoRA, the template, greedy decoding.
    ``ollama create <name> -f Modelfile`` in ``out_dir``. ``notes`` become ``#`` comments."""
    template, stops = MODELFILE_TEMPLATES["gemma" if chat_format == "gemma" else "chatml"]
    lines = [*[f"# {n}" for n in notes], f"FROM {Path(base_gguf).resolve()}", f"ADAPTER {Path(adapter_gguf).resolve()}",
             f'TEMPLATE """{template}"""', f'SYSTEM """{system}"""', "PARAMETER temperature 0",
             *[f'PARAMETER stop "{s}"' for s in stops]]
    path = Path(out_dir) / "Modelfile"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def export_student(result, name: str, system: str, *, register: bool = True,
                   merged: bool = False, merged_gguf: str | None = None) -> dict:
    """Everything a student needs to be served, from a TrainResult. Returns the paths.

    - ``adapter/``              PEFT adapter (from training); ``vllm_serve``: the line serving it
    - ``adapter.gguf``          GGUF LoRA for llama.cpp (LoRA only)
    - ``Modelfile``             Ollama: base GGUF + adapter
    - ``student.<type>.gguf`` with merged_gguf=f16|q8_0: base + adapter merged into one GGUF
    - ``merged/`` HF weights: with merged=True, or when they are what serves (DoRA/IA3, no GGUF)
    and registers ``name`` (llama.cpp backend: base GGUF + LoRA; else the HF backend).
    """
    from ..models import register_model

    out = Path(result.out)
    paths: dict[str, str] = {"adapter": str(result.adapter)}
    base = result.base
    method = result.method
    notes: tuple[str, ...] = ()
    if method == "lora":  # vLLM serves plain LoRA adapters (not DoRA or IA3)
        paths["vllm_serve"] = vllm_command(name, base, result.adapter)
        notes = ("Outgrown one machine? vLLM serves the PEFT adapter (multi-LoRA; not run here):",
                 paths["vllm_serve"])
    if method == "lora" and base.gguf:
        cfg = _base_config(result.adapter)
        if cfg.get("model_type") in ARCHES or not merged_gguf:  # else (e.g. qwen2) the merged GGUF serves it
            adapter_gguf = lora_to_gguf(result.adapter, out / "adapter.gguf", cfg)
            paths["adapter_gguf"] = str(adapter_gguf)
            paths["modelfile"] = str(write_modelfile(out, base.gguf, adapter_gguf, base.chat_format, system, notes))
        else:
            paths["adapter_gguf_skipped"] = (f"no GGUF LoRA for {cfg.get('model_type')!r} (ours supports "
                                             f"{sorted(ARCHES)}); the merged GGUF is the served student")
    if merged or merged_gguf or method in ("dora", "ia3"):
        merged_dir = export_merged(result.adapter, out / "merged", base.source) if method != "full" else result.adapter
        paths["merged"] = str(merged_dir)
        if merged_gguf:
            paths["merged_gguf"] = str(merged_to_gguf(merged_dir, out / f"student.{merged_gguf}.gguf", merged_gguf))
            if not merged and method != "full":  # the GGUF serves it; the f32 weights (1 GB for
                shutil.rmtree(merged_dir)          # Gemma 270M) only cost disk: export_merged remakes them
                del paths["merged"]
    if method == "full":
        paths["merged"] = str(result.adapter)
    if register:
        desc = f"student ({method}) of {base.name}, trained in {out}"
        if "merged_gguf" in paths:  # preferred: a runtime LoRA over a Q4 base decodes far slower
            register_model(name, backend="llamacpp", path=paths["merged_gguf"], chat_format=base.chat_format,
                           description=desc)
        elif "adapter_gguf" in paths:
            register_model(name, backend="llamacpp", path=base.gguf, lora=paths["adapter_gguf"],
                           chat_format=base.chat_format, description=desc)
        elif "merged" in paths:
            register_model(name, backend="hf", path=paths["merged"], description=desc)
        else:  # LoRA over an HF directory base: the HF backend applies the adapter
            register_model(name, backend="hf", path=base.source, adapter=paths["adapter"], description=desc)
        paths["registered"] = name
    (out / "export.json").write_text(json.dumps(paths, indent=2))
    return paths


def _base_config(adapter_dir: Path) -> dict:
    """The base model's HF config (architecture sizes) as saved next to the adapter."""
    cfg = Path(adapter_dir) / "base_config.json"
    if cfg.is_file():
        return json.loads(cfg.read_text())
    raise ConfigError(f"{adapter_dir} lacks base_config.json (written by ladder training); retrain with ladder.")
