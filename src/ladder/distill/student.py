"""The student rung: a fine-tuned small model, a short instruction and the raw input.

Spec names and the model each one uses (registered by ``ladder distill``/``export_student``):

    student        ->  model "<task>-student"        (distilled from the teacher's labels)
    student-gold   ->  model "<task>-student-gold"   (plain fine-tuning on gold labels)
    student-raw, student-gold-raw                    the same students without the task's fixes

A student's answer gets the fixes the task's validators name (``Task.repair``: expenses
sets the date a plain "昨天" means, the currency "円" means, the category "taxi" means), as
its training labels passed those rules: the student is served as the task's small model plus the task's own
rules. ``…-raw`` measures the model alone.

The model passed to the rung (the climb's model) is ignored — a student is tied to
its task — unless it is itself a student of the task (a model registered as
``<task>-student…``, e.g. ``ladder eval --rung student --model expenses-student-v2``):
then that student answers, so a report never names one model and measures another. Output is constrained to the task schema (a llama.cpp grammar), and every
call's Response carries the student's model name, so reports attribute tokens and
latency correctly.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..models.base import Model, Sampling, as_messages
from ..rungs.base import Call, Prediction, ask
from ..rungs.checking import repaired
from ..tasks import Task
from .sft import student_messages


def student_model_name(task: Task, suffix: str = "student") -> str:
    return f"{task.name}-{suffix}"


class Student:
    """The student rung: the task's fine-tuned model, its short instruction and the raw input."""

    def __init__(self, suffix: str = "student", model: Model | None = None, repair: bool = True):
        self.suffix, self.name, self.repair = suffix, suffix if repair else f"{suffix}-raw", repair
        self._model = model  # a fixed model (tests, programmatic use); else resolved by task
        self._cache: dict[str, Model] = {}

    def model_for(self, task: Task) -> Model:
        if self._model is not None:
            return self._model
        if task.name not in self._cache:
            from ..models import get_model

            self._cache[task.name] = get_model(self.registered_name(task))
        return self._cache[task.name]

    def registered_name(self, task: Task) -> str:
        """The task's own student model name; a ConfigError with the fix when none is registered."""
        from ..models import registered

        name = student_model_name(task, self.suffix)
        if name not in registered():
            hint = " --source gold" if self.suffix.endswith("gold") else ""
            raise ConfigError(f"No student model {name!r} is registered for task {task.name!r}: "
                              f"train one with `ladder distill --task {task.name}{hint}`, or pass "
                              f"--model <a registered {student_model_name(task)}… model>.")
        return name

    def named(self, task: Task, model: Model | None) -> Model | None:
        """``model`` (unwrapped from Sampling) when it is itself a student of the task: the
        caller named one to measure; else None (the task's own student answers)."""
        given = model.model if isinstance(model, Sampling) else model
        if self._model is None and str(getattr(given, "name", "")).startswith(student_model_name(task)):
            return given
        return None

    def __call__(self, task: Task, input: dict, model: Model | None = None, run_id: str | None = None) -> Prediction:
        student = self.named(task, model)
        if student is None:
            student = self.model_for(task)
        if isinstance(model, Sampling):  # self-consistency samples the student too
            student = Sampling(student, model.temperature, model.seed, model.index)
        messages = as_messages(student_messages(task, input))
        call = Call.for_task(task)
        answer = ask(student, messages, call, run_id=run_id)
        pred = Prediction(answer.output, answer.response.text, messages, [answer.response], answer.error, call,
                          student)
        return repaired(task, input, pred) if self.repair else pred


def register_student_rungs() -> None:
    """Make ``student`` and ``student-gold`` available to build_rung (and so the climb)."""
    from ..rungs import BASES, register_rung

    if "student" not in BASES:
        for suffix in ("student", "student-gold"):
            register_rung(suffix, lambda n, s=suffix: Student(s))
            register_rung(f"{suffix}-raw", lambda n, s=suffix: Student(s, repair=False))


register_student_rungs()  # importing this module (a rungs plugin) makes the rungs known
