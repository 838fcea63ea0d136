"""`ladder init`'s library half: examples file -> task folder that load_task accepts."""

from __future__ import annotations

import csv
import json

import pytest

from ladder.errors import ConfigError, DatasetError
from ladder.scaffold import read_rows, scaffold
from ladder.tasks import load_task

LABELS = {"positive": ["great film", "loved it", "a joy", "superb acting", "best this year", "wonderful"],
          "negative": ["boring", "awful plot", "waste of time", "fell asleep", "bad acting", "dreadful"],
          "neutral": ["it was ok", "average", "so-so", "fine I guess", "mixed feelings", "watchable"]}


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def reviews(tmp_path):
    rows = [[f"{text} #{i}", label] for label, texts in LABELS.items() for i, text in enumerate(texts * 2)]
    return write_csv(tmp_path / "reviews.csv", ["text", "sentiment"], rows)


@pytest.fixture
def qa(tmp_path):
    return write_jsonl(tmp_path / "qa.jsonl", [
        {"question": f"How many legs does animal {i} have?", "answer": f"Animal {i} has {2 + i % 3} legs and a tail"}
        for i in range(20)])


def lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def inputs_of(root, split):
    return [json.dumps(r["input"], sort_keys=True) for r in lines(root / f"{split}.jsonl")]


def test_csv_string_enum_classifier(reviews, tmp_path):
    made = scaffold(reviews, tmp_path / "reviews-task")
    task = load_task(made.task_file)
    assert task.schema["type"] == "string"
    assert task.schema["enum"] == ["negative", "neutral", "positive"]
    assert made.draft.metric == {"type": "fields", "compare": "casefold"}
    assert task.input_fields == ["text"]
    assert task.split("test")[0].expected in LABELS  # a plain string, not {"sentiment": ...}
    assert made.counts == {"train": 26, "dev": 5, "test": 5}
    # Every row lands in exactly one split, and the labels are spread over them.
    splits = {s: inputs_of(made.root, s) for s in ("train", "dev", "test")}
    everything = [x for xs in splits.values() for x in xs]
    assert len(everything) == len(set(everything)) == 36
    for split in ("train", "test"):
        assert {r["expected"] for r in lines(made.root / f"{split}.jsonl")} == set(LABELS), split
    # casefold scoring: right regardless of case, wrong label scores 0.
    assert task.metric({"text": "x"}, "positive", "Positive").value == 1.0
    assert task.metric({"text": "x"}, "positive", "negative").value == 0.0


def test_splits_are_seeded(reviews, tmp_path):
    a, b = scaffold(reviews, tmp_path / "a", seed=3), scaffold(reviews, tmp_path / "b", seed=3)
    c = scaffold(reviews, tmp_path / "c", seed=4)
    for split in ("train", "dev", "test"):
        assert (a.root / f"{split}.jsonl").read_text() == (b.root / f"{split}.jsonl").read_text()
    assert inputs_of(a.root, "test") != inputs_of(c.root, "test")


def test_jsonl_free_text_answer_gets_the_text_metric(qa, tmp_path):
    made = scaffold(qa, tmp_path / "qa")
    task = load_task(made.task_file)
    assert {k: v for k, v in task.schema.items() if k != "$schema"} == {"type": "string"}
    assert made.draft.outputs == ["answer"] and task.input_fields == ["question"]
    assert made.draft.metric == {"type": "text", "measure": "token-f1"}
    ref = "Animal 1 has 3 legs and a tail"
    assert task.metric({}, ref, ref).value == 1.0
    assert 0.0 < task.metric({}, ref, "Animal 1 has 4 legs").value < 1.0


def test_multi_field_object_with_chosen_columns(tmp_path):
    rows = []
    for i in range(12):
        rows.append([f"Order {i}: {i + 1} items", f"0{i}123", "refund" if i % 2 else "shipping",
                     f"{i * 1.5:.1f}", "" if i % 3 == 0 else f"ORD-{i}", "ignored"])
    src = write_csv(tmp_path / "tickets.csv", ["body", "zip", "queue", "amount", "order_id", "note"], rows)
    made = scaffold(src, tmp_path / "tickets", inputs=["body", "zip"], outputs=["queue", "amount", "order_id"])
    task = load_task(made.task_file)
    props = task.schema["properties"]
    assert task.schema["type"] == "object" and task.schema["required"] == ["queue", "amount", "order_id"]
    assert props["queue"] == {"type": "string", "enum": ["refund", "shipping"]}
    assert props["amount"] == {"type": "number"}
    assert props["order_id"] == {"type": ["string", "null"]}  # missing in some rows: nullable
    assert made.draft.metric == {"type": "fields", "fields": {"queue": "casefold", "amount": "number",
                                                              "order_id": "casefold"}}
    ex = task.split("train")[0]
    assert set(ex.input) == {"body", "zip"} and isinstance(ex.input["zip"], str)  # "0123" stays a string
    assert isinstance(ex.expected["amount"], float)
    assert any(e.expected["order_id"] is None for s in ("train", "dev", "test") for e in task.split(s))
    good = dict(ex.expected)
    assert task.metric(ex.input, ex.expected, good).value == 1.0
    assert task.metric(ex.input, ex.expected, {**good, "amount": good["amount"] + 1}).value < 1.0


