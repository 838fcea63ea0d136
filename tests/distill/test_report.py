"""The savings report ("use vs develop" table) on summaries: no model needed."""

import json

import pytest

from ladder.distill.report import ROWS, TARGETS, check_targets, markdown, savings_table, throughput, write_report


def _summary(rung, quality, prompt, p50, **more):
    return {"rung": rung, "model": "m", "n": 10, "quality": quality, "quality_ci": (quality - .1, quality + .1),
            "valid_rate": 1.0, "p50_ms": p50, "p95_ms": p50 * 2, "ttft_p50_ms": p50 / 4, "prompt_tokens": prompt,
            "completion_tokens": 30, "cached_tokens": 0, "retries": 0, "cpu_s_per_1k": p50 * 2,
            "consistency": {"repeat": 0.9, "repeat_n": 10, "paraphrase": None, "paraphrase_n": 0}, **more}


TEACHER = _summary("retrieved-few-shot-4+self-check-2", 0.70, 1000, 5000)


def test_every_row_of_the_issue_table_is_there_for_teacher_student_and_gold_student():
    student = _summary("student", 0.69, 80, 400)
    gold = _summary("student-gold", 0.75, 80, 410)
    rows = {r[0].split(" (")[0]: r for r in savings_table(TEACHER, student, [gold])}
    for label in ("quality", "schema-valid %", "prompt tokens / item", "completion tokens / item",
                  "time to first token p50, ms", "latency p50, ms", "latency p95, ms", "consistency",
                  "throughput, items/s", "cost / 1k items, CPU-s"):
        assert label in rows, label
    assert all(len(r) == 5 for r in rows.values())  # metric, teacher, student, gain, gold student
    assert rows["quality"][1] == "70.0 (60-80)" and rows["quality"][4] == "75.0 (65-85)"
    assert rows["prompt tokens / item"][3] == "12.5x"  # 1000 / 80: lower is better
    assert rows["latency p50, ms"][3] == "12.5x"


def test_throughput_prefers_the_measured_rate_and_its_gain_is_student_over_teacher():
    assert throughput({"items_per_s": 4.0, "p50_ms": 1000}) == (4.0, True)
    assert throughput({"p50_ms": 250}) == (4.0, False)  # one stream: 1000 / p50
    assert throughput({}) == (None, False)
    measured = savings_table(_summary("t", .7, 1000, 5000, items_per_s=0.2),
                             _summary("s", .7, 80, 400, items_per_s=2.5))
    row = next(r for r in measured if r[0].startswith("throughput"))
    assert row[0] == "throughput, items/s" and row[1:4] == ["0.20", "2.50", "12.5x"]  # higher is better
    derived = next(r for r in savings_table(TEACHER, _summary("s", .7, 80, 400)) if r[0].startswith("throughput"))
    assert "1 stream" in derived[0]  # says it is not a wall-clock measure


def test_targets_are_the_issues_and_a_miss_is_reported_with_its_value(tmp_path):
    assert [t for t in TARGETS] == ["quality", "prompt_tokens", "p50"]
    # 2 points below the teacher, 10x fewer prompt tokens, 5x faster p50: all met, exactly at the bar
    edge = {t["target"]: t for t in check_targets(TEACHER, _summary("student", 0.68, 100, 1000))}
    assert all(t["met"] for t in edge.values()), edge
    # 9x tokens and 4x p50 are not enough
    short = {t["target"]: t for t in check_targets(TEACHER, _summary("student", 0.60, 111.2, 1250))}
    assert not any(t["met"] for t in short.values())
    assert short["quality"]["value"] == pytest.approx(-10)
    assert short["prompt_tokens"]["value"] == pytest.approx(8.99, abs=.01)
    assert short["p50"]["value"] == pytest.approx(4.0)
    md = markdown(TEACHER, _summary("student", 0.60, 111.2, 1250))
    assert md.count("MISSED") == 3 and ">= 10x" in md and ">= 5x" in md
    paths = write_report(tmp_path, TEACHER, _summary("student", 0.60, 111.2, 1250))
    saved = json.loads(paths["json"].read_text())
    assert [t["met"] for t in saved["targets"]] == [False, False, False]
    assert "missed" in paths["html"].read_text()


def test_a_summary_without_a_value_shows_a_dash_and_fails_its_target():
    student = {**_summary("student", 0.5, 80, 400), "quality": None, "quality_ci": None}
    row = savings_table(TEACHER, student)[0]
    assert row[2] == "-"
    assert not next(t for t in check_targets(TEACHER, student) if t["target"] == "quality")["met"]
    assert len(ROWS) == 11
