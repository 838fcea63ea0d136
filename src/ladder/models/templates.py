"""Chat templates: messages -> the exact prompt text, for inference and training alike.

A GGUF file usually carries its chat template (``tokenizer.chat_template``, jinja in
the Hugging Face style); a model without one (Gemma 3 270M is a base model) needs a
``chat_format`` naming one of CHAT_TEMPLATES. ``render`` is the one renderer: the
llama.cpp backend builds its prompts with it and distillation trains on its output,
so a student learns on exactly the text it is served with. The jinja environment
matches llama-cpp-python's ``Jinja2ChatFormatter`` and transformers' (sandboxed,
trim/lstrip blocks, loop controls, ``{% generation %}`` ignored, ``tojson`` without
ASCII escaping); a test checks the output is the same as llama-cpp-python's.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime

from ..errors import ConfigError

# Templates for models whose GGUF carries none (jinja, HF chat-template style).
CHAT_TEMPLATES = {
    "gemma": (
        "{{ bos_token }}{% set sys = namespace(text='') %}"
        "{% for m in messages %}{% if m['role'] == 'system' %}{% set sys.text = m['content'] + '\n\n' %}"
        "{% else %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n"
        "{% if loop.first or (loop.index0 == 1 and messages[0]['role'] == 'system') %}{{ sys.text }}{% endif %}"
        "{{ m['content'] | trim }}<end_of_turn>\n{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
    ),
    "chatml": (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    ),
}
# End-of-turn markers that are not the model's EOS token: generation stops at them.
STOP_STRINGS = {"gemma": ["<end_of_turn>"], "chatml": ["<|im_end|>"]}


def template_for(chat_format: str | None, own: str | None, where: str) -> str:
    """The jinja template to use: CHAT_TEMPLATES[chat_format] if given, else the
    model's own (``own``); ConfigError naming ``where`` (the model) when neither exists."""
    if chat_format:
        if chat_format not in CHAT_TEMPLATES:
            raise ConfigError(f"Unknown chat_format {chat_format!r} for {where}: use one of "
                              f"{sorted(CHAT_TEMPLATES)}, or leave it out to use the model's own template.")
        return CHAT_TEMPLATES[chat_format]
    if not own:
        raise ConfigError(f"{where} has no chat template. Pass chat_format= one of "
                          f"{sorted(CHAT_TEMPLATES)} (Gemma base models take 'gemma').")
    return own


def render(template: str, messages: list[dict], *, add_generation_prompt: bool = True,
           bos_token: str = "", eos_token: str = "") -> str:
    """Render ``template`` (a CHAT_TEMPLATES key or a jinja template) for ``messages``
    (``[{"role", "content", ...}]``)."""
    compiled = _compile(CHAT_TEMPLATES.get(template, template))
    return compiled.render(messages=messages, add_generation_prompt=add_generation_prompt,
                           bos_token=bos_token, eos_token=eos_token, raise_exception=_raise,
                           strftime_now=lambda f: datetime.now().strftime(f))


def uses_bos(template: str) -> bool:
    """Whether the template writes the BOS token itself (then the tokenizer must not)."""
    return "bos_token" in CHAT_TEMPLATES.get(template, template)


@functools.lru_cache(maxsize=32)
def _compile(template: str):
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class IgnoreGeneration(jinja2.ext.Extension):
        """HF's ``{% generation %}...{% endgeneration %}`` marks training targets: pass through."""

        tags = {"generation"}

        def parse(self, parser):
            parser.stream.skip(1)
            return parser.parse_statements(("name:endgeneration",), drop_needle=True)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[IgnoreGeneration, jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    try:
        return env.from_string(template)
    except jinja2.TemplateSyntaxError as e:
        raise ConfigError(f"The chat template is not valid jinja (line {e.lineno}: {e.message}); "
                          f"fix it or pass chat_format= one of {sorted(CHAT_TEMPLATES)}.") from None


def _tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False) -> str:
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _raise(message: str):
    raise ConfigError(f"The chat template refused these messages: {message}")
