"""JSON Schema -> llama.cpp grammar, and the greedy sampler that decodes under it.

Three pieces, used by the llama.cpp backend:

- ``compile_grammar(key, vocab)``: the schema rewritten where llama-cpp-python's converter
  gets it wrong (``_normalize``), arrays bounded where a small model would loop
  (``bound``: DEFAULT_MAX_ITEMS), compiled once and checked (cached per schema).
- ``GreedyGrammar``: greedy sampling under that grammar, checking the argmax token first
  (fast); closing a string that repeats itself, and closing the JSON when the token
  budget runs out (``reserve``), so greedy constrained output is complete, valid JSON for
  any schema (measured: bench/bench_grammar.py, bench/RESULTS.md).
- ``greedy_sampler(llm, sampler)``: the one seam where ``Llama.generate`` is handed our
  sampler (it builds its own with ``Llama._init_sampler``); a test fails if
  llama-cpp-python changes that.

Numeric bounds: llama-cpp-python's converter ignores ``minimum``/``exclusiveMinimum``/
``maximum``/``exclusiveMaximum`` (its own TODO), so a greedy answer could be ``0`` or ``-3``
for ``"exclusiveMinimum": 0``. What the grammar constrains: a number or integer whose lower
bound rules out negatives (``minimum >= 0`` or ``exclusiveMinimum >= 0``) gets a rule of ours
without the minus sign (``_SIGNED_RULES``), and one that also rules out zero (``minimum > 0``
or ``exclusiveMinimum >= 0``) a rule that refuses ``0``, ``0.0``, ``0.00``... while allowing
``0.5`` and ``12.30``. What is only validated (``ladder.schema.validate`` after generation):
everything else, e.g. ``minimum: 5`` (the grammar allows ``3``), any ``maximum``/
``exclusiveMaximum``, ``multipleOf``; a grammar for a general range costs a rule per digit
position and is left out. Closing writes ``1`` where a number is still missing (allowed by
every lower bound the grammar enforces; ``0`` is not under ``exclusiveMinimum: 0``), and
``minimal_json`` gives the allowed number nearest 0 (``1``, ``5`` for ``minimum: 5``).

(~430 lines, one concept: the sampler's closing depends on the schema rewriting and
sizing here, and nothing else uses either.)
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
from dataclasses import dataclass

from ..errors import ConfigError

# An array without maxItems gets this one (a user's own maxItems wins): greedy decoding
# can repeat one item until the budget runs out (measured: bench/RESULTS.md). Strings get
# no default maxLength (DEFAULT_MAX_LENGTH None): closing and the repetition guard keep
# them valid (measured the same), and a bound would cut long answers short.
DEFAULT_MAX_LENGTH: int | None = None  # characters
DEFAULT_MAX_ITEMS: int | None = 32
_SHORTHANDS = {"\\d": "0-9", "\\w": "a-zA-Z0-9_", "\\s": " \\t\\n\\r"}
_UNBOUNDED_OK = ("enum", "const", "pattern", "format", "maxLength")  # strings already bounded

# Numbers whose lower bound rules out the sign (and zero), as GBNF: (type, floor) -> rule.
# Shaped like the converter's own ``number``/``integer`` (at most 16 digits a part, then
# ``space``). A positive number is a nonzero integral part, or ``0.`` then zeros then a
# nonzero digit: ``0``, ``0.0``, ``-1`` cannot be written, ``0.05`` and ``12.30`` can.
_INT = '("0" | [1-9] [0-9]{0,15})'
_EXP = '([eE] [-+]? [0-9]{1,16})?'
_SIGNED_RULES = {
    ("number", "non-negative"): f'{_INT} ("." [0-9]{{1,16}})? {_EXP} space',
    ("number", "positive"): f'([1-9] [0-9]{{0,15}} ("." [0-9]{{1,16}})? | "0" "." "0"{{0,15}} [1-9] [0-9]{{0,15}}) '
                            f'{_EXP} space',
    ("integer", "non-negative"): f'{_INT} space',
    ("integer", "positive"): '[1-9] [0-9]{0,15} space',
}


@functools.lru_cache(maxsize=64)
def compile_grammar(key: str, vocab):
    """JSON Schema (``schema_key`` text) -> checked llama.cpp grammar.

    llama-cpp-python's Python converter mishandles four common things: regex
    shorthands (``\\d`` becomes a literal) and ``"type": [..]`` lists (string
    bounds are dropped, so a small model can loop inside a string), it lets
    raw control characters into strings, and it ignores numeric bounds (a
    positive amount could be ``0`` or ``-3``; see the module docstring for which
    bounds we add). We rewrite all four. A grammar llama.cpp
    cannot parse would crash the sampler, so it is compiled once here and refused
    with a clear error instead.
    """
    import llama_cpp
    from llama_cpp import LlamaGrammar

    schema = bound(_normalize(json.loads(key)))
    try:
        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    except (AssertionError, ValueError, KeyError, NotImplementedError, RecursionError) as e:
        raise ConfigError(f"This JSON Schema cannot be turned into a llama.cpp grammar: {e}") from None
    # JSON strings may not hold raw control characters (the converter allows them).
    grammar._grammar = grammar._grammar.replace('char ::= [^"\\\\]', 'char ::= [^"\\\\\\x7F\\x00-\\x1F]')
    grammar._grammar = _signed_numbers(grammar._grammar)  # numbers with a lower bound >= 0
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar._grammar.encode(), grammar._root.encode())
    if not sampler:
        raise ConfigError("llama.cpp rejected the grammar made from this JSON Schema; simplify the "
                          "schema (patterns, formats) or call without constrained decoding.")
    llama_cpp.llama_sampler_free(sampler)
    return grammar


def _normalize(schema):
    """Rewrite what the grammar converter gets wrong (see compile_grammar)."""
    if isinstance(schema, list):
        return [_normalize(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _normalize(v) if k not in ("enum", "const", "pattern", "required") else v
           for k, v in schema.items()}
    if isinstance(out.get("pattern"), str):
        out["pattern"] = _expand_shorthands(out["pattern"])
    types = out.get("type")
    if isinstance(types, list):
        rest = {k: v for k, v in out.items() if k != "type"}
        return {"anyOf": [_signed_placeholder({**rest, "type": t}) for t in types]}
    return _signed_placeholder(out)


# The converter has no hook for a rule of our own: a number that needs one becomes a const
# of this placeholder text, and compile_grammar swaps the placeholder's literal in the GBNF
# for our rule (_signed_numbers).
_PLACEHOLDER = "ladder-{floor}-{type}"


def _signed_placeholder(schema: dict) -> dict:
    """A number/integer schema whose lower bound rules out negatives -> the placeholder const."""
    kind = schema.get("type")
    if kind not in ("number", "integer") or "enum" in schema or "const" in schema:
        return schema
    low, above = _number_bound(schema, "minimum"), _number_bound(schema, "exclusiveMinimum")
    if (low is not None and low > 0) or (above is not None and above >= 0):
        floor = "positive"
    elif low == 0:
        floor = "non-negative"
    else:
        return schema
    return {"const": _PLACEHOLDER.format(floor=floor, type=kind)}


def _signed_numbers(gbnf: str) -> str:
    """Each placeholder literal (``"\\"ladder-positive-number\\""``) -> our rule of that name."""
    for (kind, floor), rule in _SIGNED_RULES.items():
        name = _PLACEHOLDER.format(floor=floor, type=kind)
        literal = '"\\"' + name + '\\""'
        if literal in gbnf:
            gbnf = gbnf.replace(literal, name).rstrip("\n") + f"\n{name} ::= {rule}\n"
        if name + '\\"' in gbnf:  # still quoted: the converter writes literals differently now
            raise ConfigError(f"llama-cpp-python wrote the placeholder {name!r} in an unexpected form; "
                              "update grammar._signed_numbers for this version.")
    return gbnf


def _number_bound(schema: dict, key: str) -> int | float | None:
    value = schema.get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _expand_shorthands(pattern: str) -> str:
    out, i, in_class = "", 0, False
    while i < len(pattern):
        two = pattern[i:i + 2]
        if two in _SHORTHANDS:
            out += _SHORTHANDS[two] if in_class else f"[{_SHORTHANDS[two]}]"
            i += 2
            continue
        if pattern[i] == "\\":
            out += two
            i += 2
            continue
        in_class = {"[": True, "]": False}.get(pattern[i], in_class)
        out += pattern[i]
        i += 1
    return out


def bound(schema, max_length: int | None = None, max_items: int | None = None):
    """Give every unbounded string a maxLength and every unbounded array a maxItems (None:
    the module default; 0 or None there: no bound; a ``minLength``/``minItems`` above the
    bound raises it). Applied to a ``_normalize``d schema (each ``type`` a single name)."""
    max_length = DEFAULT_MAX_LENGTH if max_length is None else max_length
    max_items = DEFAULT_MAX_ITEMS if max_items is None else max_items
    if isinstance(schema, list):
        return [bound(s, max_length, max_items) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: v if k in ("enum", "const", "required") else bound(v, max_length, max_items)
           for k, v in schema.items()}
    if out.get("type") == "string" and max_length and not any(k in out for k in _UNBOUNDED_OK):
        out["maxLength"] = max(max_length, out.get("minLength", 0))
    if out.get("type") == "array" and max_items and "maxItems" not in out:
        out["maxItems"] = max(max_items, out.get("minItems", 0))
    return out


def minimal_json(schema, defs: dict | None = None, depth: int = 0) -> str:
    """A short JSON text of the schema's shape (required keys, empty strings, first enum
    values, the allowed number nearest 0), for sizing the token reserve that closes an
    answer; approximate by design (a pattern becomes a 10-character placeholder)."""
    defs = schema.get("$defs", {}) if defs is None and isinstance(schema, dict) else (defs or {})
    if not isinstance(schema, dict) or depth > 8:
        return "null"
    if "$ref" in schema:
        return minimal_json(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs, depth + 1)
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if schema.get("enum"):
        return json.dumps(schema["enum"][0], ensure_ascii=False)
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return min((minimal_json(s, defs, depth + 1) for s in schema[key]), key=len)
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "null" in types:
        return "null"
    kind = types[0]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        items = [f"{json.dumps(k, ensure_ascii=False)}: {minimal_json(props.get(k, {}), defs, depth + 1)}"
                 for k in schema.get("required", [])]
        return "{" + ", ".join(items) + "}"
    if kind == "array":
        item = minimal_json(schema.get("items", {}), defs, depth + 1)
        return "[" + ", ".join([item] * schema.get("minItems", 0)) + "]"
    if kind == "string":
        n = 10 if "pattern" in schema or "format" in schema else schema.get("minLength", 0)
        return '"' + "x" * n + '"'
    if kind in ("integer", "number"):
        return json.dumps(_least_number(schema, kind == "integer"))
    if kind == "boolean":
        return "false"
    return "null"


def _least_number(schema: dict, integer: bool) -> int | float:
    """The number nearest 0 that the bounds allow: 0, else a bound or the whole number next
    to it (``exclusiveMinimum: 0`` -> 1, ``minimum: 5`` -> 5), else between two bounds;
    ``multipleOf`` is ignored (0 if nothing fits)."""
    low, above, high, below = (_number_bound(schema, k) for k in
                               ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"))

    def allowed(v) -> bool:
        return ((low is None or v >= low) and (above is None or v > above)
                and (high is None or v <= high) and (below is None or v < below))

    bounds = [b for b in (low, above, high, below) if b is not None]
    candidates = {0} | {f(b) + d for b in bounds for f in (math.floor, math.ceil) for d in (-1, 0, 1)}
    if not integer:
        candidates |= set(bounds) | {(a + b) / 2 for a in (low, above) for b in (high, below)
                                     if a is not None and b is not None}
    fits = sorted((v for v in candidates if allowed(v)), key=lambda v: (abs(v), v < 0))
    return fits[0] if fits else 0


class GreedyGrammar:
    """Greedy sampling under a grammar, for ``Llama.generate``.

    llama-cpp-python's sampler chain applies the grammar to every token of the
    vocabulary at every step (49k for SmolLM2, 262k for Gemma 3), which made a
    constrained token ~1.6x as slow as a free one. Here the argmax token is checked
    alone; only if the grammar rejects it is the whole vocabulary masked and the
    best allowed token taken. Either way the result is the greedy choice among the
    tokens the grammar allows, as before (tested: same text as the chain).

    Closing: once ``max_tokens - reserve`` tokens are out (``reserve`` sized from the
    schema's minimal instance, ``minimal_json``, and at most 2/3 of the budget), each step
    takes the end of generation if the JSON is complete, else the allowed token that
    closes the most (inside a string: ``"`` then ``}``/``]``; outside: runs of ``}``/``]``),
    else a minimal value (``null``, ``1``, ``""``, ``[]``...), else the model's own best
    allowed token; so a string the model would repeat forever is closed in time and the
    JSON is complete. Whether the output is inside a string is tracked from the bytes
    accepted (``_lex``). The repetition guard closes a string the same way.
    """

    def __init__(self, llm, grammar, max_tokens: int | None = None, reserve: int = 0,
                 repeat_guard: bool = True):
        import ctypes

        import llama_cpp
        import numpy as np

        self.lib, self.np, self.ctypes = llama_cpp, np, ctypes
        self.n_vocab = llm.n_vocab()
        self.smpl = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, grammar._grammar.encode(),
                                                         grammar._root.encode())
        if not self.smpl:
            raise ConfigError("llama.cpp rejected the grammar made from this JSON Schema.")
        self.one = (llama_cpp.llama_token_data * 1)()
        self.all = (llama_cpp.llama_token_data * self.n_vocab)()
        self.all_view = np.ctypeslib.as_array(self.all)  # fields id, logit, p
        self.all_view["id"] = np.arange(self.n_vocab, dtype=np.int32)
        # At most 2/3 of the budget is kept for closing: a short answer that fits stays the model's own.
        self.close_from = None if max_tokens is None else max_tokens - min(reserve, 2 * max_tokens // 3)
        self.tables = closing_tables(llm) if self.close_from is not None else None
        self.in_string = self.escaped = False
        self.repeat_guard = repeat_guard and self.tables is not None
        self.in_string_tokens: list[int] = []  # tokens since the current string opened
        self.full_passes = self.steps = self.closing_steps = self.repeats_cut = 0

    def _apply(self, data, size: int) -> None:
        arr = self.lib.llama_token_data_array(data=data, size=size, selected=-1, sorted=False)
        self.lib.llama_sampler_apply(self.smpl, self.ctypes.byref(arr))

    def sample(self, ctx, idx: int = -1) -> int:
        np = self.np
        logits = np.ctypeslib.as_array(self.lib.llama_get_logits_ith(ctx.ctx, idx), shape=(self.n_vocab,))
        if self.close_from is not None and (self.steps >= self.close_from or self._repeating()):
            token = self._closing(logits)
        else:
            token = int(np.argmax(logits))
            self.one[0].id, self.one[0].logit, self.one[0].p = token, float(logits[token]), 0.0
            self._apply(self.one, 1)
            if self.one[0].logit == float("-inf"):  # rejected: mask the whole vocabulary
                token = self._best_allowed(logits)
        self.lib.llama_sampler_accept(self.smpl, token)
        if self.tables is not None:
            self._lex(token)
        self.steps += 1
        return token

    def _best_allowed(self, logits) -> int:
        self.full_passes += 1
        self.all_view["logit"] = logits
        self._apply(self.all, self.n_vocab)
        return int(self.np.argmax(self.all_view["logit"]))

    def _closing(self, logits) -> int:
        """The end of generation once the JSON is complete; else the best closer allowed;
        else the model's own best allowed token (so an enum choice, a key or a number is
        still the model's); likeliest among equals."""
        np = self.np
        self.closing_steps += 1
        best = self._best_allowed(logits)
        masked = self.all_view["logit"]
        allowed = masked != -np.inf
        t = self.tables
        if allowed[t.eog].any():
            return int(t.eog[np.argmax(np.where(allowed[t.eog], masked[t.eog], -np.inf))])
        ranked = np.where(allowed, t.in_string if self.in_string else t.outside, 0)
        top = ranked.max()
        if top <= 0:
            return best
        return int(np.argmax(np.where(ranked == top, masked, -np.inf)))

    def _repeating(self) -> bool:
        """Inside a string, the same block of 2-24 tokens three times running: a greedy
        loop that would only end at the bound, so the string is closed now."""
        seq = self.in_string_tokens
        if not (self.repeat_guard and self.in_string) or len(seq) < 6:
            return False
        for p in range(2, min(24, len(seq) // 3) + 1):
            # len(set) > 1: a run of one token ("aaaa", "----") may be meant
            if seq[-p:] == seq[-2 * p:-p] == seq[-3 * p:-2 * p] and len(set(seq[-p:])) > 1:
                self.repeats_cut += 1
                return True
        return False

    def _lex(self, token: int) -> None:
        """Track whether the output is inside a JSON string (bytes: '"' and '\\' are ASCII)."""
        was = self.in_string
        for byte in self.tables.pieces[token]:
            if self.escaped:
                self.escaped = False
            elif self.in_string and byte == 92:  # backslash
                self.escaped = True
            elif byte == 34:  # quote
                self.in_string = not self.in_string
        if self.in_string and was:
            self.in_string_tokens.append(token)
        else:
            self.in_string_tokens = []

    def close(self) -> None:
        if self.smpl:
            self.lib.llama_sampler_free(self.smpl)
            self.smpl = None


@dataclass
class ClosingTables:
    """Per token of a vocabulary: its bytes, and how well it closes the JSON."""

    pieces: list[bytes]
    in_string: object  # np.ndarray: 1 + closers for '"' then only '}'/']'/spaces, else 0
    outside: object  # np.ndarray: the number of '}'/']' for a run of them; 0.5 (+ closers) for a minimal value
    eog: object  # np.ndarray of end-of-generation token ids


_TABLES: dict[int, tuple] = {}  # id(llm._model) -> (that model, kept so the id stays its own; ClosingTables)
# "1", not "0": under exclusiveMinimum 0 a "0" is only the start of "0.5", and closing would
# then write "0.000..." until the budget ran out.
_MINIMAL = ('""', "null", "1", "[]", "{}", "false")


def closing_tables(llm) -> ClosingTables:
    import llama_cpp
    import numpy as np

    key = id(llm._model)
    if key not in _TABLES or _TABLES[key][0] is not llm._model:
        n = llm.n_vocab()
        pieces = [llm.detokenize([tok]) for tok in range(n)]
        in_string, outside = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
        eog = np.array([t for t in range(n) if llama_cpp.llama_vocab_is_eog(llm._model.vocab, t)], dtype=np.int64)
        for tok, piece in enumerate(pieces):
            text = piece.decode("utf-8", errors="replace").strip()
            closers = text.count("}") + text.count("]")
            if text.startswith('"') and set(text[1:]) <= set("}] "):
                in_string[tok] = 1 + closers
            if text and set(text) <= set("}] "):
                outside[tok] = closers
            elif text.rstrip("}] ") in _MINIMAL:
                outside[tok] = 0.5 + closers
        _TABLES[key] = (llm._model, ClosingTables(pieces, in_string, outside, eog))
    return _TABLES[key][1]


@contextlib.contextmanager
def greedy_sampler(llm, sampler):
    """Make ``llm.generate`` sample with ``sampler`` (an object with ``sample(ctx, idx)``).

    ``Llama.generate`` builds its sampler chain with ``self._init_sampler(...)`` and calls
    ``self._sampler.sample(self._ctx, idx)`` per token; an instance attribute shadows the
    method for the duration. Callers hold the model's lock. A test reads llama-cpp-python's
    source and fails if either call changes.
    """
    llm._init_sampler = lambda **_: sampler
    try:
        yield sampler
    finally:
        del llm._init_sampler
        llm._sampler = None
        sampler.close()
