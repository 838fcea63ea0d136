"""Transcription with faster-whisper (CTranslate2) on the CPU, int8.

    transcribe(audio, language=None, beam_size=5) -> Transcript(text, language,
        language_probability, duration_s, segments, compute_s)

``audio`` is a path, raw file bytes (an upload), a binary file object or 16 kHz mono
float32 samples. Decoding goes through PyAV (ffmpeg's decoders, inside its wheel; no
ffmpeg binary needed), so wav, mp3, ogg/opus, webm (a browser's MediaRecorder), m4a and
flac all work; something that is not audio is a ConfigError, not a traceback.

Design choices:
- the model loads once per (name, threads) and is kept (``load_whisper`` is cached):
  loading takes about a second, a 4-second clip about as long to transcribe;
- threads: ``$LADDER_THREADS``, else 2 (whisper-base gains little past 2 cores, and
  the machines this targets have few); ``cpu_threads`` is CTranslate2's intra-op pool;
- the audio is decoded first and its duration checked (``max_audio_s``) before any
  compute, so a too-long upload costs a decode, not a transcription;
- ``language=None`` lets Whisper detect it from the first 30 s; a code ("zh", "ja",
  "en"...) skips detection and is checked against Whisper's list first;
- ``compute_s`` is decode + transcription wall time (segments are a lazy generator in
  faster-whisper; they are consumed inside the timing), the numerator of the
  real-time factor.

One WhisperModel serves concurrent callers (CTranslate2 is thread-safe), but callers
here run one transcription at a time (the server's audio executor has one thread):
two at once on two cores only make both slower.
"""

from __future__ import annotations

import io
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO, Union

from ..errors import ConfigError, ModelError
from . import speech_model
from .weights import whisper_dir

SAMPLE_RATE = 16_000
Audio = Union[str, Path, bytes, BinaryIO, "numpy.ndarray"]  # noqa: F821

# Whisper's language codes (faster_whisper.tokenizer._LANGUAGE_CODES), kept here so a
# bad code is refused without importing the backend.
LANGUAGES = (
    "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy", "da", "de", "el",
    "en", "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw", "he", "hi", "hr", "ht", "hu", "hy",
    "id", "is", "it", "ja", "jw", "ka", "kk", "km", "kn", "ko", "la", "lb", "ln", "lo", "lt", "lv", "mg", "mi",
    "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl", "nn", "no", "oc", "pa", "pl", "ps", "pt", "ro", "ru",
    "sa", "sd", "si", "sk", "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl",
    "tr", "tt", "uk", "ur", "uz", "vi", "yi", "yo", "zh", "yue",
)


class AudioTooLong(ConfigError):
    """The audio is longer than the caller's ``max_audio_s``; found before any transcription."""

    def __init__(self, duration_s: float, limit_s: float):
        self.duration_s, self.limit_s = duration_s, limit_s
        super().__init__(f"The audio is {duration_s:.1f} s long, over the limit of {limit_s:g} s: "
                         "send a shorter clip (or raise the limit).")


class SpeechModelMissing(ConfigError):
    """The speech model's packages (or faster-whisper) are not installed here; says what to install."""


def check_language(language: str | None) -> str | None:
    """A Whisper language code, normalized ("ZH " -> "zh", a browser's "zh-TW" -> "zh");
    None stays None (detect it)."""
    if language is None:
        return None
    code = language.strip().lower().replace("_", "-")
    if code not in LANGUAGES:
        code = code.split("-")[0]
    if code not in LANGUAGES:
        raise ConfigError(f"Unknown language {language!r}: give a Whisper language code such as en, zh, ja, "
                          "ko, fr, de, es (or none, to detect it).")
    return code


@dataclass
class Segment:
    """One timed piece of the transcript (OpenAI's verbose_json segment fields)."""

    id: int
    start: float
    end: float
    text: str
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float
    temperature: float | None
    tokens: list[int] = field(default_factory=list)
    seek: int = 0


@dataclass
class Transcript:
    """What ``transcribe`` returns: the text, the (detected or given) language, timings."""

    text: str
    language: str
    language_probability: float  # 1.0 when the language was given
    duration_s: float  # seconds of audio
    segments: list[Segment]
    compute_s: float  # decode + transcription wall time
    model: str = "whisper-base"

    @property
    def rtf(self) -> float:
        """Real-time factor: seconds of compute per second of audio (below 1: faster than speech)."""
        return self.compute_s / self.duration_s if self.duration_s else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "rtf": round(self.rtf, 4)}


def threads() -> int:
    """CTranslate2 threads: ``$LADDER_THREADS``, else 2."""
    env = os.environ.get("LADDER_THREADS", "").strip()
    if not env:
        return 2
    if not env.isdigit() or int(env) < 1:
        raise ConfigError(f"LADDER_THREADS={env!r} is not a positive integer; unset it or use e.g. 1")
    return int(env)


