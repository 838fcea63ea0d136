"""The recipe's label step (``teacher_labels``) with a scripted teacher: train inputs plus
synthetic ones, filtered, with the kept labels' accuracy against gold and the notes the
report and the CLI print. (Training and export have their own tests.)"""

import json

from ladder.distill.recipe import label_notes, resume_training, teacher_labels
from ladder.distill.teacher import read_labels
from ladder.models import ScriptedModel
from ladder.tasks import load_task

SQL = load_task("ledger-sql")
TRAIN = SQL.train[:3]
WRITTEN = [{"question": "How much did I spend on food in total?", "today": "2026-10-01"},
           {"question": "How much did I spend on food in total", "today": "2026-10-01"},  # a duplicate
           {"question": "交通一共花了多少", "today": "2026-10-02"}]
ANSWERS = {TRAIN[0].input["question"]: TRAIN[0].expected["sql"],  # right
           TRAIN[1].input["question"]: "SELECT COUNT(*) FROM expenses",  # runs, wrong rows
           TRAIN[2].input["question"]: "SELECT x FROM nowhere",  # fails: rejected
           WRITTEN[0]["question"]: "SELECT SUM(amount) FROM expenses WHERE category = 'food'",
           WRITTEN[2]["question"]: "SELECT SUM(amount) FROM expenses WHERE category = 'transport'"}


class Teacher(ScriptedModel):
    """Writes WRITTEN[i] for synthetic-input request i; answers a question with ANSWERS."""

    def __init__(self):
        super().__init__(self._reply, name="scripted-teacher")
        self._seed = 0

    def execute(self, request):
        self._seed = request.options.seed or 0
        yield from super().execute(request)

    def _reply(self, messages):
        text = messages[-1].content
        if "Example inputs" in text:
            return WRITTEN[self._seed % 1000]
        return {"sql": next(sql for q, sql in ANSWERS.items() if f"question: {q}\n" in text)}


def test_train_and_synthetic_inputs_labelled_with_accuracy_and_notes(tmp_path):
    stats = teacher_labels(SQL, Teacher(), "zero-shot", tmp_path, limit=3, synthetic=2, seeds=2, progress=False)
    syn = stats["synthetic"]
    assert (syn["kept"], syn["requests"], syn["reasons"]) == (2, 3, {"duplicate": 1})
    assert syn["labelled_kept"] == 2 and syn["path"] == str(tmp_path / "synthetic.jsonl")
    records = read_labels(tmp_path / "labels.jsonl")
    assert [r["input"] for r in records] == [ex.input for ex in TRAIN] + [WRITTEN[0], WRITTEN[2]]
    assert (stats["labelled"], stats["kept"]) == (5, 4)
    assert stats["reasons"] == {"validator: The query failed": 1}
    # gold exists for the 3 train inputs only: one right, one wrong but kept, one rejected
    assert stats["accuracy"] == {"items": 3, "raw_accuracy": 0.3333, "kept": 2, "kept_accuracy": 0.5,
                                 "rejected": 1, "rejected_right": 0}
    json.dumps(stats)  # goes into distill.json as it is
    notes = label_notes(stats)
    assert notes[0] == "teacher labels kept: 4 of 5; rejected 1 (validator: The query failed 1)"
    assert "kept labels 50.0% right (2 kept), all raw answers 33.3%" in notes[1]
    assert notes[2].startswith("synthetic inputs: 2 of 2 asked (3 requests, duplicate 1); 2 kept after labelling")


def test_the_synthetic_inputs_never_overlap_the_dev_and_test_inputs(tmp_path):
    test_input = SQL.split("test")[0].input
    teacher = Teacher()
    WRITTEN.insert(0, test_input)
    try:
        stats = teacher_labels(SQL, teacher, "zero-shot", tmp_path, limit=3, synthetic=1, seeds=2, progress=False)
    finally:
        WRITTEN.pop(0)
    assert stats["synthetic"]["reasons"] == {"overlaps dev/test": 1}
    assert test_input not in [r["input"] for r in read_labels(tmp_path / "labels.jsonl")]


