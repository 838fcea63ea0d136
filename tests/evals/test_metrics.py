from pathlib import Path

import pytest

from ladder.errors import ConfigError
from ladder.evals import bootstrap_ci, percentile
from ladder.evals.fields import Comparator
from ladder.evals.metrics import MetricContext, Score, build_metric, register_metric

EXPENSE = {"type": "object", "properties": {
    "amount": {"type": "number"}, "currency": {"type": "string"},
    "merchant": {"type": ["string", "null"]}, "tags": {"type": "array", "items": {"type": "string"}}}}


def metric(raw, schema=EXPENSE, where="tasks/t/task.yaml"):
    return build_metric(raw, MetricContext(schema, Path("."), where))


# -- comparators ------------------------------------------------------------------------

def test_exact_is_json_equality():
    c = Comparator("exact")
    assert c(1, 1.0) and c({"a": [1, "x"]}, {"a": [1.0, "x"]}) and c(None, None)
    assert not c(True, 1) and not c("1", 1) and not c("Starbucks", "starbucks") and not c([1, 2], [2, 1])


def test_casefold_ignores_case_width_and_spaces_and_null_equals_null():
    c = Comparator("casefold")
    assert c("Starbucks", " starbucks ") and c("ＩＫＥＡ", "ikea") and c("New York", "newyork")
    assert c(None, None) and not c(None, "x") and not c("x", None) and not c("Starbucks", "Starbuck")


def test_number_within_tolerance():
    assert Comparator("number")(180, 180.0) and not Comparator("number")(180, 180.01)
    assert Comparator("number", 0.01)(12.5, 12.505) and not Comparator("number", 0.01)(12.5, 12.52)
    assert Comparator("number")(None, None) and not Comparator("number")(None, 0)
    assert not Comparator("number")(True, 1)  # a boolean is not a number


def test_set_ignores_order_and_repeats():
    c = Comparator("set")
    assert c(["a", "b"], ["b", "a", "a"]) and c([1, 2], [2.0, 1])
    assert not c(["a", "b"], ["a"]) and not c(["a"], ["A"]) and c(None, None)


def test_contains_is_casefolded_substring():
    c = Comparator("contains")
    assert c("tokyo", "The capital is TOKYO.") and c("東京", "首都は東京です")
    assert not c("Kyoto", "Tokyo") and c(None, None) and not c("x", None)


def test_regex_must_match_the_whole_output():
    c = Comparator("regex")
    assert c(r"\d{4}-\d{2}-\d{2}", "2024-05-01") and not c(r"\d{4}", "2024-05-01")
    assert c(r"(?i)tokyo", "TOKYO") and not c(r"tokyo", "TOKYO")
    assert not c("(unclosed", "(unclosed")  # a bad pattern in the data never matches


# -- every output type ------------------------------------------------------------------

def test_object_scores_every_field_and_passes_only_when_all_do():
    m = metric({"fields": {"merchant": "casefold", "amount": "number", "tags": "set"}})
    expected = {"amount": 180, "currency": "TWD", "merchant": "Starbucks", "tags": ["a", "b"]}
    s = m({}, expected, {"amount": 180.0, "currency": "TWD", "merchant": "starbucks", "tags": ["b", "a"]})
    assert (s.value, s.reason) == (1.0, "all 4 fields match") and set(s.fields.values()) == {1.0}
    s = m({}, expected, {**expected, "currency": "JPY"})
    assert s.value == 0.0 and s.fields["currency"] == 0.0 and s.fields["amount"] == 1.0
    assert 'currency: expected "TWD", got "JPY"' in s.reason


def test_mean_aggregate_averages_fields():
    m = metric({"aggregate": "mean"})
    s = m({}, {"amount": 1, "currency": "A", "merchant": None, "tags": []},
          {"amount": 2, "currency": "A", "merchant": None, "tags": []})
    assert s.value == 0.75


NESTED = {"type": "object", "properties": {
    "name": {"type": "string"},
    "address": {"type": ["object", "null"], "properties": {"city": {"type": "string"}, "zip": {"type": "string"}}}}}


