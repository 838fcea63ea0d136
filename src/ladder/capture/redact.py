"""Redaction: personal data replaced by placeholders before a request leaves the machine.

    redactor = Redactor.from_file("patterns.yaml")   # or Redactor() for the built-ins
    session = redactor.session()                     # one per request: its own numbering
    safe = session.redact("mail bob@example.com")    # 'mail [EMAIL_1]'
    session.restore("sent to [EMAIL_1]")             # 'sent to bob@example.com'
    stream = session.stream_restorer()               # answers that arrive in pieces
    stream.feed("sent to [EMA") + stream.feed("IL_1].") + stream.flush()

Detectors, in priority order (an earlier one wins where two overlap):

    extra patterns    from a YAML file of ``NAME: REGEX`` (a company's employee ids ...)
    CARD              13-19 digits, spaces or dashes between, Luhn-checked
    ID                Taiwan ID (checksum), China resident ID (checksum), Japan My Number
                      (check digit), US SSN
    EMAIL             ASCII local part and domain
    PHONE             international (+81 90-1234-5678), grouped (03-1234-5678, (02) 2345-6789),
                      and bare mobile numbers (13812345678, 0912345678); 9 to 15 digits

Every built-in pattern is compiled with ``re.ASCII`` and bounded by explicit ASCII
look-arounds instead of ``\\b``: in Chinese and Japanese text a number sits right next
to a letter (``電話0912-345-678``), and Python's Unicode ``\\b`` sees no boundary there.

Trade-offs: digit detectors err on the side of redacting (a 10-digit order number that
starts with 0 looks like a phone number; dates such as 2026-12-01 are excluded); the
upstream model has to copy a placeholder verbatim for it to be restored, and a
placeholder it rewrites (``[email_1]``) stays as it wrote it. The same original maps to
the same placeholder within one request, and placeholders are numbered per request,
so a dataset built from a redacted log teaches a student to copy placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

PLACEHOLDER = re.compile(r"\[([A-Z][A-Z0-9_]*?_\d+)\]")
_PARTIAL = re.compile(r"\[[A-Z0-9_]*\Z")  # a placeholder cut off at the end of a stream piece
_MAX_PLACEHOLDER = 48

_A = r"(?<![0-9A-Za-z])(?<![0-9][ -])"  # ASCII boundaries (see the module docstring); a digit
_Z = r"(?![0-9A-Za-z]|[ -][0-9])"  # group is never cut out of a longer run of groups


def luhn(digits: str) -> bool:
    """The card-number checksum: double every second digit from the right."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_TW_LETTERS = {c: v for c, v in zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36))}


def _tw_id(s: str) -> bool:
    code = _TW_LETTERS[s[0]]
    digits = [code // 10, code % 10, *map(int, s[1:])]
    weights = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1]
    return sum(d * w for d, w in zip(digits, weights)) % 10 == 0


def _cn_id(s: str) -> bool:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(s[:17], weights))
    return "10X98765432"[total % 11] == s[17].upper()


def _my_number(s: str) -> bool:
    d = [int(c) for c in re.sub(r"\D", "", s)]
    body, check = d[:11], d[11]
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(reversed(body), 1))
    r = total % 11
    return check == (0 if r <= 1 else 11 - r)


def _ssn(s: str) -> bool:
    area, group, serial = s.split("-")
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


_DATE = re.compile(r"(19|20)\d{2}[-./ ](0?[1-9]|1[0-2])[-./ ]\d{1,2}")


def _phone(s: str) -> bool:
    n = sum(c.isdigit() for c in s)
    return 9 <= n <= 15 and not _DATE.match(s)


@dataclass
class Detector:
    """One kind of personal data: a placeholder name, a regex, and an optional check."""

    name: str  # placeholder stem: EMAIL -> [EMAIL_1]
    pattern: re.Pattern
    check: Callable[[str], bool] | None = None

    def spans(self, text: str):
        for m in self.pattern.finditer(text):
            if self.check is None or self.check(m.group(0)):
                yield m.start(), m.end()


def _d(name: str, regex: str, check=None) -> Detector:
    return Detector(name, re.compile(regex, re.ASCII), check)


