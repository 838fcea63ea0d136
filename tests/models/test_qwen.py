"""The bundled Qwen2.5-Coder models: listed, assembled from their chunk packages, answering."""

import pytest

from ladder.models import BUILTINS, QWEN_PARTS, get_model, list_models, weights_dir
from ladder.models.parts import chunks, is_verified


def test_both_qwen_models_are_listed_as_available_with_their_size():
    info = {m.name: m for m in list_models()}
    for name, parts in QWEN_PARTS.items():
        assert info[name].available, info[name].why
        assert f"{parts.size / 1e6:,.0f} MB" in info[name].description
        assert len(chunks(parts)) >= parts.count  # every chunk package is installed


@pytest.mark.slow
@pytest.mark.parametrize("name", list(QWEN_PARTS))
def test_qwen_assembles_verified_and_answers_constrained(name):
    path = BUILTINS[name].locate()
    assert path.parent == weights_dir() and is_verified(path, QWEN_PARTS[name].sha256)
    assert path.stat().st_size == QWEN_PARTS[name].size
    r = get_model(name).generate("Lunch 12 dollars at Subway", max_tokens=40, schema={
        "type": "object", "properties": {"amount": {"type": "number"}, "merchant": {"type": "string", "maxLength": 20}},
        "required": ["amount", "merchant"], "additionalProperties": False})
    assert r.parsed["amount"] == 12
