"""The one chat-template renderer, checked against llama-cpp-python's own."""

import pytest

from ladder import ConfigError
from ladder.models.templates import CHAT_TEMPLATES, render, template_for, uses_bos

CHAT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "你好 {x} "},
        {"role": "assistant", "content": "Hi."}, {"role": "user", "content": "again"}]


@pytest.mark.parametrize("template", [*CHAT_TEMPLATES, "smollm2"])
def test_render_matches_llama_cpp_pythons_formatter(template, smollm2):
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    jinja = smollm2.llama.metadata["tokenizer.chat_template"] if template == "smollm2" else CHAT_TEMPLATES[template]
    ours = render(jinja, CHAT, bos_token="<s>", eos_token="</s>")
    theirs = Jinja2ChatFormatter(jinja, eos_token="</s>", bos_token="<s>")(messages=CHAT).prompt
    assert ours == theirs and "你好 {x}" in ours


def test_render_takes_a_format_name_and_the_generation_prompt_flag():
    with_prompt = render("gemma", CHAT[:2], bos_token="<bos>")
    assert with_prompt == "<bos><start_of_turn>user\nBe brief.\n\n你好 {x}<end_of_turn>\n<start_of_turn>model\n"
    assert render("gemma", CHAT[:2], add_generation_prompt=False, bos_token="<bos>") == with_prompt.removesuffix(
        "<start_of_turn>model\n")
    assert uses_bos("gemma") and not uses_bos("chatml")


def test_a_model_without_a_template_needs_a_known_chat_format():
    assert template_for(None, "{{ messages }}", "m.gguf") == "{{ messages }}"
    assert template_for("chatml", "{{ messages }}", "m.gguf") == CHAT_TEMPLATES["chatml"]
    with pytest.raises(ConfigError, match="m.gguf has no chat template.*'chatml', 'gemma'"):
        template_for(None, None, "m.gguf")
    with pytest.raises(ConfigError, match="Unknown chat_format 'gema'"):
        template_for("gema", None, "m.gguf")


def test_bad_jinja_is_a_config_error():
    with pytest.raises(ConfigError, match="not valid jinja"):
        render("{% for m in messages %}", CHAT)