BUILTIN = [
    _d("CARD", _A + r"\d(?:[ -]?\d){12,18}" + _Z, lambda s: luhn(re.sub(r"\D", "", s))),
    _d("ID", _A + r"[A-Z][1289]\d{8}" + _Z, _tw_id),
    _d("ID", _A + r"[1-9]\d{16}[\dXx]" + _Z, _cn_id),
    _d("ID", _A + r"\d{4}[ -]?\d{4}[ -]?\d{4}" + _Z, _my_number),
    _d("ID", _A + r"\d{3}-\d{2}-\d{4}" + _Z, _ssn),
    _d("EMAIL", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z])"),
    _d("PHONE", r"(?<![0-9A-Za-z+])(?<![0-9][ -])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,4}" + _Z, _phone),
    _d("PHONE", r"(?<![0-9A-Za-z+])(?<![0-9][ -])(?:\+\d{8,14}|0\d{9,10}|1[3-9]\d{9})" + _Z, _phone),
]


class Redactor:
    """The detectors to apply: the built-ins, after any extra patterns."""

    def __init__(self, extra: dict[str, str] | None = None, where: str = "redaction patterns"):
        self.detectors: list[Detector] = []
        for name, regex in (extra or {}).items():
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                raise ConfigError(f"{where}: pattern name {name!r} must be letters, digits and _ "
                                  "(it becomes the placeholder, e.g. EMPLOYEE -> [EMPLOYEE_1]).")
            if not isinstance(regex, str) or not regex:
                raise ConfigError(f"{where}: pattern {name!r} must be a non-empty regex string.")
            try:
                compiled = re.compile(regex)
            except re.error as e:
                raise ConfigError(f"{where}: pattern {name!r} is not a valid regex ({e}).") from None
            self.detectors.append(Detector(name.upper(), compiled))
        self.detectors += BUILTIN

    @classmethod
    def from_file(cls, path: str | Path | None) -> Redactor:
        """Built-ins plus the ``NAME: REGEX`` mapping of a YAML (or JSON) file."""
        if path is None:
            return cls()
        import yaml

        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            raise ConfigError(f"Cannot read redaction patterns {path}: {e}") from None
        if not isinstance(raw, dict) or not raw:
            raise ConfigError(f"{path} must be a YAML mapping of NAME: REGEX, e.g.\n"
                              "  EMPLOYEE: 'EMP-\\d{6}'")
        return cls(raw, str(path))

    def session(self) -> Session:
        return Session(self)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, name) spans, earlier detectors first."""
        taken: list[tuple[int, int, str]] = []
        for det in self.detectors:
            for s, e in det.spans(text):
                if all(e <= a or s >= b for a, b, _ in taken):
                    taken.append((s, e, det.name))
        return sorted(taken)


@dataclass
class Session:
    """One request's placeholders: original <-> placeholder, numbered per kind."""

    redactor: Redactor
    originals: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    _by_original: dict[str, str] = field(default_factory=dict)  # original -> placeholder
    _counts: dict[str, int] = field(default_factory=dict)  # kind -> last number

    @property
    def count(self) -> int:
        return len(self.originals)

    def placeholder(self, original: str, kind: str) -> str:
        if original not in self._by_original:
            n = self._counts[kind] = self._counts.get(kind, 0) + 1
            ph = f"[{kind}_{n}]"
            self._by_original[original], self.originals[ph] = ph, original
        return self._by_original[original]

    def redact(self, text: str) -> str:
        out, last = [], 0
        for s, e, kind in self.redactor.find(text):
            out += [text[last:s], self.placeholder(text[s:e], kind)]
            last = e
        return "".join(out) + text[last:]

    def restore(self, text: str) -> str:
        if not self.originals or "[" not in text:
            return text
        return PLACEHOLDER.sub(lambda m: self.originals.get(m.group(0), m.group(0)), text)

    def redact_json(self, value: Any) -> Any:
        """Every string in a JSON value redacted (keys kept)."""
        return _walk(value, self.redact)

    def restore_json(self, value: Any) -> Any:
        return _walk(value, self.restore)

    def stream_restorer(self) -> StreamRestorer:
        return StreamRestorer(self)


def _walk(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, fn) for k, v in value.items()}
    return value


class StreamRestorer:
    """Restores placeholders in an answer that arrives in pieces: a piece ending in what
    may be the start of a placeholder (``... [EMA``) is held back until the next piece
    completes or rules it out, so an original is never split or left half-restored."""

    def __init__(self, session: Session):
        self.session, self.held = session, ""

    def feed(self, piece: str) -> str:
        text = self.held + piece
        m = _PARTIAL.search(text)
        if m and len(text) - m.start() <= _MAX_PLACEHOLDER:
            text, self.held = text[:m.start()], text[m.start():]
        else:
            self.held = ""
        return self.session.restore(text)

    def flush(self) -> str:
        text, self.held = self.held, ""
        return self.session.restore(text)
