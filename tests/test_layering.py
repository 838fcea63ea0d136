"""Lower layers never import upper ones (DESIGN.md: "layering enforced by a test").

Two checks, because an arrow can hide two ways:
- at import time: each lower package is imported in a fresh interpreter (so a module
  another test loaded cannot hide or fake an arrow) and sys.modules must hold no upper
  module afterwards; the message names the import chain so the arrow is easy to cut;
- inside functions: a lazy ``from ..sql import x`` in a function body passes the first
  check but is the same dependency, so every import statement in the lower packages'
  source is read (ast) and resolved to its absolute module name.

Registries that import plugins *by name* (rungs.PLUGINS, evals' METRIC_PLUGINS) are the
sanctioned inversion, like entry points, as long as they load only for a name that is
not built in: a third check runs the built-in ladder end to end (task, every default
rung, metric, runner) in a fresh interpreter and finds no upper module loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import ladder

LOWER = ["ladder.models", "ladder.rungs", "ladder.evals", "ladder.tasks", "ladder.schema", "ladder.log"]
UPPER = ["ladder.sql", "ladder.apps", "ladder.server", "ladder.distill", "ladder.rag", "ladder.cli"]
SRC = Path(ladder.__file__).parent

# Runs in the child: import one module, then print {upper module: "it <- importer <- ..."}
# for every upper module loaded; a meta-path hook records who imported whom.
_PROBE = r"""
import importlib, json, sys
upper = json.loads(sys.argv[2])
parent = {}
class Who:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("ladder"):
            f = sys._getframe(1)
            while f is not None:
                mod = f.f_globals.get("__name__", "")
                if mod.startswith("ladder") and mod != name:
                    parent.setdefault(name, mod)
                    break
                f = f.f_back
        return None
sys.meta_path.insert(0, Who())
exec(sys.argv[1]) if "\n" in sys.argv[1] else importlib.import_module(sys.argv[1])
chains = {}
for m in sorted(sys.modules):
    if any(m == u or m.startswith(u + ".") for u in upper):
        chain, cur = [m], m
        while cur in parent and len(chain) < 20:
            cur = parent[cur]
            chain.append(cur)
        chains[m] = " <- ".join(chain)
print(json.dumps(chains))
"""


def _probe(module: str, upper: list[str]) -> dict[str, str]:
    """Upper modules loaded after importing ``module`` (or running it, when it is code)."""
    done = subprocess.run([sys.executable, "-c", _PROBE, module, json.dumps(upper)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"importing {module} failed:\n{done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _is_upper(name: str) -> bool:
    return any(name == u or name.startswith(u + ".") for u in UPPER)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import statement in one file, at any depth."""
    rel = path.relative_to(SRC.parent).with_suffix("")
    package = list(rel.parts[:-1])  # the package a relative import starts from
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            # `from .. import sql` imports the module ladder.sql, not a name of ladder.
            found += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
    return found


@pytest.mark.parametrize("lower", LOWER)
def test_importing_a_lower_layer_loads_no_upper_layer(lower):
    chains = _probe(lower, UPPER)
    tops = {m: c for m, c in chains.items() if m in UPPER} or chains  # ladder.sql, not each submodule
    assert not tops, f"{lower} imports upper layers:\n" + "\n".join(f"  {c}" for c in tops.values())


@pytest.mark.parametrize("lower", LOWER)
def test_no_lower_module_imports_an_upper_one_even_lazily(lower):
    rel = Path(*lower.split(".")[1:])
    files = sorted((SRC / rel).rglob("*.py")) if (SRC / rel).is_dir() else [SRC / rel.with_suffix(".py")]
    arrows = [f"{f.relative_to(SRC.parent)}:{line} imports {mod}"
              for f in files for line, mod in _imports(f) if _is_upper(mod)]
    assert not arrows, "upward imports:\n  " + "\n  ".join(arrows)


# The built-in ladder on the bundled task, with a scripted model (scores do not matter here).
_BUILTIN_RUN = """
from ladder.evals.runner import RunStore, evaluate
from ladder.models import ScriptedModel
from ladder.rungs import DEFAULT_LADDER, build_rung
from ladder.tasks import load_task
import tempfile, pathlib
task = load_task("expenses")
items = task.split("test")[:2]
answers = {e.input["text"]: e.expected for e in items}
model = ScriptedModel(lambda messages: next(v for k, v in answers.items() if k in messages[-1].content))
store = RunStore(pathlib.Path(tempfile.mkdtemp()) / "runs.db")
for spec in DEFAULT_LADDER:
    result = evaluate(task, build_rung(spec), model, items, progress=False, store=store)
    assert result.summary["n"] == 2, (spec, result.summary)
"""


def test_the_built_in_ladder_runs_without_any_upper_layer():
    chains = _probe(_BUILTIN_RUN, UPPER)
    tops = {m: c for m, c in chains.items() if m in UPPER} or chains
    assert not tops, "running built-in rungs and metrics loaded upper layers:\n" + \
        "\n".join(f"  {c}" for c in tops.values())


def test_the_checks_can_fail():
    # Each probe must find a real arrow when one exists: ladder.models imports ladder.errors,
    # and a rung that is not built in (rag-4) loads the rungs' plugins.
    assert "ladder.errors" in _probe("ladder.models", ["ladder.errors"])
    assert "ladder.rag" in _probe("from ladder.rungs import build_rung\nbuild_rung('rag-4')", UPPER)
    mods = {m for f in (SRC / "models").rglob("*.py") for _, m in _imports(f)}
    assert any(m.startswith("ladder.errors") for m in mods), sorted(mods)
