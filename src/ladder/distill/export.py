"""Export a trained student: GGUF LoRA, merged weights, merged GGUF, Ollama Modelfile,
and registration by name so every backend, the climb and the server can use it.

The default serving path is the LoRA adapter as a GGUF LoRA on top of the original
bundled base GGUF: llama.cpp applies it at load time (``LlamaCppModel(lora=...)``).
Merging and re-quantizing to 4 bits was measured to erase a small fine-tune, so
merged exports are f16 or q8_0.

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
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..errors import ConfigError, require

ARCHES = {"llama": "LLAMA", "gemma3": "GEMMA3", "gemma3_text": "GEMMA3"}


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
        raise ConfigError(f"outtype {outtype!r}: use f16 or q8_0 (4-bit re-quantization erases small fine-tunes).")
    script = convert_script()
    cmd = [sys.executable, str(script), str(merged_dir), "--outfile", str(out), "--outtype", outtype]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(f"convert_hf_to_gguf.py failed: {done.stderr.strip()[-800:]}")
    return Path(out)


MODELFILE_TEMPLATES = {  # Ollama (Go template) forms of the chat templates we train with
    "chatml": ('{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}'
               '<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n', ["<|im_end|>"]),
    "gemma": ('<start_of_turn>user\n{{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}<end_of_turn>\n'
              '<start_of_turn>model\n', ["<end_of_turn>"]),
}


def write_modelfile(out_dir: str | Path, base_gguf: str | Path, adapter_gguf: str | Path,
                    chat_format: str | None, system: str) -> Path:
    """An Ollama Modelfile: the base GGUF + the GGUF LoRA, the template, greedy decoding.
    ``ollama create <name> -f Modelfile`` in ``out_dir``."""
    template, stops = MODELFILE_TEMPLATES["gemma" if chat_format == "gemma" else "chatml"]
    lines = [f"FROM {Path(base_gguf).resolve()}", f"ADAPTER {Path(adapter_gguf).resolve()}",
             f'TEMPLATE """{template}"""', f'SYSTEM """{system}"""', "PARAMETER temperature 0",
             *[f'PARAMETER stop "{s}"' for s in stops]]
    path = Path(out_dir) / "Modelfile"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def export_student(result, name: str, system: str, *, register: bool = True,
                   merged: bool = False, merged_gguf: str | None = None) -> dict:
    """Everything a student needs to be served, from a TrainResult. Returns the paths.

    - ``adapter/``              PEFT adapter (from training)
    - ``adapter.gguf``          GGUF LoRA for llama.cpp (LoRA only)
    - ``Modelfile``             Ollama: base GGUF + adapter
    - ``merged/`` (merged=True) HF weights; ``student.<type>.gguf`` with merged_gguf=f16|q8_0
    and registers ``name`` (llama.cpp backend: base GGUF + LoRA; else the HF backend).
    """
    from ..models import register_model

    out = Path(result.out)
    paths: dict[str, str] = {"adapter": str(result.adapter)}
    base = result.base
    method = result.method
    if method == "lora" and base.gguf:
        cfg = _base_config(result.adapter)
        adapter_gguf = lora_to_gguf(result.adapter, out / "adapter.gguf", cfg)
        paths["adapter_gguf"] = str(adapter_gguf)
        paths["modelfile"] = str(write_modelfile(out, base.gguf, adapter_gguf, base.chat_format, system))
    if merged or merged_gguf or method in ("dora", "ia3"):
        merged_dir = export_merged(result.adapter, out / "merged", base.source) if method != "full" else result.adapter
        paths["merged"] = str(merged_dir)
        if merged_gguf:
            paths["merged_gguf"] = str(merged_to_gguf(merged_dir, out / f"student.{merged_gguf}.gguf", merged_gguf))
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
        else:
            register_model(name, backend="hf", path=paths["merged"], description=desc)
        paths["registered"] = name
    (out / "export.json").write_text(json.dumps(paths, indent=2))
    return paths


def _base_config(adapter_dir: Path) -> dict:
    """The base model's HF config (architecture sizes) as saved next to the adapter."""
    cfg = Path(adapter_dir) / "base_config.json"
    if cfg.is_file():
        return json.loads(cfg.read_text())
    raise ConfigError(f"{adapter_dir} lacks base_config.json (written by ladder training); retrain with ladder.")
