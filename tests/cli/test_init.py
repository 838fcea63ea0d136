"""`ladder init`: the first command a new user runs."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ladder.cli import cli


def examples(path, n=10):
    path.write_text("".join(json.dumps({"text": f"message {i}", "label": "spam" if i % 2 else "ham"}) + "\n"
                            for i in range(n)), encoding="utf-8")
    return path


def test_help_starts_with_init():
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "init" in out.split("Commands:")[1]
    before_commands = out.split("Commands:")[0]
    assert before_commands.index("ladder init") < before_commands.index("ladder models")


def test_init_writes_the_task_and_prints_the_next_three_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples(tmp_path / "mail.jsonl")
    result = CliRunner().invoke(cli, ["init", "mail.jsonl"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mail" / "task.yaml").is_file()  # default --out: the file's stem
    nxt = result.output.split("Next:")[1].split()
    assert " ".join(nxt) == ("ladder eval --task mail/task.yaml --rung zero-shot --limit 20 "
                             "ladder climb --task mail/task.yaml --quick ladder runs")
    assert "label: string, one of 2 values (ham, spam)" in result.output


def test_init_errors_are_one_line_with_the_fix(tmp_path):
    src = examples(tmp_path / "mail.jsonl")
    runner = CliRunner()
    out = str(tmp_path / "task")
    assert runner.invoke(cli, ["init", str(src), "--out", out]).exit_code == 0
    again = runner.invoke(cli, ["init", str(src), "--out", out])
    assert again.exit_code == 2 and "--force" in again.output and "Traceback" not in again.output
    assert runner.invoke(cli, ["init", str(src), "--out", out, "--force", "--seed", "1"]).exit_code == 0
    bad = runner.invoke(cli, ["init", str(src), "--out", str(tmp_path / "t2"), "--input", "txt"])
    assert bad.exit_code == 2 and "--input names unknown column(s) ['txt']" in bad.output
    few = runner.invoke(cli, ["init", str(examples(tmp_path / "few.jsonl", n=3))])
    assert few.exit_code == 2 and "at least 5" in few.output
