"""Rungs: strategies for doing a Task with a Model. Each is small; they compose.

A rung is named by a spec string: a base, then wrappers joined by '+', each with an
optional number::

    zero-shot                      constrained decoding (the default)
    zero-shot-unconstrained        free text, JSON pulled out and validated
    few-shot-4                     4 fixed training examples
    retrieved-few-shot-4           the 4 nearest training examples
    cot                            reasoning first, then the answer
    retrieved-few-shot-4+cot       ... with retrieved examples
    retrieved-few-shot-4+self-check-2          validate, feed problems back, retry twice
    retrieved-few-shot-4+self-consistency-5    5 samples, vote per field

Other packages add rungs with ``register_rung`` (RAG context, fine-tuned student).
"""

from __future__ import annotations

import re
from typing import Callable

from ..errors import ConfigError
from .base import Prediction, Rung, ask, build_messages
from .checking import SelfCheck, SelfConsistency
from .prompting import ChainOfThought, FewShot, RetrievedFewShot, ZeroShot

# name -> factory(number or None) for bases; factory(inner, number or None) for wrappers
BASES: dict[str, Callable] = {
    "zero-shot": lambda n: ZeroShot(),
    "zero-shot-unconstrained": lambda n: ZeroShot(constrained=False),
    "few-shot": lambda n: FewShot(k=n or 4),
    "few-shot-unconstrained": lambda n: FewShot(k=n or 4, constrained=False),
    "retrieved-few-shot": lambda n: RetrievedFewShot(k=n or 4),
    "cot": lambda n: ChainOfThought(),
}
WRAPPERS: dict[str, Callable] = {
    "cot": lambda inner, n: ChainOfThought(inner),
    "self-check": lambda inner, n: SelfCheck(inner, retries=n if n is not None else 2),
    "self-consistency": lambda inner, n: SelfConsistency(inner, n=n or 5),
}

# The prompting ladder `ladder climb` runs, cheapest first.
DEFAULT_LADDER = [
    "zero-shot-unconstrained",
    "zero-shot",
    "few-shot-4",
    "retrieved-few-shot-4",
    "retrieved-few-shot-4+cot",
    "retrieved-few-shot-4+self-check-2",
    "retrieved-few-shot-4+self-consistency-5",
]
QUICK_LADDER = ["zero-shot-unconstrained", "zero-shot", "few-shot-4", "retrieved-few-shot-4",
                "retrieved-few-shot-4+self-check-2"]


def register_rung(name: str, factory: Callable, wrapper: bool = False) -> None:
    """Add a rung kind: ``factory(n)`` for a base, ``factory(inner, n)`` for a wrapper."""
    (WRAPPERS if wrapper else BASES)[name] = factory


# Modules that register more rungs when imported (RAG context, fine-tuned students).
# Imported only when a spec names a rung not known yet: they pull in heavier deps.
PLUGINS = ("ladder.rag.rung", "ladder.distill.student")


def load_plugins() -> None:
    import importlib

    for module in PLUGINS:
        importlib.import_module(module)


def _match(token: str, table: dict) -> tuple[str, int | None] | None:
    """("name", None) or ("name", n) for "name-n", when the name is in ``table``."""
    if token in table:
        return token, None
    m = re.fullmatch(r"(.+?)-(\d+)", token)
    return (m.group(1), int(m.group(2))) if m and m.group(1) in table else None


def _split(token: str, table: dict) -> tuple[str, int | None]:
    found = _match(token, table)
    if found is None:  # maybe a plugin's rung: load them and look again
        load_plugins()
        found = _match(token, table)
    if found is not None:
        return found
    kind = "wrapper" if table is WRAPPERS else "rung"
    import difflib

    close = difflib.get_close_matches(token, list(table), n=2)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ConfigError(f"Unknown {kind} {token!r}.{hint} Known: {', '.join(sorted(table))}.")


def build_rung(spec: str) -> Rung:
    """Build a rung from its spec string (see the module docstring)."""
    tokens = [t.strip() for t in spec.split("+") if t.strip()]
    if not tokens:
        raise ConfigError("Empty rung spec: try 'zero-shot' or 'retrieved-few-shot-4+self-check'.")
    name, n = _split(tokens[0], BASES)
    rung = BASES[name](n)
    for token in tokens[1:]:
        name, n = _split(token, WRAPPERS)
        rung = WRAPPERS[name](rung, n)
    rung.name = "+".join(tokens)
    return rung


__all__ = ["Prediction", "Rung", "build_rung", "register_rung", "load_plugins", "ask", "build_messages", "ZeroShot",
           "FewShot", "RetrievedFewShot", "ChainOfThought", "SelfCheck", "SelfConsistency",
           "DEFAULT_LADDER", "QUICK_LADDER", "BASES", "WRAPPERS"]
