"""POST /v1/audio/transcriptions on a live loopback server, through the official openai client."""

from __future__ import annotations

import wave

import httpx
import openai
import pytest

from ladder.models import ScriptedModel
from ladder.server import ServerConfig
from ladder.server.app import create_app, running

PATH = "/v1/audio/transcriptions"


def serve(**settings):
    """A real server with a scripted chat model (the chat side is not under test here)."""
    return running(create_app(ServerConfig(**settings), models={"m": ScriptedModel(lambda messages: "ok")}))


def longer_wav(src, dst, seconds: float):
    """The clip padded with silence to ``seconds`` (same format), to make a long upload cheaply."""
    with wave.open(str(src)) as r:
        params, frames = r.getparams(), r.readframes(r.getnframes())
    pad = int(seconds * params.framerate) * params.sampwidth * params.nchannels - len(frames)
    with wave.open(str(dst), "wb") as w:
        w.setparams(params)
        w.writeframes(frames + b"\0" * max(0, pad))
    return dst


def test_the_openai_client_transcribes_in_each_format(lunch_wav, holds_the_expense):
    with serve() as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        with open(lunch_wav, "rb") as f:
            plain = client.audio.transcriptions.create(model="whisper-1", file=f)
        assert holds_the_expense(plain.text), plain.text
        with open(lunch_wav, "rb") as f:
            verbose = client.audio.transcriptions.create(model="whisper-base", file=f, response_format="verbose_json",
                                                         language="en", prompt="Subway", temperature=0)
        assert holds_the_expense(verbose.text)
        assert verbose.language == "english" and 4 < verbose.duration < 6
        assert verbose.segments and verbose.segments[0].start == 0 and verbose.segments[0].text.strip()
        with open(lunch_wav, "rb") as f:
            text = client.audio.transcriptions.create(model="whisper-1", file=f, response_format="text")
        assert holds_the_expense(text)
        with open(lunch_wav, "rb") as f:
            srt = client.audio.transcriptions.create(model="whisper-1", file=f, response_format="srt")
        assert srt.startswith("1\n00:00:00,000 --> 00:00:0")
        metrics = httpx.get(f"{url}/metrics").text
        assert f'ladder_requests_total{{path="{PATH}",status="200"}} 4' in metrics
        assert 'ladder_queue_depth{model="whisper-base"} 0' in metrics


