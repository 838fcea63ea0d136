"""The transformers backend on the bundled SmolLM2 GGUF (dequantized by transformers)."""

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def hf_smollm2(smollm2):
    from ladder.models.hf import HFModel

    return HFModel(smollm2.path, name="hf-smollm2")


@pytest.mark.slow
def test_a_seeded_sample_is_reproducible_and_leaves_the_callers_rng_alone(hf_smollm2):
    torch.manual_seed(1234)
    before = torch.random.get_rng_state()
    a = hf_smollm2.generate("Name a fruit.", temperature=1.0, seed=7, max_tokens=8, log=False).text
    b = hf_smollm2.generate("Name a fruit.", temperature=1.0, seed=7, max_tokens=8, log=False).text
    assert a == b and a
    assert torch.equal(torch.random.get_rng_state(), before)  # no global seeding
