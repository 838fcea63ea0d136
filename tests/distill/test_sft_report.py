"""The SFT rows (short student prompt) and the savings table / targets."""

import json

import pytest

from ladder.distill import build_sft, student_messages
from ladder.distill.report import check_targets, markdown, write_report
from ladder.errors import ConfigError
from ladder.tasks import load_task

TASK = load_task("expenses")


def test_gold_rows_are_short_prompt_and_schema_ordered_answer():
    rows = build_sft(TASK, source="gold", limit=3)
    ex = TASK.train[0]
    system, user, answer = rows[0]["messages"]
    assert (system["role"], user["role"], answer["role"]) == ("system", "user", "assistant")
    assert user["content"] == TASK.format_input(ex.input)  # the raw input, nothing else
    assert len(system["content"]) < 80 and TASK.instructions[:40] not in system["content"]
    assert list(json.loads(answer["content"])) == TASK.output_fields
    assert json.loads(answer["content"]) == ex.expected
    assert [m for m in rows[0]["messages"][:2]] == student_messages(TASK, ex.input)


def test_teacher_source_needs_labels():
    with pytest.raises(ConfigError, match="labels file"):
        build_sft(TASK, source="teacher")


def _summary(rung, quality, prompt, p50):
    return {"rung": rung, "model": "m", "n": 10, "quality": quality, "quality_ci": (quality - .1, quality + .1),
            "field_acc": {f: quality for f in TASK.output_fields}, "valid_rate": 1.0, "p50_ms": p50,
            "p95_ms": p50 * 2, "ttft_p50_ms": p50 / 4, "prompt_tokens": prompt, "completion_tokens": 30,
            "cached_tokens": 0, "retries": 0, "cpu_s_per_1k": p50 * 2, "consistency": {"repeat": 0.9, "repeat_n": 10, "paraphrase": None, "paraphrase_n": 0}}


def test_targets_met_and_missed(tmp_path):
    teacher = _summary("retrieved-few-shot-4+self-check-2", 0.60, 900, 3000)
    good = _summary("student", 0.59, 70, 500)
    bad = _summary("student", 0.50, 300, 1500)
    assert all(t["met"] for t in check_targets(teacher, good))
    missed = {t["target"]: t for t in check_targets(teacher, bad)}
    assert not missed["quality"]["met"] and not missed["prompt_tokens"]["met"] and not missed["p50"]["met"]
    assert missed["quality"]["value"] == pytest.approx(-10)
    md = markdown(teacher, bad)
    assert "MISSED" in md and "3.0x" in md  # prompt tokens 900/300
    paths = write_report(tmp_path, teacher, good, notes=["n"])
    page = paths["html"].read_text()
    assert "<svg" in page and "Savings" in page and 'src="http' not in page  # self-contained
