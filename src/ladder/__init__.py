"""llm-ladder: measure, don't guess, which LLM strategy your task needs; then run it locally."""

__version__ = "0.1.0"

from .errors import (
    ConfigError,
    DatasetError,
    InvalidOutput,
    LadderError,
    MissingDependency,
    ModelError,
    ModelNotFound,
    OfflineError,
)
from .models import (
    Message,
    Model,
    Options,
    Response,
    ScriptedModel,
    get_model,
    list_models,
    register_model,
)

__all__ = [
    "__version__",
    "LadderError", "ConfigError", "DatasetError", "InvalidOutput", "MissingDependency",
    "ModelError", "ModelNotFound", "OfflineError",
    "Message", "Model", "Options", "Response", "ScriptedModel",
    "get_model", "list_models", "register_model",
]
