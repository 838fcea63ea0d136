"""The reported quality is the truth: with a model that is right on exactly k of n
items (and wrong, or invalid, on the rest), ``evaluate`` reports k/n, a CI that
brackets it, and the valid rate — for every output type a task can declare."""

import json
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ladder import ScriptedModel
from ladder.evals import RunStore, evaluate
from ladder.rungs import build_rung
from ladder.tasks import load_task

N = 8  # items in each task's test split; a run uses the first n

# output type -> (schema, metric, expected(i), a wrong but schema-valid answer(i))
TYPES = {
    "object": (
        {"type": "object", "properties": {
            "label": {"type": "string", "enum": ["a", "b"]}, "amount": {"type": "number"},
            "place": {"type": "object", "properties": {"city": {"type": ["string", "null"]}},
                      "required": ["city"]}},
         "required": ["label", "amount", "place"]},
        {"fields": {"place.city": "casefold", "amount": "number"}},
        lambda i: {"label": "ab"[i % 2], "amount": i + 0.5, "place": {"city": f"City{i}"}},
        lambda i: {"label": "ab"[i % 2], "amount": i + 0.5, "place": {"city": f"Town{i}"}},  # one nested leaf off
    ),
    "string-enum": (
        {"type": "string", "enum": ["positive", "negative", "neutral"]}, None,
        lambda i: ["positive", "negative", "neutral"][i % 3],
        lambda i: ["negative", "neutral", "positive"][i % 3],
    ),
    "free-string": (
        {"type": "string", "maxLength": 40}, {"compare": "casefold"},
        lambda i: f"Answer {i}", lambda i: f"answer {i + 1}",
    ),
    "free-string-text": (
        {"type": "string", "maxLength": 40}, {"type": "text", "measure": "exact"},
        lambda i: [f"answer {i}", f"reply {i}"], lambda i: f"answer {i + 1}",
    ),
    "number": (
        {"type": "number"}, {"compare": {"type": "number", "tolerance": 0.01}},
        lambda i: i * 1.5, lambda i: i * 1.5 + 1,
    ),
    "integer": ({"type": "integer"}, None, lambda i: i, lambda i: i + 1),
    "boolean": ({"type": "boolean"}, None, lambda i: i % 2 == 0, lambda i: i % 2 == 1),
    "array": (
        {"type": "array", "items": {"type": "string"}}, {"compare": "set"},
        lambda i: [f"t{i}", "x"], lambda i: [f"t{i}"],
    ),
}


def right_answer(kind: str, i: int):
    expected = TYPES[kind][2](i)
    return expected[-1] if kind == "free-string-text" else expected  # one of the references


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    out = {}
    for kind, (schema, metric, expected, _) in TYPES.items():
        root = tmp_path_factory.mktemp(kind)
        spec = {"name": f"prop-{kind}", "instructions": "Answer the question.", "inputs": ["text"],
                "output_schema": schema, "data": {"test": "test.jsonl"}}
        if metric is not None:
            spec["metric"] = metric
        (root / "task.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        lines = [json.dumps({"input": {"text": f"question number {i}"}, "expected": expected(i)}) for i in range(N)]
        (root / "test.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        out[kind] = load_task(root / "task.yaml")
    return out, tmp_path_factory.mktemp("runs") / "runs.db"


def scripted(kind: str, right: set[int], invalid: set[int]) -> ScriptedModel:
    wrong = TYPES[kind][3]

    def reply(messages):
        i = int(re.search(r"question number (\d+)", messages[-1].content).group(1))
        if i in invalid:
            return "I am not sure."  # not JSON: no valid output
        return json.dumps(right_answer(kind, i) if i in right else wrong(i))

    return ScriptedModel(reply)


@st.composite
def outcomes(draw):
    n = draw(st.integers(1, N))
    right = draw(st.sets(st.integers(0, n - 1)))
    invalid = draw(st.sets(st.sampled_from(sorted(set(range(n)) - right)))) if len(right) < n else set()
    return n, right, invalid


@pytest.mark.parametrize("kind", list(TYPES))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=outcomes())
def test_quality_is_k_of_n_for_every_output_type(tasks, kind, case):
    by_kind, db = tasks
    task, (n, right, invalid) = by_kind[kind], case
    result = evaluate(task, build_rung("zero-shot"), scripted(kind, right, invalid), task.split("test")[:n],
                      progress=False, store=RunStore(db))
    s, k = result.summary, len(right)
    assert s["n"] == n and s["quality"] == pytest.approx(k / n)
    lo, hi = s["quality_ci"]
    assert lo <= k / n <= hi
    assert s["valid_rate"] == pytest.approx((n - len(invalid)) / n)
    # the number is the one recomputed from the stored records
    recs = RunStore(db).records(result.run_id)
    assert sum(r["score"]["value"] for r in recs) / n == pytest.approx(s["quality"])
    assert {r["idx"] for r in recs if r["score"]["exact"]} == right
    assert all(r["score"]["reason"] for r in recs)