def test_uploads_over_the_audio_cap_are_413_and_the_cap_is_per_route(lunch_wav, tmp_path):
    size = lunch_wav.stat().st_size  # ~213 kB
    with serve(max_audio_bytes=size // 2, max_body_bytes=size // 4) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        with open(lunch_wav, "rb") as f, pytest.raises(openai.APIStatusError) as e:
            client.audio.transcriptions.create(model="whisper-1", file=f)
        assert e.value.status_code == 413
        err = e.value.response.json()["error"]
        assert err["code"] == "request_too_large" and "--max-audio-bytes" in err["message"]
        # the other routes keep the server-wide --max-body-bytes
        chat = httpx.post(f"{url}/v1/chat/completions", json={"model": "m", "messages": [
            {"role": "user", "content": "x" * (size // 3)}]})
        assert chat.status_code == 413 and "--max-body-bytes" in chat.json()["error"]["message"]


def test_audio_bigger_than_the_body_cap_passes_it_and_too_long_audio_is_400(lunch_wav, tmp_path):
    """A 1.3 MB, 30 s upload: over the 1 MB --max-body-bytes (so the audio cap must be the one
    applied), then refused for its length before any transcription."""
    long = longer_wav(lunch_wav, tmp_path / "long.wav", 30)
    assert long.stat().st_size > 1_000_000
    with serve(max_audio_s=20) as url:
        r = httpx.post(f"{url}{PATH}", files={"file": ("long.wav", long.read_bytes(), "audio/wav")},
                       data={"model": "whisper-1"}, timeout=60)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "audio_too_long" and "30.0 s long, over the limit of 20 s" in err["message"]
    assert "--max-audio-seconds" in err["message"]


def test_bad_requests_are_openai_shaped_errors(lunch_wav):
    audio = ("lunch.wav", lunch_wav.read_bytes(), "audio/wav")
    with serve() as url:
        def post(files=None, **data):
            return httpx.post(f"{url}{PATH}", files=files, data=data or None, timeout=60)

        not_audio = post({"file": ("notes.wav", b"just some text, not audio " * 50, "audio/wav")}, model="whisper-1")
        assert not_audio.status_code == 400 and not_audio.json()["error"]["code"] == "invalid_audio"
        assert "not audio that can be decoded" in not_audio.json()["error"]["message"]
        wrong_model = post({"file": audio}, model="whisper-large-v3")
        assert wrong_model.status_code == 404 and wrong_model.json()["error"]["code"] == "model_not_found"
        bad_format = post({"file": audio}, model="whisper-1", response_format="xml")
        assert bad_format.status_code == 400 and bad_format.json()["error"]["param"] == "response_format"
        bad_language = post({"file": audio}, model="whisper-1", language="xx")
        assert bad_language.status_code == 400 and bad_language.json()["error"]["param"] == "language"
        typo = post({"file": audio}, model="whisper-1", lanugage="en")
        assert typo.status_code == 400 and "lanugage" in typo.json()["error"]["message"]
        no_file = post(model="whisper-1")
        assert no_file.status_code == 400 and "multipart" in no_file.json()["error"]["message"]
        words = post({"file": audio}, model="whisper-1", **{"timestamp_granularities[]": "word"})
        assert words.status_code == 400 and "segment" in words.json()["error"]["message"]


def test_the_api_key_guards_the_route(lunch_wav, holds_the_expense):
    with serve(api_key="sesame") as url:
        anonymous = openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0)
        with open(lunch_wav, "rb") as f, pytest.raises(openai.AuthenticationError):
            anonymous.audio.transcriptions.create(model="whisper-1", file=f)
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sesame", max_retries=0)
        with open(lunch_wav, "rb") as f:
            assert holds_the_expense(client.audio.transcriptions.create(model="whisper-1", file=f, language="en").text)


def reads_expenses(messages):
    """A scripted chat model that reads the transcript the way the app's prompts ask: every
    sentence is a record; the amount, merchant and category come from the words heard."""
    import re

    system = messages[0].content if messages[0].role == "system" else ""
    text = messages[-1].content.splitlines()[0].lower()
    if system.startswith("You route"):
        return {"intent": "record"}
    if system.startswith("Extract one expense"):
        amount = re.search(r"(\d+(?:\.\d+)?)", text)
        return {"date": "2026-11-19", "amount": float(amount.group(1)) if amount else 0, "currency": "USD",
                "category": "food" if "lunch" in text else "other", "merchant": "Subway" if "subway" in text else None}
    raise AssertionError(f"unexpected prompt: {system[:60]!r}")


def test_a_spoken_expense_becomes_a_ledger_row_through_one_server(lunch_wav, tmp_path):
    """Audio -> /v1/audio/transcriptions -> its text -> /v1/apps/expenses -> a row, as the page does."""
    from ladder.apps.expenses import Ledger

    ledger = tmp_path / "voice.db"
    config = ServerConfig(apps=["expenses"], ledger=str(ledger), rung="zero-shot", today="2026-11-20")
    with running(create_app(config, models={"m": ScriptedModel(reads_expenses)})) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        with open(lunch_wav, "rb") as f:
            heard = client.audio.transcriptions.create(model="whisper-1", file=f, language="en").text
        reply = httpx.post(f"{url}/v1/apps/expenses", json={"text": heard}, timeout=60).json()
    assert reply["intent"] == "record", reply
    (row,) = Ledger(ledger).rows()
    assert (row["amount"], row["category"], row["merchant"], row["note"]) == (12.0, "food", "Subway", heard)
