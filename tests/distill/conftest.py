import pytest


@pytest.fixture(scope="session")
def hf_smollm2():
    """The bundled SmolLM2 GGUF loaded trainable through transformers, as training loads it."""
    from ladder.distill.config import resolve_base
    from ladder.distill.model import load_base

    return load_base(resolve_base("smollm2"))