def test_task_format_jsonl_keeps_its_shape(tmp_path):
    src = write_jsonl(tmp_path / "lines.jsonl", [
        {"input": {"text": f"item {i}"}, "expected": {"kind": "a" if i % 2 else "b", "n": i}} for i in range(10)])
    made = scaffold(src, tmp_path / "t")
    task = load_task(made.task_file)
    assert task.input_fields == ["text"]
    assert set(task.schema["properties"]) == {"kind", "n"}
    assert lines(made.root / "train.jsonl")[0].keys() == {"input", "expected"}


def test_scaffolded_task_scores_a_scripted_model_exactly(reviews, tmp_path):
    # The numbers a new user sees first: a model right on k of n test items scores k/n.
    from ladder.evals.runner import evaluate
    from ladder.models import ScriptedModel
    from ladder.rungs import build_rung

    task = load_task(scaffold(reviews, tmp_path / "r").task_file)
    test = task.split("test")
    right = {e.input["text"]: e.expected for e in test[:3]}  # wrong ("neutral" swapped) on the rest

    def reply(messages):
        text = messages[-1].content
        hit = next((t for t in right if t in text), None)
        if hit:
            return json.dumps(right[hit])
        truth = next(e.expected for e in test if e.input["text"] in text)
        return json.dumps("neutral" if truth != "neutral" else "positive")

    result = evaluate(task, build_rung("zero-shot"), ScriptedModel(reply), test, progress=False)
    assert result.summary["quality"] == pytest.approx(3 / len(test))


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("text,label\na,x\nb,y\n", "at least 5"),
])
def test_too_little_data_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "few.csv"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        read_rows(path)


def test_a_bad_jsonl_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": \n')
    with pytest.raises(DatasetError, match=r"bad\.jsonl:2: not valid JSON") as e:
        read_rows(path)
    assert e.value.line == 2


def test_a_ragged_csv_row_names_its_line(tmp_path):
    path = write_csv(tmp_path / "r.csv", ["text", "label"], [["a", "x"]] * 4 + [["b, c", "y", "extra"]])
    with pytest.raises(DatasetError, match=r"r\.csv:6: 3 cells for 2 columns"):
        read_rows(path)


def test_unknown_column_lists_the_columns(reviews, tmp_path):
    with pytest.raises(ConfigError, match=r"--output names unknown column\(s\) \['label'\].*\['text', 'sentiment'\]"):
        scaffold(reviews, tmp_path / "x", outputs=["label"])


def test_existing_task_is_not_overwritten_without_force(reviews, tmp_path):
    made = scaffold(reviews, tmp_path / "t", seed=1)
    before = (made.root / "test.jsonl").read_text()
    with pytest.raises(ConfigError, match="--force"):
        scaffold(reviews, tmp_path / "t", seed=2)
    assert (made.root / "test.jsonl").read_text() == before
    scaffold(reviews, tmp_path / "t", seed=2, force=True)
    assert (made.root / "test.jsonl").read_text() != before


def test_a_json_array_file_works_like_jsonl(tmp_path):
    rows = [{"text": f"t{i}", "label": "a" if i % 2 else "b"} for i in range(8)]
    (tmp_path / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
    assert read_rows(tmp_path / "rows.json") == rows


def test_a_file_that_is_not_utf8_says_so(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\n".encode() + "café,x\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"latin\.csv:2: is not UTF-8"):
        read_rows(path)


def test_a_repeated_input_never_straddles_two_splits(tmp_path):
    # The same text twice (a duplicate, or two labellers) must not be in train and in test.
    rows = [[f"text {i % 10}", "a" if i % 2 else "b"] for i in range(40)]
    made = scaffold(write_csv(tmp_path / "dup.csv", ["text", "label"], rows), tmp_path / "dup")
    seen = {}
    for split in ("train", "dev", "test"):
        for key in inputs_of(made.root, split):
            assert seen.setdefault(key, split) == split, f"{key} is in {seen[key]} and {split}"
    assert sum(made.counts.values()) == 40


def test_a_key_some_nested_objects_lack_is_optional(tmp_path):
    src = write_jsonl(tmp_path / "nested.jsonl", [
        {"text": f"t{i}", "out": {"kind": "a", **({"extra": i} if i % 2 else {})}} for i in range(10)])
    task = load_task(scaffold(src, tmp_path / "n").task_file)  # every line valid against the schema
    assert task.schema["required"] == ["kind"]
    assert set(task.schema["properties"]) == {"kind", "extra"}