def test_nested_objects_are_scored_per_leaf_path():
    m = metric({"fields": {"address.city": "casefold"}}, NESTED)
    e = {"name": "Ann", "address": {"city": "Tokyo", "zip": "100"}}
    s = m({}, e, {"name": "Ann", "address": {"city": "TOKYO", "zip": "101"}})
    assert s.fields == {"name": 1.0, "address.city": 1.0, "address.zip": 0.0} and s.value == 0.0
    assert m({}, {"name": "Ann", "address": None}, {"name": "Ann", "address": None}).value == 1.0
    # a path prefix names every leaf below it
    assert metric({"fields": {"address": "casefold"}}, NESTED).comparators["address.zip"].name == "casefold"


def test_refs_and_optional_objects_are_followed():
    schema = {"type": "object", "$defs": {"P": {"type": "object", "properties": {"x": {"type": "number"}}}},
              "properties": {"p": {"anyOf": [{"$ref": "#/$defs/P"}, {"type": "null"}]}}}
    m = metric({"compare": "number"}, schema)
    assert list(m.comparators) == ["p.x"] and m.comparators["p.x"].name == "number"


def test_string_enum_is_a_whole_value_and_a_wrong_label_scores_zero():
    # the old bug: a schema with no object fields compared zero fields and reported 100%
    m = metric(None, {"type": "string", "enum": ["positive", "negative", "neutral"]})
    assert m({}, "positive", "negative") == Score(0.0, {}, 'expected "positive", got "negative"')
    assert m({}, "positive", "positive").value == 1.0
    assert m({}, "positive", None) == Score(0.0, {}, "no valid output")


def test_free_string_whole_value_with_a_default_comparator():
    m = metric({"compare": "casefold"}, {"type": "string"})
    assert m({}, "Tokyo", " tokyo").value == 1.0 and m({}, "Tokyo", "Kyoto").value == 0.0
    assert metric(None, {"type": "string"})({}, "Tokyo", "tokyo").value == 0.0


def test_number_and_integer_whole_values():
    assert metric({"compare": {"type": "number", "tolerance": 0.5}}, {"type": "number"})({}, 3, 3.4).value == 1.0
    assert metric(None, {"type": "number"})({}, 3, 3.4).value == 0.0
    m = metric(None, {"type": "integer"})
    assert m({}, 3, 3.0).value == 1.0 and m({}, 3, 4).value == 0.0


def test_boolean_whole_value():
    m = metric(None, {"type": "boolean"})
    assert m({}, True, True).value == 1.0 and m({}, True, False).value == 0.0 and m({}, False, 0).value == 0.0


def test_array_whole_value_ordered_or_as_a_set():
    schema = {"type": "array", "items": {"type": "string"}}
    assert metric(None, schema)({}, ["a", "b"], ["b", "a"]).value == 0.0
    assert metric({"compare": "set"}, schema)({}, ["a", "b"], ["b", "a"]).value == 1.0
    assert metric({"compare": "set"}, schema)({}, ["a", "b"], ["a"]).value == 0.0


def test_object_without_properties_is_one_whole_value():
    m = metric(None, {"type": "object"})
    assert m({}, {"a": 1}, {"a": 1.0}).value == 1.0 and m({}, {"a": 1}, {"a": 2}).value == 0.0


def test_default_comparator_applies_only_where_it_suits():
    m = metric({"compare": "casefold"})
    assert {p: c.name for p, c in m.comparators.items()} == {
        "amount": "exact", "currency": "casefold", "merchant": "casefold", "tags": "exact"}


def test_invalid_output_scores_zero_on_every_field():
    s = metric(None)({}, {"amount": 1, "currency": "A", "merchant": None, "tags": []}, None)
    assert s == Score(0.0, {"amount": 0.0, "currency": 0.0, "merchant": 0.0, "tags": 0.0}, "no valid output")


# -- malformed specs: a ConfigError naming the task file and the key ---------------------

