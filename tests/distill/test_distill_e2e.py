"""`ladder distill` end to end on a tiny copy of the expenses task: a real teacher
(smollm2) labels the train inputs, a real LoRA student trains a few steps, is exported,
registered and compared with the teacher in the savings report; a rerun resumes."""

import json
import shutil

import pytest
from click.testing import CliRunner

from ladder.cli import cli
from ladder.tasks import bundled_tasks_dir


def _tiny_task(tmp_path, n_train=4, n_dev=2, n_test=2):
    src = bundled_tasks_dir() / "expenses"
    dst = tmp_path / "tiny-expenses"
    shutil.copytree(src, dst)
    for split, n in (("train", n_train), ("dev", n_dev), ("test", n_test)):
        lines = (src / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()[:n]
        (dst / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # without the task's validators: they reject most of the 135M teacher's dates, and this
    # test is about the pipeline (the filters have their own tests in test_teacher.py)
    yaml = dst / "task.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("validators: validators.py\n", ""), encoding="utf-8")
    return yaml


@pytest.mark.slow
def test_distill_labels_trains_exports_registers_and_reports(tmp_path):
    task = _tiny_task(tmp_path)
    out = tmp_path / "student"
    args = ["distill", "--task", str(task), "--teacher", "smollm2", "--rung", "zero-shot", "--student", "smollm2",
            "--max-steps", "2", "--batch-size", "2", "--rank", "4", "--test-limit", "2", "--consistency-n", "0",
            "--name", "tiny-expenses-student", "--out", str(out)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output

    labels = [json.loads(line) for line in (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(labels) == 4 and all(r["teacher"] == {"model": "smollm2", "rung": "zero-shot"} for r in labels)
    done = json.loads((out / "distill.json").read_text(encoding="utf-8"))
    assert done["student"] == "tiny-expenses-student"
    assert done["labels"]["labelled"] == 4
    exported = json.loads((out / "student" / "export.json").read_text(encoding="utf-8"))
    assert (out / "student" / "student.q8_0.gguf").is_file() and "merged" not in exported
    assert not (out / "student" / "merged").exists()  # the GGUF serves it; no 0.5 GB of f32 weights kept
    savings = json.loads((out / "savings.json").read_text(encoding="utf-8"))
    assert savings["teacher"]["items_per_s"] > 0 and savings["student"]["items_per_s"] > 0
    text = (out / "savings.md").read_text(encoding="utf-8")
    assert "throughput, items/s" in text and "(1 stream" not in text  # measured, not estimated from p50
    assert "tiny-expenses-student" in CliRunner().invoke(cli, ["models"]).output

    # a rerun with --resume labels nothing again and keeps the same labels file
    again = CliRunner().invoke(cli, [*args, "--resume", "--no-eval"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert (out / "labels.jsonl").read_text(encoding="utf-8").count("\n") == 4
