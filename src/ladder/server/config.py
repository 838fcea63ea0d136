"""Server settings, checked once at start: a typo in a setting is an error naming it."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class ServerConfig(BaseModel):
    """Settings of `ladder serve`: models and tasks served, apps, address, API key, limits."""

    model_config = ConfigDict(extra="forbid")
    models: list[str] = ["smollm2"]
    tasks: list[str] = []
    rung: str | None = None  # rung spec for every served task; None: ladder.climb.pick per task
    apps: list[str] = []  # apps served at /v1/apps/NAME ("expenses")
    ledger: str | None = None  # the expenses app's SQLite ledger (default: <data dir>/ledger.db)
    currency: str = "TWD"  # the expenses app's currency when a sentence names none
    today: str | None = None  # pretend today is YYYY-MM-DD (the apps; tests and demos)
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    api_key: str | None = None
    concurrency: int = Field(1, ge=1, le=64)  # generations at once per model (llama.cpp: 1)
    max_queue: int = Field(16, ge=0, le=10_000)  # waiting requests per model before 429
    max_tokens_cap: int = Field(2048, ge=1)
    default_max_tokens: int = Field(256, ge=1)
    max_body_bytes: int = Field(1_000_000, ge=1024)
    timeout_s: float = Field(300.0, gt=0)  # per request, queue wait included
    # speech (audio.py): POST /v1/audio/transcriptions
    speech_model: str = "whisper-base"
    max_audio_bytes: int = Field(25_000_000, ge=1024)  # upload cap (OpenAI's is 25 MB) -> 413
    max_audio_s: float = Field(120.0, gt=0)  # audio length cap -> 400
    # proxy (proxy.py): forward chat completions to an OpenAI-compatible upstream, capture, swap
    upstream: str | None = None  # "openai:<model>" (OPENAI_BASE_URL / OPENAI_API_KEY) or a base URL
    routes: dict[str, str] = {}  # upstream model name -> local model (a student) that answers for it
    shadow: bool = False  # routed requests also go upstream; the upstream's answer is returned, both logged
    redact: bool = False  # replace e-mails, phones, card/ID numbers before a request leaves the machine
    redact_patterns: str | None = None  # a YAML/JSON file of extra {name: regex} patterns
    log_original: bool = False  # with redact: keep the original text in the local log (default: redacted)

    def check_exposure(self) -> None:
        """Refuse to listen beyond loopback without an API key."""
        if not is_loopback(self.host) and not self.api_key:
            raise ConfigError(
                f"Binding {self.host} exposes the server beyond this machine: give an API key "
                "with --api-key KEY or the LADDER_API_KEY environment variable (or bind 127.0.0.1).")

    def pick_for(self, task_name: str) -> tuple[str, str | None]:
        """(rung spec, model name or None) for a served task: ``--rung`` on the request's
        model, else ``ladder.climb.pick`` (the last climb's pick, else the task's student,
        else zero-shot)."""
        if self.rung:
            return self.rung, None
        from ..climb import pick

        return pick(task_name)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
