import pytest

from ladder import ModelNotFound, register_model
from ladder.models import BUILTINS, get_model, list_models
from ladder.models.llamacpp import physical_cores


def test_unknown_model_suggests_close_names():
    with pytest.raises(ModelNotFound, match="Did you mean 'smollm2'"):
        get_model("smolm2")


def test_aliases_resolve_to_the_builtin():
    assert get_model("default").name == "smollm2"
    assert get_model("gemma3").name == "gemma3-270m"


def test_gemma_uses_the_gemma_chat_format():
    from ladder.models.base import as_messages

    gemma = get_model("gemma3-270m")
    prompt = gemma.render(as_messages("hello", system="be nice"))
    assert prompt.startswith("<bos><start_of_turn>user\nbe nice\n\nhello<end_of_turn>\n<start_of_turn>model\n")


def test_list_models_reports_availability():
    infos = {i.name: i for i in list_models()}
    assert infos["smollm2"].available and infos["gemma3-270m"].available
    assert set(BUILTINS) <= set(infos)


def test_registered_model_is_used_by_name(smollm2):
    register_model("my-student", backend="llamacpp", path=smollm2.path, description="test")
    model = get_model("my-student")
    assert model.name == "my-student" and model.path == smollm2.path
    assert any(i.name == "my-student" and i.available for i in list_models())


def test_threads_default_to_physical_cores(smollm2):
    assert smollm2.n_threads == physical_cores() >= 1
