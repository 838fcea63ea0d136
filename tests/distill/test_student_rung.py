"""The student rung answers with the task's registered student, or with the student the
caller names: `ladder eval --rung student --model <task>-student-…` measures that one."""

import pytest

from ladder import ConfigError
from ladder.distill.student import Student
from ladder.models import ScriptedModel
from ladder.tasks import load_task

TASK = load_task("expenses")
EX = TASK.train[0]


def test_a_named_student_of_the_task_answers_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("LADDER_HOME", str(tmp_path))  # no student registered here
    named = ScriptedModel(lambda m: dict(EX.expected), name="expenses-student-v2")
    pred = Student("student")(TASK, EX.input, named)
    assert pred.output == EX.expected and pred.calls[0].model == "expenses-student-v2"


def test_any_other_model_is_ignored_for_the_tasks_own_student(tmp_path, monkeypatch):
    monkeypatch.setenv("LADDER_HOME", str(tmp_path))
    climbing = ScriptedModel(lambda m: dict(EX.expected), name="smollm2")
    with pytest.raises(ConfigError, match="No student model 'expenses-student' is registered"):
        Student("student")(TASK, EX.input, climbing)


def test_the_student_gets_the_tasks_fixes_and_student_raw_does_not(tmp_path, monkeypatch):
    monkeypatch.setenv("LADDER_HOME", str(tmp_path))
    from ladder.rungs import build_rung

    inp = {"text": "昨天午餐吃拉麵 180", "today": "2026-03-02", "default_currency": "TWD"}
    answer = {"date": "2026-03-02", "amount": 180, "currency": "TWD", "category": "food", "merchant": None}
    named = ScriptedModel(lambda m: dict(answer), name="expenses-student-v2")
    pred = build_rung("student")(TASK, inp, named)
    assert pred.output == {**answer, "date": "2026-03-01"} and pred.fixed[0].endswith("so the date is 2026-03-01")
    raw = build_rung("student-raw")(TASK, inp, named)
    assert raw.output == answer and raw.fixed == []
