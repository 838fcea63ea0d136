"""The ``fields`` metric (the default type): compare an output with its expected value,
driven by the output JSON Schema.

An object schema is scored per leaf field ("a.b" for nested objects); the value is
1.0 only when every field passes (``aggregate: mean`` averages them instead). Any
other schema — a string (enum or free), number, integer, boolean, array, or an
object without properties — is compared as one whole value, so a schema with no
fields can never score "all of zero fields right".

    metric: {fields: {merchant: casefold, amount: {type: number, tolerance: 0.01}}}
    metric: {compare: casefold}                 # one comparator for every field / the value
    metric: {compare: set, aggregate: mean}

Comparators (a name, or a mapping such as ``{type: number, tolerance: 0.01}``):

    exact     JSON-equal (1 == 1.0, true != 1); the default
    casefold  NFKC, case-, width- and space-insensitive text; null equals null
    number    |expected - output| <= tolerance (default 1e-6); null equals null
    set       arrays as sets: order and repeats ignored
    contains  the output string contains the expected one (both casefolded)
    regex     the expected string is a Python regular expression that the whole output
              must match (re.fullmatch; start it with (?i) for case-insensitive)

``compare:`` applies to the leaves whose type suits it (number to numbers, set to
arrays, text comparators to strings); the rest compare exactly. A comparator named
under ``fields:`` (a leaf path, or a path prefix for all the leaves below it) must
suit its field. An unknown comparator, a path not in the schema or an unsuitable
comparator is a ConfigError naming the task file and the key.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .metrics import MetricContext, Score, register_metric

# -- comparators: (expected, output) -> bool -------------------------------------------

def norm_text(v: Any) -> Any:
    """NFKC, casefolded, without whitespace (None stays None)."""
    if v is None:
        return None
    return "".join(unicodedata.normalize("NFKC", str(v)).casefold().split())


def json_equal(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1 == 1.0, but true != 1 and "1" != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(json_equal, a, b))
    return type(a) is type(b) and a == b


def _canon(v: Any) -> str:  # one string per JSON value, 1.0 and 1 alike (set members)
    def fix(x):
        if isinstance(x, float) and x.is_integer():
            return int(x)
        if isinstance(x, dict):
            return {k: fix(y) for k, y in x.items()}
        return [fix(y) for y in x] if isinstance(x, list) else x
    return json.dumps(fix(v), sort_keys=True, ensure_ascii=False)


def number(e: Any, o: Any, tolerance: float = 1e-6) -> bool:
    if e is None or o is None:
        return e is None and o is None
    if isinstance(e, bool) or isinstance(o, bool):
        return e is o
    try:
        return abs(float(e) - float(o)) <= tolerance
    except (TypeError, ValueError):
        return False


def casefold(e: Any, o: Any) -> bool:
    return norm_text(e) == norm_text(o)


def set_equal(e: Any, o: Any) -> bool:
    if isinstance(e, list) and isinstance(o, list):
        return {_canon(x) for x in e} == {_canon(x) for x in o}
    return json_equal(e, o)


def contains(e: Any, o: Any) -> bool:
    if e is None or o is None:
        return e is None and o is None
    return norm_text(e) in norm_text(o)


def regex(e: Any, o: Any) -> bool:
    if e is None or o is None:
        return e is None and o is None
    try:
        return re.fullmatch(str(e), str(o)) is not None
    except re.error:  # a bad pattern in the dataset matches nothing
        return False


# name -> (expected, output) -> bool, and the JSON types each is for (None: any type)
COMPARATORS = {"exact": json_equal, "casefold": casefold, "number": number, "set": set_equal,
               "contains": contains, "regex": regex}
SUITS = {"exact": None, "casefold": {"string"}, "number": {"number", "integer"}, "set": {"array"},
         "contains": {"string"}, "regex": {"string"}}


class ComparatorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str  # a name in COMPARATORS (checked first, for a clearer message)
    tolerance: float | None = None  # number only


@dataclass
class Comparator:
    name: str
    tolerance: float = 1e-6  # number only

    def __call__(self, expected: Any, output: Any) -> bool:
        if self.name == "number":
            return number(expected, output, self.tolerance)
        return COMPARATORS[self.name](expected, output)


def parse_comparator(raw: Any, key: str, context: MetricContext) -> Comparator:
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict):
        raise context.error(key, f"a comparator is a name ({', '.join(SUITS)}) or a mapping such as "
                            f"{{type: number, tolerance: 0.01}}, not {raw!r}.")
    if raw.get("type") not in SUITS:
        close = difflib.get_close_matches(str(raw.get("type")), list(SUITS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise context.error(key, f"unknown comparator {raw.get('type')!r}.{hint} Known: {', '.join(SUITS)}.")
    try:
        spec = ComparatorSpec(**raw)
    except ValidationError as e:
        raise context.error(key, "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())) from None
    if spec.tolerance is not None and spec.type != "number":
        raise context.error(key, f"tolerance is for the number comparator, not {spec.type!r}.")
    if spec.tolerance is not None and spec.tolerance < 0:
        raise context.error(key, "tolerance must be >= 0.")
    return Comparator(spec.type, 1e-6 if spec.tolerance is None else spec.tolerance)


# -- the output schema as leaves ---------------------------------------------------------

def _resolve(schema: dict, root: dict) -> dict:
    """Follow local $refs; of an anyOf/oneOf, the branch with properties (Optional[Model])."""
    for _ in range(32):
        ref = schema.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/")):
            break
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    for key in ("anyOf", "oneOf"):
        objects = [b for b in (_resolve(x, root) for x in schema.get(key, [])) if b.get("properties")]
        if objects:
            return objects[0]
    return schema


def json_types(schema: dict, root: dict | None = None) -> set[str]:
    """The JSON types a schema allows (empty: not said)."""
    s = _resolve(schema, root or schema)
    t = s.get("type")
    types = set(t) if isinstance(t, list) else {t} if t else set()
    for key in ("anyOf", "oneOf"):
        for branch in s.get(key, []):
            types |= json_types(branch, root or schema)
    values = s.get("enum", []) + ([s["const"]] if "const" in s else [])
    if not types and values:
        names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
                 dict: "object", type(None): "null"}
        types = {names[type(v)] for v in values}
    return types | ({"number"} if "integer" in types else set())


def leaves(schema: dict, root: dict | None = None, prefix: str = "") -> dict[str, dict]:
    """{"a.b": leaf schema} for an object schema with properties; {"": schema} otherwise."""
    root = root or schema
    s = _resolve(schema, root)
    props = s.get("properties")
    if not isinstance(props, dict) or not props:
        return {prefix: s}
    out: dict[str, dict] = {}
    for name, sub in props.items():
        out.update(leaves(sub, root, f"{prefix}.{name}" if prefix else name))
    return out


def get_path(value: Any, path: str) -> Any:
    for part in path.split(".") if path else []:
        value = value.get(part) if isinstance(value, dict) else None
    return value


# -- the metric --------------------------------------------------------------------------

class FieldsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["fields"] = "fields"
    compare: str | dict = "exact"  # the default comparator, for every field or the whole value
    fields: dict[str, str | dict] = {}  # path (or path prefix) -> comparator
    aggregate: Literal["all", "mean"] = "all"  # object value: every field right, or the mean


def _show(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 40 else s[:39] + "…"


@dataclass
class FieldsMetric:
    comparators: dict[str, Comparator]  # leaf path ("" for a whole value) -> comparator
    aggregate: str = "all"
    type: str = "fields"

    def __call__(self, input: dict, expected: Any, output: Any) -> Score:
        if output is None:
            return Score(0.0, {p: 0.0 for p in self.comparators if p}, "no valid output")
        per = {p: float(c(get_path(expected, p), get_path(output, p))) for p, c in self.comparators.items()}
        wrong = [p for p, v in per.items() if not v]
        if list(per) == [""]:  # a whole value
            reason = "matches" if not wrong else f"expected {_show(expected)}, got {_show(output)}"
            return Score(per[""], {}, reason)
        value = sum(per.values()) / len(per) if self.aggregate == "mean" else float(not wrong)
        shown = "; ".join(f"{p}: expected {_show(get_path(expected, p))}, got {_show(get_path(output, p))}"
                          for p in wrong[:3])
        reason = (f"all {len(per)} fields match" if not wrong else
                  f"{len(wrong)}/{len(per)} fields wrong: {shown}" + ("; …" if len(wrong) > 3 else ""))
        return Score(value, per, reason)


def fields_metric(spec: FieldsSpec, context: MetricContext) -> FieldsMetric:
    paths = leaves(context.schema)
    types = {p: json_types(s, context.schema) for p, s in paths.items()}
    default = parse_comparator(spec.compare, "compare", context)
    chosen = {p: default if _suits(default.name, t) else Comparator("exact") for p, t in types.items()}
    if spec.fields and list(paths) == [""]:
        raise context.error("fields", "the output schema is not an object with properties, so it has "
                            "no fields: use metric.compare for the whole value.")
    for key, raw in spec.fields.items():
        comparator = parse_comparator(raw, f"fields.{key}", context)
        under = [p for p in paths if p == key or p.startswith(key + ".")]
        if not under:
            close = difflib.get_close_matches(key, list(paths), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise context.error(f"fields.{key}", f"no such field in the output schema.{hint} "
                                f"Fields: {', '.join(paths)}.")
        fit = [p for p in under if _suits(comparator.name, types[p])]
        if not fit:
            raise context.error(f"fields.{key}", f"comparator {comparator.name!r} compares "
                                f"{'/'.join(sorted(SUITS[comparator.name]))} values, but {key} is "
                                f"{'/'.join(sorted(types[under[0]])) or 'untyped'}.")
        chosen.update({p: comparator for p in fit})
    return FieldsMetric(chosen, spec.aggregate)


def _suits(name: str, types: set[str]) -> bool:
    return SUITS[name] is None or not types or bool(SUITS[name] & types)


register_metric("fields", FieldsSpec, fields_metric)
