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


def test_builtin_resolves_names_and_aliases():
    from ladder.models import builtin

    name, path, chat_format = builtin("gemma3")
    assert name == "gemma3-270m" and path.is_file() and chat_format == "gemma"
    name, path, chat_format = builtin("default")
    assert name == "smollm2" and path.suffix == ".gguf" and chat_format is None
    with pytest.raises(ModelNotFound, match="Did you mean 'smollm2'"):
        builtin("smolm2")


def test_unknown_setting_is_refused_on_registration_naming_the_key(smollm2):
    from ladder import ConfigError

    with pytest.raises(ConfigError, match=r"Unknown setting 'n_ctxx'.*Did you mean 'n_ctx'.*Known settings: chat_format"):
        register_model("typo", backend="llamacpp", path=smollm2.path, n_ctxx=2048)
    with pytest.raises(ConfigError, match="'transport'"):  # not a JSON value: get_model only
        register_model("typo", backend="openai", path="gpt-x", transport=None)
    assert "typo" not in {i.name for i in list_models()}
    register_model("ok", backend="llamacpp", path=smollm2.path, n_ctx=2048)
    assert get_model("ok").n_ctx == 2048


def test_unknown_setting_at_get_model_is_a_config_error():
    from ladder import ConfigError

    with pytest.raises(ConfigError, match="Unknown setting 'threads'.*n_threads"):
        get_model("smollm2", threads=1)


def test_backend_settings_are_constructor_parameters():
    import inspect

    from ladder.models import BACKEND_SETTINGS, backend_class

    for backend, keys in BACKEND_SETTINGS.items():
        params = inspect.signature(backend_class(backend).__init__).parameters
        assert set(keys) <= {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}, backend
