"""The CLI through click's runner: real commands, real model, real log."""

import json
import subprocess
import sys

from click.testing import CliRunner

from ladder import ScriptedModel
from ladder.cli import cli


def run(*args, input=None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result


def test_every_command_is_registered_and_its_help_has_examples():
    import click

    def commands(group, path=()):
        for name, cmd in group.commands.items():
            yield (*path, name)
            if isinstance(cmd, click.Group):
                yield from commands(cmd, (*path, name))

    found = list(commands(cli))
    for name in ("models", "prompt", "chat", "logs", "eval", "runs", "climb", "demo", "judge", "distill",
                 "train", "rag", "serve", "sql", "app"):
        assert (name,) in found, name
    for cmd in [(), *found]:
        out = run(*cmd, "--help").output
        assert "Examples:" in out, cmd


def test_help_loads_no_backend_and_no_command_library():
    """`ladder --help` imports click and the command modules only: no model backend,
    no server, no training stack, none of the packages the commands call."""
    code = ("import sys; from ladder.cli import cli; from click.testing import CliRunner; "
            "assert CliRunner().invoke(cli, ['--help']).exit_code == 0; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'llama_cpp', 'torch', 'fastapi', "
            "'transformers', 'rich'} or m.startswith(('ladder.sql', 'ladder.app', 'ladder.distill', "
            "'ladder.rag', 'ladder.server', 'ladder.evals', 'ladder.climb'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_python_dash_m_runs_the_command():
    out = subprocess.run([sys.executable, "-m", "ladder.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "ladder, version" in out.stdout


def test_models_lists_builtins():
    out = run("models", "--json").output
    names = {m["name"] for m in json.loads(out)}
    assert {"smollm2", "gemma3-270m"} <= names


def test_prompt_with_schema_prints_valid_json_and_logs_it(tmp_path):
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({
        "type": "object", "properties": {"city": {"type": "string", "maxLength": 20}},
        "required": ["city"], "additionalProperties": False}))
    result = run("prompt", "Which city is the Eiffel Tower in?", "--schema", str(schema), "--max-tokens", "30")
    assert result.exit_code == 0
    assert set(json.loads(result.output)) == {"city"}
    logged = json.loads(run("logs", "-n", "1", "--json").output)[0]
    assert logged["schema"]["required"] == ["city"]
    assert logged["messages"][-1]["content"] == "Which city is the Eiffel Tower in?"


def test_unknown_model_is_one_clear_line():
    result = CliRunner().invoke(cli, ["prompt", "hi", "--model", "smollm"])
    assert result.exit_code == 2
    assert "Did you mean 'smollm2'" in result.output and "Traceback" not in result.output


class StreamProbe(ScriptedModel):
    """A ScriptedModel that notes what the terminal already shows each time it is
    asked for the next piece: a streaming CLI has printed the earlier pieces by then."""

    def __init__(self, responses):
        super().__init__(responses, name="probe")
        self.shown: list[str] = []  # stdout so far, before each piece after the first

    def execute(self, request):
        for n, piece in enumerate(super().execute(request)):
            if n and isinstance(piece, str):
                self.shown.append(sys.stdout.buffer.getvalue().decode())
            yield piece


def test_chat_streams_and_keeps_history(monkeypatch):
    import ladder.models

    probe = StreamProbe(["Bonjour, ami!", "Ça va bien."])
    monkeypatch.setattr(ladder.models, "get_model", lambda name=None: probe)
    result = run("chat", "--system", "Answer in French", input="Hello\nHow are you?\nexit\n")
    assert result.exit_code == 0 and "Chatting with probe" in result.stderr
    assert result.stdout.count("Bonjour, ami!") == 1 and "Ça va bien." in result.stdout
    # streamed: the first 4-character piece was on screen before the second was produced
    assert probe.shown[0].endswith("Bonj")
    # history: the second turn saw the system prompt, the first exchange and the new line
    second = [(m.role, m.content) for m in probe.requests[1].messages]
    assert second == [("system", "Answer in French"), ("user", "Hello"), ("assistant", "Bonjour, ami!"),
                      ("user", "How are you?")]


def test_eval_defaults_to_the_last_climbs_pick():
    from ladder.climb import save_recommendation

    out = CliRunner().invoke(cli, ["eval", "--task", "expenses", "--limit", "1", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["rung"] == "zero-shot"  # no climb yet
    save_recommendation("expenses", {"rung": None, "model": None, "best": "few-shot-2", "best_model": "smollm2",
                                     "reason": "none met the bar"}, [])
    out = CliRunner().invoke(cli, ["eval", "--task", "expenses", "--limit", "1", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["rung"] == "few-shot-2" and "last climb's pick" in out.stderr


def test_log_db_option_sends_the_log_there_without_touching_the_environment(tmp_path, smollm2):
    import os
    import sqlite3

    from click.testing import CliRunner

    from ladder.cli import cli
    from ladder.log import use_log_path

    target = tmp_path / "elsewhere.db"
    try:
        result = CliRunner().invoke(cli, ["--log-db", str(target), "prompt", "Hi", "--max-tokens", "3"])
        assert result.exit_code == 0, result.output
    finally:
        use_log_path(None)
    assert "LADDER_LOG_DB" not in os.environ
    assert sqlite3.connect(target).execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 1


def test_demo_compares_two_bundled_models_on_buildable_rungs():
    """`ladder demo` climbs a model comparison: bundled models only (a fresh clone has them
    after `make`), rungs the ladder can build, one small and one large model."""
    from ladder.cli.climb import DEMO_MODELS, DEMO_RUNGS
    from ladder.models import BUILTINS
    from ladder.rungs import build_rung

    assert len(DEMO_MODELS) >= 2 and set(DEMO_MODELS) <= set(BUILTINS)
    assert "smollm2" in DEMO_MODELS and any(m.startswith("qwen2.5-coder") for m in DEMO_MODELS)
    for spec in DEMO_RUNGS:
        assert build_rung(spec).name == spec


def test_eval_of_a_student_rung_with_no_student_is_one_error_not_zero_quality():
    r = run("eval", "--task", "expenses", "--rung", "student-gold+self-check-1", "--limit", "2")
    assert r.exit_code != 0 and "quality" not in r.output
    assert "No student model 'expenses-student-gold' is registered" in r.output
    assert "ladder distill --task expenses --source gold" in r.output
