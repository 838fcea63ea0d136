"""The top-level API: every exported name exists, is documented for real, and
``import ladder`` stays light (the heavy nouns load on first use)."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

import ladder

MIN_WORDS = 4  # "Run a rung." is a label, not documentation


def own_doc(obj) -> str:
    """The object's own docstring: not inherited (from object, BaseModel, Exception...),
    and not the "Name(field, ...)" line dataclasses write when a class has none."""
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__") or ""
        return "" if doc.startswith(f"{obj.__name__}(") else doc
    return getattr(obj, "__doc__", None) or ""


@pytest.mark.parametrize("name", [n for n in ladder.__all__ if n != "__version__"])
def test_every_export_exists_and_has_a_real_docstring(name):
    obj = getattr(ladder, name)
    doc = own_doc(obj)
    assert len(doc.split()) >= MIN_WORDS, f"ladder.{name} needs a docstring that says what it is ({doc!r})"


def test_every_public_class_at_the_top_is_exported():
    public = {n for n in dir(ladder) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(ladder.__all__), public - set(ladder.__all__)
    assert len(ladder.__all__) == len(set(ladder.__all__))


def test_the_design_nouns_are_exported():
    nouns = {"Model", "Response", "get_model", "Task", "load_task", "Rung", "build_rung", "Metric",
             "evaluate", "RunStore", "climb", "pick", "Student", "distill", "Index", "ServerConfig"}
    assert nouns <= set(ladder.__all__), nouns - set(ladder.__all__)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Tsak'"):
        ladder.Tsak  # noqa: B018


HEAVY = ["torch", "transformers", "peft", "llama_cpp", "fastapi", "uvicorn", "sqlite_vec",
         "ladder.rag", "ladder.distill", "ladder.server", "ladder.sql", "ladder.apps", "ladder.cli"]


def loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_ladder_stays_light():
    assert loaded_after("import ladder") == []
    # ...and the lazy names really load their module when used.
    assert "ladder.rag" in loaded_after("import ladder\nladder.Index")
