"""Real short training runs on CPU (SmolLM2-135M): train -> export GGUF LoRA -> serve
through llama.cpp; SIGKILL mid-training -> resume from the checkpoint; a run leaves the
caller's RNG and thread settings as they were."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ladder.distill import TrainConfig, build_sft, export_student, student_instruction, train
from ladder.distill.student import Student
from ladder.errors import ConfigError
from ladder.tasks import load_task

TASK = load_task("expenses")
TINY = dict(base="smollm2", r=4, alpha=8, batch_size=2, save_every=1, epochs=1, max_length=160, threads=2)


@pytest.mark.slow
def test_lora_train_export_gguf_and_serve_with_llamacpp(tmp_path):
    import gguf

    rows = build_sft(TASK, source="gold", limit=6)
    dev = build_sft(TASK, source="gold", gold=TASK.split("dev")[:2])
    result = train(rows, dev, tmp_path / "run", TrainConfig(max_steps=3, **TINY), progress=False)
    assert result.steps == 3 and result.dev_loss and result.skipped == 0
    assert (result.adapter / "adapter_model.safetensors").is_file()

    paths = export_student(result, "expenses-student", student_instruction(TASK))
    reader = gguf.GGUFReader(paths["adapter_gguf"])
    assert bytes(reader.fields["general.type"].parts[-1]).decode() == "adapter"
    names = [t.name for t in reader.tensors]
    assert "blk.0.attn_q.weight.lora_a" in names and "blk.29.ffn_down.weight.lora_b" in names
    assert len(names) == 2 * 7 * 30  # a and b, 7 linear layers, 30 blocks
    assert "FROM " in open(paths["modelfile"]).read() and "ADAPTER " in open(paths["modelfile"]).read()

    # reload through the llama.cpp backend (base GGUF + GGUF LoRA), by registered name
    from ladder.models import get_model, list_models

    assert "expenses-student" in [m.name for m in list_models()]
    student = get_model("expenses-student")
    assert student.lora == paths["adapter_gguf"]
    ex = TASK.split("test")[0]
    pred = Student()(TASK, ex.input, None)
    assert pred.output is not None, pred.error
    assert TASK.check(ex.input, pred.output) == [] or all("schema" not in p for p in TASK.check(ex.input, pred.output))
    assert pred.calls[0].model == "expenses-student"
    assert pred.prompt_tokens < 120  # short instruction + raw input only


@pytest.mark.slow
def test_training_is_seeded_by_its_config_and_leaves_the_callers_rng_and_threads_alone(tmp_path):
    import random

    import torch

    rows = build_sft(TASK, source="gold", limit=2)
    config = TrainConfig(max_steps=1, **{**TINY, "dropout": 0.1, "threads": 2})  # dropout draws from the RNG
    threads = torch.get_num_threads()
    losses = []
    try:
        for caller_seed in (1, 2):  # two different caller states, one training seed
            random.seed(caller_seed)
            torch.manual_seed(caller_seed)
            torch.set_num_threads(1)
            py, th = random.getstate(), torch.get_rng_state()
            result = train(rows, [], tmp_path / f"run{caller_seed}", config, progress=False)
            assert random.getstate() == py
            assert torch.equal(torch.get_rng_state(), th)
            assert torch.get_num_threads() == 1
            losses.append(json.loads((result.out / "train.json").read_text())["train_loss"])
            assert (result.steps, result.skipped) == (1, 0)
    finally:
        torch.set_num_threads(threads)
    assert losses[0] == losses[1]  # the run's randomness comes from config.seed only


CHILD = """
import sys
from ladder.distill import TrainConfig, build_sft, train
from ladder.tasks import load_task
task = load_task("expenses")
rows = build_sft(task, source="gold", limit=12)
train(rows, [], sys.argv[1], TrainConfig(max_steps=5, **{tiny}), progress=False, resume="--resume" in sys.argv)
"""


KILLED = {**TINY, "dropout": 0.1}  # dropout: the resumed run must also continue the RNG


@pytest.mark.slow
def test_sigkill_mid_training_then_resume_exactly(tmp_path):
    out = tmp_path / "run"
    ckpt = out / "checkpoint" / "last.pt"
    code = CHILD.format(tiny=repr(KILLED))
    child = subprocess.Popen([sys.executable, "-c", code, str(out)], env=os.environ.copy())
    deadline = time.time() + 900
    while not ckpt.exists() and child.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    assert ckpt.exists(), "no checkpoint was written"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    import torch

    step_at_kill = torch.load(ckpt, weights_only=False)["state"]["step"]
    assert 1 <= step_at_kill < 5
    rows = build_sft(TASK, source="gold", limit=12)
    config = TrainConfig(max_steps=5, **KILLED)
    with pytest.raises(ConfigError, match="resume"):  # refusing to overwrite a run silently
        train(rows, [], out, config, progress=False)
    result = train(rows, [], out, config, resume=True, progress=False)
    assert result.resumed_from_step == step_at_kill
    assert result.steps == 5
    assert json.loads((out / "train.json").read_text())["steps"] == 5
    # exact: the same batches, dropout masks and updates as a run that was never killed
    straight = train(rows, [], tmp_path / "straight", config, progress=False)
    losses = [torch.load(r.out / "checkpoint" / "last.pt", weights_only=False)["state"]["losses"]
              for r in (result, straight)]
    assert len(losses[0]) == 5 and losses[0] == losses[1]