def test_the_teacher_rung_is_given_else_resumed_else_the_climbs_best_else_the_default(tmp_path):
    """A resumed labels file keeps its pipeline; otherwise the last climb's best prompting row
    on the teacher model (not a student row, not another model's) is the teacher."""
    from ladder.climb import best_rung, save_recommendation
    from ladder.distill.recipe import DEFAULT_TEACHER_RUNG, teacher_rung

    labels = tmp_path / "labels.jsonl"
    assert teacher_rung(SQL, "qwen2.5-coder-1.5b", None, labels)[0] == DEFAULT_TEACHER_RUNG
    rows = [{"rung": "zero-shot", "model": "qwen2.5-coder-1.5b", "quality": 0.3, "prompt_tokens": 400},
            {"rung": "retrieved-few-shot-4", "model": "qwen2.5-coder-1.5b", "quality": 0.5, "prompt_tokens": 800},
            {"rung": "retrieved-few-shot-4+cot", "model": "qwen2.5-coder-1.5b", "quality": 0.5, "prompt_tokens": 900},
            {"rung": "few-shot-4", "model": "smollm2", "quality": 0.9, "prompt_tokens": 700},
            {"rung": "student-gold", "model": "ledger-sql-student-gold", "quality": 0.95, "prompt_tokens": 60}]
    save_recommendation(SQL.name, {"rung": None, "best": "student-gold"}, rows)
    assert best_rung(SQL.name, "qwen2.5-coder-1.5b")["rung"] == "retrieved-few-shot-4"  # tie: fewer tokens
    rung, why = teacher_rung(SQL, "qwen2.5-coder-1.5b", None, labels)
    assert rung == "retrieved-few-shot-4" and "last climb" in why
    assert teacher_rung(SQL, "qwen2.5-coder-1.5b", "zero-shot", labels)[0] == "zero-shot"
    labels.write_text(json.dumps({"input": {}, "teacher": {"model": "qwen2.5-coder-1.5b", "rung": "cot"}}) + "\n")
    assert teacher_rung(SQL, "qwen2.5-coder-1.5b", None, labels)[0] == "cot"  # resumed: never mixed
    assert best_rung(SQL.name, "gemma3-270m") is None


def test_the_task_file_names_its_student_base_and_distill_trains_it(tmp_path):
    """`student:` in a task file is the base `ladder distill` trains without --student (the
    bundled ledger-sql task: qwen2.5-coder-0.5b, chosen by measurement); --student still wins."""
    import shutil

    from click.testing import CliRunner

    from ladder.cli import cli

    assert SQL.student == load_task("expenses").student == "qwen2.5-coder-0.5b"  # both measured
    task_dir = tmp_path / "task"
    shutil.copytree(SQL.root, task_dir)
    yaml = task_dir / "task.yaml"
    yaml.write_text(yaml.read_text().replace("student: qwen2.5-coder-0.5b", "student: no-such-base")
                    .replace("db: ../ledger/seed.sql", f"db: {(SQL.root / '../ledger/seed.sql').resolve()}"))
    r = CliRunner().invoke(cli, ["distill", "--task", str(yaml), "--source", "gold", "--no-eval",
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code != 0 and "Unknown student base 'no-such-base'" in r.output, r.output
    r = CliRunner().invoke(cli, ["distill", "--task", str(yaml), "--source", "gold", "--no-eval",
                                 "--student", "another-missing-base", "--out", str(tmp_path / "out2")])
    assert "Unknown student base 'another-missing-base'" in r.output, r.output


def test_training_resumes_only_a_checkpoint_of_the_same_rows(tmp_path, capsys):
    student = tmp_path / "student"
    rows, dev = [{"messages": [{"role": "user", "content": "a"}]}], []
    assert resume_training(student, rows, dev) is False  # nothing to resume
    ckpt = student / "checkpoint" / "last.pt"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"a killed run")
    assert resume_training(student, rows, dev) is True  # same rows: continue it
    more = rows + [{"messages": [{"role": "user", "content": "b"}]}]  # e.g. --recheck relabelled some
    assert resume_training(student, more, dev) is False and not ckpt.exists()
    assert "training data changed" in capsys.readouterr().out
