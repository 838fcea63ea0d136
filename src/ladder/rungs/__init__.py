"""Rungs: strategies for doing a Task with a Model. Each is small; they compose.

A rung is named by a spec string: a base, then prompt parts, then call wrappers,
joined by '+', each with an optional number::

    zero-shot                      constrained decoding (the default)
    zero-shot-unconstrained        free text, JSON pulled out and validated
    few-shot-4                     4 fixed training examples
    retrieved-few-shot-4           the 4 nearest training examples
    cot                            reasoning first, then the answer
    retrieved-few-shot-4+cot       ... with retrieved examples
    retrieved-few-shot-4+rag-3     ... with 3 retrieved document chunks (ladder.rag)
    retrieved-few-shot-4+self-check-2          validate, feed problems back, retry twice
    retrieved-few-shot-4+self-consistency-5    5 samples, vote per field
    retrieved-few-shot-4+repair    set the values the task's validators name as fixes
    student                        a fine-tuned student (ladder.distill), with the task's fixes
    student-raw                    ... without them (to measure what the fixes add)
    student+self-check-1           ... checked
    optimized:NAME+self-check-2    a prompt searched on dev by `ladder optimize` (ladder.optimize)

The order is the order things happen: prompt parts shape the one request a prompt
rung sends, so they come right after a prompt base; call wrappers wrap everything
before them. Every spec either builds exactly what it names or is refused with an
error naming a valid order (``few-shot-4+self-check-2+cot`` -> use
``few-shot-4+cot+self-check-2``).

Other packages add kinds with ``register_rung`` (RAG context, fine-tuned students).
"""

from __future__ import annotations

import difflib
import re
from typing import Callable, Literal

from ..errors import ConfigError
from .base import Answer, Call, Prediction, Rung, ask, build_messages, describe_output
from .checking import Repair, SelfCheck, SelfConsistency, refine, repaired, vote
from .prompting import COT_NOTE, ChainOfThought, FewShot, Prompt, PromptRung, RetrievedFewShot, ZeroShot

Kind = Literal["base", "prompt", "wrapper"]

# base: factory(n) -> Rung; prompt part: factory(n) -> PromptPart; wrapper: factory(inner, n) -> Rung
BASES: dict[str, Callable] = {
    "zero-shot": lambda n: PromptRung([]),
    "zero-shot-unconstrained": lambda n: PromptRung([], constrained=False),
    "few-shot": lambda n: PromptRung([FewShot(k=n or 4)]),
    "few-shot-unconstrained": lambda n: PromptRung([FewShot(k=n or 4)], constrained=False),
    "retrieved-few-shot": lambda n: PromptRung([RetrievedFewShot(k=n or 4)]),
    "cot": lambda n: PromptRung([ChainOfThought()]),
}
PROMPT_PARTS: dict[str, Callable] = {
    "cot": lambda n: ChainOfThought(),
}
WRAPPERS: dict[str, Callable] = {
    "self-check": lambda inner, n: SelfCheck(inner, retries=n if n is not None else 2),
    "self-consistency": lambda inner, n: SelfConsistency(inner, n=n or 5),
    "repair": lambda inner, n: Repair(inner),
}
_TABLES: dict[str, dict] = {"base": BASES, "prompt": PROMPT_PARTS, "wrapper": WRAPPERS}

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


def register_rung(name: str, factory: Callable, kind: Kind = "base") -> None:
    """Add a rung kind: a base ``factory(n) -> Rung``, a prompt part ``factory(n) ->
    part`` (an object with ``name`` and ``apply(task, input, prompt)``), or a call
    wrapper ``factory(inner, n) -> Rung``. A name ending in ':' takes the text after
    the colon instead of a number: ``optimized:`` builds ``optimized:NAME`` as
    ``factory("NAME")``."""
    if kind not in _TABLES:
        raise ConfigError(f"Unknown rung kind {kind!r}: use base, prompt or wrapper.")
    _TABLES[kind][name] = factory


# Modules that register more rungs when imported (RAG context, fine-tuned students).
# Imported only when a spec names a rung not known yet: they pull in heavier deps.
PLUGINS = ("ladder.rag.rung", "ladder.distill.student", "ladder.optimize.rung")


