"""Hugging Face transformers models (+ an optional PEFT adapter), in-process.

``source`` is a local directory, a hub id (only where the network allows; set
HF_HUB_OFFLINE=1 to be sure nothing is fetched), or a GGUF file, which
transformers dequantizes (``gguf_file=``). Used for training-time evaluation and
for any model llama.cpp cannot run. Decoding is not constrained here: output with
a schema is validated and retried by the base class.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Iterator

from ..errors import ConfigError, require
from .base import Done, Model, Request


def load_hf(source: str | Path, adapter: str | Path | None = None, dtype: str = "float32",
            local_files_only: bool = False):
    """Load (model, tokenizer) from a directory, hub id or GGUF file. ``local_files_only``:
    never ask the hub (training bases are local files; this replaces setting HF_HUB_OFFLINE)."""
    transformers = require("transformers", "transformers", "train", "Hugging Face models")
    torch = require("torch", "torch", "train", "Hugging Face models")
    source = str(source)
    kwargs = {"local_files_only": local_files_only}
    if source.endswith(".gguf"):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"GGUF file {source} does not exist: check the path.")
        source, kwargs["gguf_file"] = str(path.parent), path.name
    tok = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
    model = transformers.AutoModelForCausalLM.from_pretrained(source, dtype=getattr(torch, dtype), **kwargs)
    if adapter:
        peft = require("peft", "peft", "train", "PEFT adapters")
        model = peft.PeftModel.from_pretrained(model, str(adapter))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model.eval()
    return model, tok


class HFModel(Model):
    constrains_decoding = False
    local = True

    def __init__(self, source: str | Path, name: str | None = None, *, adapter: str | Path | None = None,
                 model=None, tokenizer=None, chat_template: str | None = None):
        self.source = str(source)
        self.name = name or f"hf:{self.source}"
        if model is None:
            model, tokenizer = load_hf(self.source, adapter)
        self.model, self.tokenizer = model, tokenizer
        if chat_template:
            self.tokenizer.chat_template = chat_template
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def render(self, messages) -> str:
        if not getattr(self.tokenizer, "chat_template", None):
            raise ConfigError(f"{self.source} has no chat template: pass chat_template= (a jinja string).")
        return self.tokenizer.apply_chat_template(
            [m.model_dump(exclude_none=True) for m in messages], tokenize=False, add_generation_prompt=True)

    def execute(self, request: Request) -> Iterator[str | Done]:
        import torch
        from transformers import TextIteratorStreamer

        prompt = self.render(request.messages)
        o = request.options
        enc = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(**enc, max_new_tokens=o.max_tokens, streamer=streamer,
                      pad_token_id=self.tokenizer.pad_token_id, do_sample=o.temperature > 0)
        if o.temperature > 0:
            kwargs.update(temperature=o.temperature, top_p=o.top_p)
        result = {}

        def run():
            # a seeded call samples from its own fork of torch's RNG: the caller's state is untouched
            seeded = torch.random.fork_rng(devices=[]) if o.seed is not None else contextlib.nullcontext()
            with torch.no_grad(), seeded:
                if o.seed is not None:
                    torch.manual_seed(o.seed)
                result["ids"] = self.model.generate(**kwargs)

        with self._lock:
            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            text = ""
            for piece in streamer:
                text += piece
                if any(s in text for s in o.stop):
                    break
                yield piece
            thread.join()
        n_prompt = enc["input_ids"].shape[1]
        n_out = int(result["ids"].shape[1] - n_prompt) if "ids" in result else 0
        yield Done(prompt_tokens=n_prompt, completion_tokens=n_out,
                   finish_reason="length" if n_out >= o.max_tokens else "stop", prompt=prompt)