_models: dict[tuple[str, int], object] = {}  # (canonical name, threads) -> faster_whisper.WhisperModel
_lock = threading.Lock()


def load_whisper(name: str | None = None, cpu_threads: int | None = None):
    """The faster-whisper model, loaded once (assembling its weights on first use)."""
    canonical, spec = speech_model(name)
    n = cpu_threads or threads()
    with _lock:
        if (canonical, n) in _models:
            return _models[(canonical, n)]
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise SpeechModelMissing("Transcription needs the 'faster-whisper' package. Install it with: "
                                     "pip install faster-whisper") from None
        try:
            path = whisper_dir(spec.weights)
        except FileNotFoundError as e:
            raise SpeechModelMissing(f"Speech model {canonical!r} is not installed. Install it with: {e}") from None
        try:
            model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=n)
        except (RuntimeError, ValueError, OSError) as e:
            raise ModelError(f"Could not load {canonical} from {path} ({e}); delete that folder to "
                             "assemble it again from its packages.") from e
        _models[(canonical, n)] = model
        return model


def load_audio(audio: Audio):
    """16 kHz mono float32 samples from a path, bytes, a file object or samples."""
    import numpy as np

    if isinstance(audio, np.ndarray):
        return audio.astype(np.float32, copy=False)
    if isinstance(audio, (str, Path)):
        path = Path(audio)
        if not path.is_file():
            raise ConfigError(f"No audio file at {path}: give the path of a wav, mp3, ogg, webm, m4a or flac file.")
        source, what = str(path), str(path)
    elif isinstance(audio, (bytes, bytearray, memoryview)):
        if not len(audio):
            raise ConfigError("The audio is empty (0 bytes): send a wav, mp3, ogg, webm, m4a or flac file.")
        source, what = io.BytesIO(bytes(audio)), "The upload"
    else:
        source, what = audio, "The audio"
    try:
        from faster_whisper.audio import decode_audio
    except ImportError:
        raise SpeechModelMissing("Decoding audio needs the 'faster-whisper' package (and its PyAV). Install it "
                                 "with: pip install faster-whisper") from None
    try:
        samples = decode_audio(source, sampling_rate=SAMPLE_RATE)
    except Exception as e:  # PyAV raises av.error.* (InvalidDataError...) for what it cannot decode
        reason = (getattr(e, "strerror", None) or str(e).split(";")[0][:200] or type(e).__name__).lower()
        raise ConfigError(f"{what} is not audio that can be decoded ({reason}): send a wav, mp3, ogg, webm, "
                          "m4a or flac file.") from None
    if samples.size == 0:
        raise ConfigError(f"{what} holds no audio samples: record something and send it again.")
    return samples


def transcribe(audio: Audio, language: str | None = None, beam_size: int = 5, *, model: str | None = None,
               prompt: str | None = None, temperature: float | None = None, max_audio_s: float | None = None,
               cpu_threads: int | None = None) -> Transcript:
    """Speech to text. ``language`` None detects it; ``prompt`` primes the decoder
    (spellings, names); ``temperature`` None or 0 uses Whisper's fallback schedule
    (0.0, 0.2, ... when a decode looks wrong), above 0 samples at that temperature;
    ``max_audio_s`` refuses longer audio (ConfigError) before any compute."""
    language = check_language(language)
    if beam_size < 1 or beam_size > 20:
        raise ConfigError(f"beam_size must be between 1 and 20, not {beam_size}.")
    if temperature is not None and not 0 <= temperature <= 1:
        raise ConfigError(f"temperature must be between 0 and 1, not {temperature}.")
    canonical, _ = speech_model(model)
    start = time.perf_counter()
    samples = load_audio(audio)  # before loading the model: a bad file fails fast
    decode_s = time.perf_counter() - start
    duration = samples.shape[0] / SAMPLE_RATE
    if max_audio_s is not None and duration > max_audio_s:
        raise AudioTooLong(duration, max_audio_s)
    whisper = load_whisper(canonical, cpu_threads)  # cached; its first load is not compute time
    start = time.perf_counter() - decode_s
    options = {} if not temperature else {"temperature": temperature}
    pieces, info = whisper.transcribe(samples, language=language, beam_size=beam_size, initial_prompt=prompt or None,
                                      **options)
    segments = [Segment(s.id, round(s.start, 3), round(s.end, 3), s.text, s.avg_logprob, s.compression_ratio,
                        s.no_speech_prob, s.temperature, list(s.tokens), s.seek) for s in pieces]
    compute = time.perf_counter() - start
    return Transcript(text="".join(s.text for s in segments).strip(), language=info.language,
                      language_probability=1.0 if language else round(info.language_probability, 4),
                      duration_s=round(duration, 3), segments=segments, compute_s=round(compute, 3),
                      model=canonical)


__all__ = ["transcribe", "Transcript", "Segment", "load_whisper", "load_audio", "threads", "LANGUAGES",
           "AudioTooLong", "SpeechModelMissing", "check_language",
           "SAMPLE_RATE"]