@pytest.mark.parametrize("raw, schema, key", [
    ({"fields": {"merchantt": "casefold"}}, EXPENSE, "metric.fields.merchantt"),
    ({"fields": {"merchant": "fuzzy"}}, EXPENSE, "metric.fields.merchant"),
    ({"fields": {"merchant": 3}}, EXPENSE, "metric.fields.merchant"),
    ({"fields": {"amount": "set"}}, EXPENSE, "metric.fields.amount"),
    ({"fields": {"amount": {"type": "number", "tol": 1}}}, EXPENSE, "metric.fields.amount"),
    ({"fields": {"merchant": {"type": "casefold", "tolerance": 1}}}, EXPENSE, "metric.fields.merchant"),
    ({"fields": {"amount": {"type": "number", "tolerance": -1}}}, EXPENSE, "metric.fields.amount"),
    ({"compare": "fuzzy"}, EXPENSE, "metric.compare"),
    ({"fields": {"x": "exact"}}, {"type": "string"}, "metric.fields"),
    ({"aggregate": "some"}, EXPENSE, "metric.aggregate"),
    ({"feilds": {}}, EXPENSE, "metric.feilds"),
    ({"type": "fieldz"}, EXPENSE, "metric.type"),
    ({"type": "text"}, EXPENSE, "metric.field"),
    ({"type": "text", "field": "amount"}, EXPENSE, "metric.field"),
    ({"type": "text", "field": "nope"}, EXPENSE, "metric.field"),
    ({"type": "text", "field": "x"}, {"type": "string"}, "metric.field"),
    ({"type": "text", "measure": "bleu"}, {"type": "string"}, "metric.measure"),
    ({"type": "text"}, {"type": "number"}, "metric.type"),
    ({"type": "judge", "scale": 7.5}, {"type": "string"}, "metric.scale"),
    ({"type": "judge", "scale": 1}, {"type": "string"}, "metric.scale"),
    ({"type": "judge", "labelled": "missing.jsonl"}, {"type": "string"}, "metric.labelled"),
    ({"type": "judge", "field": "nope"}, EXPENSE, "metric.field"),
    ({"type": "judge", "rubrik": "x"}, {"type": "string"}, "metric.rubrik"),
])
def test_malformed_metric_specs_name_the_file_and_key(raw, schema, key):
    with pytest.raises(ConfigError) as e:
        metric(raw, schema)
    assert "tasks/t/task.yaml" in str(e.value) and key in str(e.value), str(e.value)


def test_a_metric_that_is_not_a_mapping_is_refused():
    with pytest.raises(ConfigError, match=r"task.yaml: metric must be a mapping"):
        metric(["fields"])


def test_unknown_type_lists_the_known_ones_and_suggests():
    with pytest.raises(ConfigError, match=r"Did you mean 'judge'\?.*Known: .*fields.*judge.*text"):
        metric({"type": "jduge"})


def test_a_registered_metric_type_is_built_from_its_spec(monkeypatch):
    from typing import Literal

    from ladder.evals import metrics as registry

    from pydantic import BaseModel, ConfigDict

    class LengthSpec(BaseModel):
        model_config = ConfigDict(extra="forbid")
        type: Literal["length"] = "length"
        max: int

    class Length:
        type = "length"

        def __init__(self, spec, context):
            self.max = spec.max

        def __call__(self, input, expected, output):
            return Score(float(len(output) <= self.max), {}, f"{len(output)} chars")

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # leave no "length" behind
    register_metric("length", LengthSpec, Length)
    m = metric({"type": "length", "max": 3}, {"type": "string"})
    assert m({}, None, "abcd").value == 0.0 and m({}, None, "abc").value == 1.0
    with pytest.raises(ConfigError, match="metric.max"):
        metric({"type": "length"}, {"type": "string"})


# -- run statistics ------------------------------------------------------

def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    values = [1.0] * 30 + [0.0] * 70
    lo, hi = bootstrap_ci(values, seed=3)
    assert (lo, hi) == bootstrap_ci(values, seed=3)
    assert lo < 0.3 < hi and 0.15 < lo and hi < 0.45
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)


def test_percentile():
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([5], 95) == 5


def test_a_task_file_with_a_bad_metric_names_the_file_and_key(tmp_path):
    from ladder.tasks import load_task

    (tmp_path / "task.yaml").write_text(
        "name: t\ninstructions: x\ninputs: [text]\noutput_schema: {type: object, properties: {a: {type: string}}}\n"
        "metric: {fields: {a: casefolded}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_task(tmp_path / "task.yaml")
    assert str(tmp_path / "task.yaml") in str(e.value) and "metric.fields.a" in str(e.value)
    assert "Did you mean 'casefold'?" in str(e.value)
