"""Devices: ``--device auto|cpu|cuda`` for training and llama.cpp offload. Here (no CUDA, the
CPU wheel of llama-cpp-python) auto is the CPU and cuda is a ConfigError that says how to
fix it; the CPU stays the tested path."""

import pytest
from click.testing import CliRunner

from ladder.distill import TrainConfig, build_sft, train
from ladder.distill.config import resolve_device
from ladder.errors import ConfigError
from ladder.models.llamacpp import gpu_layers, requested_device
from ladder.tasks import load_task

torch = pytest.importorskip("torch")
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")


def _offload() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def test_the_device_comes_from_the_argument_then_ladder_device_then_auto(monkeypatch):
    monkeypatch.delenv("LADDER_DEVICE", raising=False)
    assert requested_device(None) == "auto"
    monkeypatch.setenv("LADDER_DEVICE", "CPU")
    assert requested_device(None) == "cpu" and requested_device("cuda") == "cuda"
    monkeypatch.setenv("LADDER_DEVICE", "gpu")
    with pytest.raises(ConfigError, match="LADDER_DEVICE='gpu': use auto, cpu or cuda"):
        requested_device(None)
    with pytest.raises(ConfigError, match="device='tpu'"):
        requested_device("tpu")


@no_cuda
def test_auto_trains_on_the_cpu_here_and_cuda_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.delenv("LADDER_DEVICE", raising=False)
    assert resolve_device("auto") == resolve_device(None) == resolve_device("cpu") == "cpu"
    with pytest.raises(ConfigError) as e:
        resolve_device("cuda")
    msg = str(e.value)
    assert "torch.cuda.is_available() is False" in msg and "--device cpu" in msg and "pip install torch" in msg
    # train() refuses before it loads a model or writes anything
    rows = build_sft(load_task("expenses"), source="gold", limit=2)
    with pytest.raises(ConfigError, match="--device cpu"):
        train(rows, [], tmp_path / "run", TrainConfig(base="smollm2", device="cuda"), progress=False)
    assert not (tmp_path / "run").exists()


@no_cuda
def test_cli_device_cuda_is_one_error_line_not_a_traceback(tmp_path, monkeypatch):
    from ladder.cli import cli

    monkeypatch.setenv("LADDER_DEVICE", "auto")  # restored after: --device sets it for the process
    res = CliRunner().invoke(cli, ["train", "--task", "expenses", "--out", str(tmp_path / "r"), "--device", "cuda"])
    assert res.exit_code == 2, res.output
    assert "Error: device 'cuda' was asked for" in res.output and "Traceback" not in res.output


def test_llama_cpp_offload_follows_the_device(smollm2, monkeypatch):
    from ladder.models import get_model

    monkeypatch.delenv("LADDER_DEVICE", raising=False)
    assert gpu_layers("cpu") == 0
    assert gpu_layers("auto") == (-1 if _offload() else 0)
    cpu = get_model("smollm2", device="cpu")
    assert cpu.n_gpu_layers == 0 and cpu.llama.model_params.n_gpu_layers == 0
    if not _offload():
        with pytest.raises(ConfigError, match='CMAKE_ARGS="-DGGML_CUDA=on"'):
            get_model("smollm2", device="cuda").llama
        assert gpu_layers("auto") == 0  # the CPU wheel: auto never asks for offload
