"""Quantizing a student: llama-quantize in-process (export.quantize_gguf) and the study's
finding (bench/bench_quant.py): re-quantizing weights that already sit on a quantization
grid to the same type rounds a small fine-tune back to the base, while the same delta on
weights off the grid survives."""

import importlib.util
from pathlib import Path

import pytest

from ladder.distill.export import gguf_file_type, has_converter, quantize_gguf
from ladder.errors import ConfigError

np = pytest.importorskip("numpy")
BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_quant.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_quant", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["Q4_1", "Q5_0"])
def test_a_small_delta_on_an_already_quantized_base_snaps_back_off_the_grid_it_survives(bench, kind):
    from gguf import GGMLQuantizationType as Q
    from gguf.quants import dequantize, quantize

    t = Q[kind]
    rng = np.random.default_rng(0)
    base = dequantize(quantize(rng.normal(0, 0.05, (64, 256)).astype(np.float32), t), t)  # as shipped: on grid
    rows = base.reshape(-1, 32)
    step = (rows.max(1, keepdims=True) - rows.min(1, keepdims=True)) / 15
    delta = (rng.normal(0, 1, rows.shape) * step * 0.05).reshape(base.shape).astype(np.float32)  # 5 % of a step

    on_grid = bench.retention(base, base + delta, dequantize(quantize(base + delta, t), t))
    moved = bench.off_grid(base, rng)
    kept = dequantize(quantize(moved + delta, t), t) - dequantize(quantize(moved, t), t)
    off = bench.retention(np.zeros_like(delta), delta, kept)
    assert on_grid < 0.3, on_grid  # erased: most weights round back to the base's value
    assert 0.8 < off < 1.2, off  # kept on average: quantization noise, not erasure


@pytest.mark.slow  # ~10 s on an idle machine, 90 s on a loaded one
def test_quantize_refuses_an_already_quantized_source_unless_asked(smollm2, tmp_path):
    src = smollm2.path  # the bundled SmolLM2, Q4_1
    assert gguf_file_type(src) == "Q4_1"
    with pytest.raises(ConfigError, match=r"already quantized \(Q4_1\).*f16"):
        quantize_gguf(src, tmp_path / "x.gguf", "q8_0")
    with pytest.raises(ConfigError, match="Unknown quantization 'q3'"):
        quantize_gguf(src, tmp_path / "x.gguf", "q3")
    out = quantize_gguf(src, tmp_path / "x.q8_0.gguf", "q8_0", allow_requantize=True, threads=2)
    assert gguf_file_type(out) == "Q8_0"


@pytest.mark.slow
@pytest.mark.skipif(not has_converter(), reason="needs llama.cpp's convert_hf_to_gguf.py (LADDER_LLAMA_CPP)")
def test_the_study_makes_q8_q5km_q4km_of_a_tiny_merged_model_and_llama_cpp_serves_them(bench, hf_smollm2, tmp_path):
    import transformers

    from ladder.models.llamacpp import LlamaCppModel

    _, tok = hf_smollm2
    cfg = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                                   bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    merged = tmp_path / "merged"  # hidden 256: K-quant blocks fit, no fallback types
    transformers.LlamaForCausalLM(cfg).save_pretrained(merged)
    tok.save_pretrained(merged)
    files = bench.make_ggufs(merged, tmp_path / "quant", source="f16", threads=2)
    assert list(files) == ["f16", "q8_0", "q5_k_m", "q4_k_m", "q4_1", "q4_k_m<-q8_0"]
    assert [gguf_file_type(files[k]) for k in ("f16", "q8_0", "q5_k_m", "q4_k_m")] == ["F16", "Q8_0", "Q5_K_M", "Q4_K_M"]
    sizes = [files[k].stat().st_size for k in ("q8_0", "q5_k_m", "q4_k_m")]
    assert sizes == sorted(sizes, reverse=True)
    types = {n: kind for n, (kind, _) in bench.tensors(files["q4_k_m"]).items()}
    assert "Q4_K" in types.values()
    model = LlamaCppModel(files["q4_k_m"], "tiny-q4", n_ctx=256, n_threads=2)
    assert model.generate("hi", max_tokens=3, log=False).completion_tokens >= 1
    model.close()
