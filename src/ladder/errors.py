"""One small exception tree. Every message says how to fix the problem.

    LadderError
    ├── ConfigError            bad option, unknown key, unreadable file
    │   └── DatasetError       a bad line in a JSONL dataset (names file and line)
    ├── ModelNotFound          unknown model name (suggests close names)
    ├── MissingDependency      an optional package is not installed (names the pip extra)
    ├── OfflineError           a remote backend was asked for with LADDER_OFFLINE=1
    ├── ModelError             a backend failed (HTTP error after retries, bad model file)
    └── InvalidOutput          output did not match the schema after every attempt
"""

from __future__ import annotations

import difflib


class LadderError(Exception):
    """Base class: catch this to handle every llm-ladder error."""


class ConfigError(LadderError):
    """A bad option, unknown key or unreadable file; the message names it and the fix."""


class DatasetError(ConfigError):
    """A bad line in a dataset file; ``path`` and ``line`` say where."""

    def __init__(self, path, line: int, message: str):
        self.path, self.line = str(path), line
        super().__init__(f"{path}:{line}: {message}")


class ModelNotFound(LadderError):
    """An unknown model name; the message suggests close names and how to list them."""

    def __init__(self, name: str, known: list[str]):
        self.name = name
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(
            f"Unknown model {name!r}.{hint} Run 'ladder models' to list them; "
            "a path to a .gguf file, 'hf:<dir or hub id>' or 'openai:<model>' also works."
        )


class MissingDependency(LadderError):
    """An optional package is not installed; the message names the pip extra to install."""

    def __init__(self, package: str, extra: str, purpose: str):
        self.package, self.extra = package, extra
        super().__init__(
            f"{purpose} needs the '{package}' package. Install it with: "
            f"pip install 'llm-ladder[{extra}]'"
        )


class OfflineError(LadderError):
    """A remote backend was asked for while LADDER_OFFLINE=1 forbids network access."""


class ModelError(LadderError):
    """A backend failed: an HTTP error after its retries, or a model file it cannot load."""


class InvalidOutput(LadderError):
    """The model's output failed validation on every attempt; keeps what it said."""

    def __init__(self, raw: str, message: str, attempts: int = 1):
        self.raw, self.validation_message, self.attempts = raw, message, attempts
        shown = raw if len(raw) <= 300 else raw[:300] + "..."
        super().__init__(
            f"Output did not match the schema after {attempts} attempt(s): {message}\n"
            f"Raw output: {shown!r}"
        )


def require(module: str, package: str, extra: str, purpose: str):
    """Import an optional module or raise MissingDependency naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependency(package, extra, purpose) from e
