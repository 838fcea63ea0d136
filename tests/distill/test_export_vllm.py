"""The PEFT adapter export and its ``vllm serve --enable-lora`` line. A tiny random Llama
(2 layers, hidden 64) saved as an HF directory is the base: a real PEFT adapter in seconds.
vLLM itself cannot run here; what it reads (adapter_config.json + weights) is checked."""

import json
from pathlib import Path

import pytest

from ladder.distill import TrainConfig
from ladder.distill.checkpoint import save_student
from ladder.distill.config import Base
from ladder.distill.export import HF_IDS, export_student, vllm_command, write_modelfile
from ladder.distill.model import peft_wrap
from ladder.distill.train import TrainResult

transformers = pytest.importorskip("transformers")
pytest.importorskip("peft")


@pytest.fixture
def tiny_adapter(tmp_path):
    cfg = transformers.LlamaConfig(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2)
    base_dir = tmp_path / "base"
    transformers.LlamaForCausalLM(cfg).save_pretrained(base_dir)
    tok_dir = tmp_path / "tok"  # any tokenizer: save_student saves it beside the adapter
    from tokenizers import Tokenizer, models

    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"a": 0, "<unk>": 1},
                                                                                         unk_token="<unk>")))
    tok.save_pretrained(tok_dir)
    model = peft_wrap(transformers.LlamaForCausalLM.from_pretrained(base_dir), TrainConfig(r=32, alpha=64))
    out = tmp_path / "student"
    save_student(model, tok, out / "adapter", "lora")
    base = Base(str(base_dir), str(base_dir), None, None)
    return TrainResult(out, out / "adapter", base, "lora", 1, 1, 0.0, [], 0, 0.0, 0.0, 0.0, False, 0)


def test_the_adapter_dir_holds_what_vllm_reads_and_export_prints_the_line(tiny_adapter):
    paths = export_student(tiny_adapter, "tiny-student", "Reply with the JSON answer.", register=False)
    adapter = Path(paths["adapter"])
    acfg = json.loads((adapter / "adapter_config.json").read_text())
    assert acfg["peft_type"] == "LORA" and acfg["r"] == 32
    assert set(acfg["target_modules"]) >= {"q_proj", "v_proj", "down_proj"}
    assert (adapter / "adapter_model.safetensors").stat().st_size > 0
    line = paths["vllm_serve"]
    assert line == (f"vllm serve {Path(tiny_adapter.base.source).resolve()} --enable-lora "
                    f"--lora-modules tiny-student={adapter.resolve()} --max-lora-rank 32")  # r 32 > vLLM's 16
    assert json.loads((tiny_adapter.out / "export.json").read_text())["vllm_serve"] == line


def test_a_built_in_base_is_served_by_its_hub_id_and_the_modelfile_carries_the_line(tiny_adapter, tmp_path):
    gemma = Base("gemma3-270m", "/x/gemma.gguf", "gemma", "/x/gemma.gguf")
    line = vllm_command("expenses-student", gemma, tiny_adapter.adapter)
    assert line.startswith(f"vllm serve {HF_IDS['gemma3-270m']} --enable-lora --lora-modules expenses-student=")
    mf = write_modelfile(tmp_path, "/x/gemma.gguf", "/x/adapter.gguf", "gemma", "sys", notes=("vLLM:", line))
    text = mf.read_text()
    assert f"# {line}\n" in text and text.index("# vLLM:") < text.index("FROM ")