def load_plugins() -> None:
    import importlib

    for module in PLUGINS:
        importlib.import_module(module)


def _match(token: str, table: dict) -> tuple[str, int | str | None] | None:
    """("name", None) or ("name", n) for "name-n", when the name is in ``table``;
    ("name:", "arg") for "name:arg" when "name:" is."""
    if token in table:
        return token, None
    head, colon, arg = token.partition(":")
    if colon and f"{head}:" in table:
        return f"{head}:", arg
    m = re.fullmatch(r"(.+?)-(\d+)", token)
    return (m.group(1), int(m.group(2))) if m and m.group(1) in table else None


def _classify(token: str, first: bool) -> tuple[Kind, str, int | None]:
    order: list[Kind] = ["base", "prompt", "wrapper"] if first else ["prompt", "wrapper", "base"]
    for attempt in range(2):
        for kind in order:
            found = _match(token, _TABLES[kind])
            if found:
                return kind, *found
        if attempt == 0:
            load_plugins()  # maybe a plugin's rung: load them and look again
    known = sorted({*BASES, *PROMPT_PARTS, *WRAPPERS})
    close = difflib.get_close_matches(token, known, n=2)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ConfigError(f"Unknown rung {token!r}.{hint} Known: {', '.join(known)}.")


def _valid_order(parsed: list[tuple[Kind, str, int | None, str]]) -> str:
    rank = {"base": 0, "prompt": 1, "wrapper": 2}
    return "+".join(tok for _, _, _, tok in sorted(parsed, key=lambda p: rank[p[0]]))


def build_rung(spec: str) -> Rung:
    """Build a rung from its spec string (see the module docstring)."""
    tokens = [t.strip() for t in spec.split("+") if t.strip()]
    if not tokens:
        raise ConfigError("Empty rung spec: try 'zero-shot' or 'retrieved-few-shot-4+self-check-2'.")
    parsed = [(*_classify(t, i == 0), t) for i, t in enumerate(tokens)]
    if parsed[0][0] != "base":
        raise ConfigError(f"Rung spec {spec!r} must start with a base rung (zero-shot, few-shot-4, "
                          f"retrieved-few-shot-4, cot, rag-4, student), not {tokens[0]!r}: "
                          f"try 'zero-shot+{'+'.join(tokens)}'.")
    _, name, n, _ = parsed[0]
    rung = BASES[name](n)
    seen_wrapper = False
    for kind, name, n, token in parsed[1:]:
        if kind == "base":
            raise ConfigError(f"{token!r} in {spec!r} is a base rung; a spec has one base, first.")
        if kind == "prompt":
            if seen_wrapper:
                raise ConfigError(f"In {spec!r}, {token!r} shapes the prompt but comes after a call wrapper, "
                                  f"which would ignore it. Put prompt parts before wrappers: "
                                  f"{_valid_order(parsed)!r}.")
            if not isinstance(rung, PromptRung):
                raise ConfigError(f"In {spec!r}, {tokens[0]!r} has its own fixed prompt, so {token!r} cannot "
                                  f"change it; only call wrappers (self-check, self-consistency) may follow it.")
            part = PROMPT_PARTS[name](n)
            if any(type(p) is type(part) for p in rung.parts):
                raise ConfigError(f"{spec!r} names {token!r} twice (or a part of the same kind as its base); "
                                  "each prompt part can appear once.")
            rung = PromptRung([*rung.parts, part], rung.constrained)
        else:
            seen_wrapper = True
            rung = WRAPPERS[name](rung, n)
    rung.name = "+".join(tokens)
    return rung


__all__ = ["Prediction", "Rung", "Call", "Answer", "Prompt", "PromptRung", "build_rung", "register_rung",
           "load_plugins", "ask", "refine", "vote", "build_messages", "describe_output", "ZeroShot", "FewShot",
           "RetrievedFewShot", "ChainOfThought", "SelfCheck", "SelfConsistency", "Repair", "repaired", "DEFAULT_LADDER",
           "QUICK_LADDER", "BASES", "PROMPT_PARTS", "WRAPPERS", "COT_NOTE"]
