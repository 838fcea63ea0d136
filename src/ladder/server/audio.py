"""POST /v1/audio/transcriptions: speech to text (faster-whisper), OpenAI's shape.

    multipart/form-data
      file             the audio (wav, mp3, ogg/opus, webm, m4a, flac)        required
      model            "whisper-1" (OpenAI's name) or "whisper-base"          default: whisper-1
      language         ISO-639-1 code (en, zh, ja...)                         default: detected
      response_format  json {"text"} | text | verbose_json | srt | vtt       default: json
      prompt           primes the decoder (names, spellings)
      temperature      0 (Whisper's fallback schedule) .. 1
      timestamp_granularities[]  "segment" (word timestamps are not offered)

The served speech model is ServerConfig.speech_model (whisper-base, the only one built in);
a request naming another is a 404 like an unknown chat model.

Limits, each an OpenAI-shaped error that says which setting to change:
- the upload: the server-wide body cap (``--max-body-bytes``, 1 MB) is too small for
  audio, so this route registers its own cap (``max_audio_bytes``, 25 MB like
  OpenAI's) in ``app.state.body_limits``, which the BodyLimit middleware reads: 413
  before the form is parsed;
- the length: the audio is decoded first and refused over ``max_audio_s`` (400)
  before any transcription compute;
- something that is not audio: 400; an unknown form field: 400 naming it.

Running: a transcription is CPU-bound for a second or more, so it runs in this
route's own one-thread executor (transcriptions queue behind each other instead of
competing for the same cores, and chat generations keep their workers), behind a
Gate named after the speech model (``--max-queue`` waiting -> 429; ``--timeout`` ->
504; its depth shows in /metrics).

Loading: Whisper loads on the first audio request, not at start: most servers never
get one, and the model costs ~150 MB of memory. The first request pays ~0.5-1 s
more (measured in bench/bench_speech.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse

from ..errors import ConfigError
from .errors import ApiError
from .queue import Gate

PATH = "/v1/audio/transcriptions"
FORMATS = ("json", "text", "verbose_json", "srt", "vtt")
FIELDS = {"file", "model", "language", "response_format", "prompt", "temperature", "timestamp_granularities[]",
          "timestamp_granularities"}


def mount(app, server, guarded) -> None:
    """Add POST /v1/audio/transcriptions to ``app``, with its own body cap."""
    from ..speech import speech_model

    config = server.config
    try:
        served, _ = speech_model(config.speech_model)
    except ConfigError as e:
        raise ConfigError(f"speech_model: {e}") from None
    limits = getattr(app.state, "body_limits", None) or {}
    limits[PATH] = (config.max_audio_bytes, "--max-audio-bytes")
    app.state.body_limits = limits
    server.gates.setdefault(served, Gate(served, 1, config.max_queue))
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ladder-speech")

    @app.post(PATH, dependencies=guarded)
    async def transcriptions(request: Request):
        form = await _form(request)
        unknown = sorted(set(form) - FIELDS)
        if unknown:
            raise ApiError(400, f"Unknown field(s) {unknown}: this endpoint takes {sorted(FIELDS - {'timestamp_granularities'})}.",
                           unknown[0])
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(400, "Send the audio as a multipart file field named 'file' "
                           "(curl -F file=@memo.wav -F model=whisper-1 ...).", "file")
        asked = _text(form, "model") or "whisper-1"
        try:
            name, _ = speech_model(asked)
        except ConfigError:
            name = None
        if name != served:
            raise ApiError(404, f"The speech model {asked!r} is not served here: use 'whisper-1' or {served!r}.",
                           "model", "model_not_found")
        fmt = _text(form, "response_format") or "json"
        if fmt not in FORMATS:
            raise ApiError(400, f"response_format must be one of {', '.join(FORMATS)}, not {fmt!r}.", "response_format")
        granularities = form.getlist("timestamp_granularities[]") + form.getlist("timestamp_granularities")
        if any(g != "segment" for g in granularities):
            raise ApiError(400, "Only timestamp_granularities[]=segment is offered (word timestamps are not).",
                           "timestamp_granularities[]")
        temperature = _number(form, "temperature")
        from ..speech.whisper import (
            AudioTooLong,
            SpeechModelMissing,
            check_language,
            transcribe,
        )

        try:
            language = check_language(_text(form, "language"))
        except ConfigError as e:
            raise ApiError(400, str(e), "language") from None
        data = await upload.read()
        if len(data) > config.max_audio_bytes:
            raise ApiError(413, _too_big(config.max_audio_bytes), "file", "request_too_large")
        kwargs = dict(language=language, model=name, prompt=_text(form, "prompt"), temperature=temperature,
                      max_audio_s=config.max_audio_s)
        try:
            t = await server.run_in_slot(name, "transcription", lambda: transcribe(data, **kwargs), executor=executor)
        except SpeechModelMissing as e:  # the server's to fix, not the client's
            raise ApiError(503, str(e), "model", "speech_model_missing", type="server_error") from None
        except AudioTooLong as e:
            raise ApiError(400, f"{e} The limit is this server's --max-audio-seconds.", "file", "audio_too_long") from None
        except ConfigError as e:  # not audio, empty: the client's to fix
            raise ApiError(400, str(e), "file", "invalid_audio") from None
        return _render(t, fmt)


async def _form(request: Request):
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        raise ApiError(400, f"Send multipart/form-data with the audio in a field named 'file', not {kind or 'no content type'!r}.",
                       "file")
    try:
        return await request.form(max_files=1, max_fields=16)
    except Exception as e:  # python-multipart / starlette: malformed body, too many parts
        raise ApiError(400, f"Could not parse the multipart form ({e}); send one 'file' field and text fields.",
                       "file") from None


def _text(form, key: str) -> str | None:
    value = form.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"{key} must be a text field, not a file.", key)
    return value.strip() or None if value is not None else None


def _number(form, key: str) -> float | None:
    value = _text(form, key)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ApiError(400, f"{key} must be a number, not {value!r}.", key) from None
    if not 0 <= number <= 1:
        raise ApiError(400, f"{key} must be between 0 and 1, not {number:g}.", key)
    return number


def _too_big(limit: int) -> str:
    return (f"The audio upload is larger than this server's limit of {limit:,} bytes (--max-audio-bytes): "
            "send a shorter or more compressed clip (ogg/opus, mp3).")


def _render(t, fmt: str):
    if fmt == "json":
        return {"text": t.text}
    if fmt == "text":
        return PlainTextResponse(t.text + "\n")
    if fmt == "verbose_json":
        return JSONResponse({
            "task": "transcribe", "language": _LANGUAGE_NAMES.get(t.language, t.language), "duration": t.duration_s,
            "text": t.text,
            "segments": [{"id": s.id, "seek": s.seek, "start": s.start, "end": s.end, "text": s.text,
                          "tokens": s.tokens, "temperature": s.temperature, "avg_logprob": s.avg_logprob,
                          "compression_ratio": s.compression_ratio, "no_speech_prob": s.no_speech_prob}
                         for s in t.segments],
            # ours, beyond OpenAI's shape: the code, detection confidence and compute time
            "x_ladder": {"language_code": t.language, "language_probability": t.language_probability,
                         "compute_s": t.compute_s, "model": t.model},
        })
    cues = []
    for i, s in enumerate(t.segments, start=1):
        if fmt == "srt":
            cues.append(f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text.strip()}\n")
        else:
            cues.append(f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text.strip()}\n")
    body = "\n".join(cues)
    return PlainTextResponse(("WEBVTT\n\n" + body) if fmt == "vtt" else body,
                             media_type="text/vtt" if fmt == "vtt" else "text/plain")


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


# OpenAI's verbose_json names the language in English ("english"), not by code.
_LANGUAGE_NAMES = {"en": "english", "zh": "chinese", "ja": "japanese", "ko": "korean", "fr": "french",
                   "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese", "ru": "russian",
                   "nl": "dutch", "ar": "arabic", "hi": "hindi", "vi": "vietnamese", "th": "thai",
                   "id": "indonesian", "tr": "turkish", "pl": "polish", "sv": "swedish", "uk": "ukrainian",
                   "yue": "cantonese"}
