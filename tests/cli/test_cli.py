"""The CLI through click's runner: real commands, real model, real log."""

import json

from click.testing import CliRunner

from ladder.cli import cli


def run(*args, input=None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result


def test_help_has_examples():
    for cmd in ([], ["prompt"], ["models"], ["chat"], ["logs"]):
        out = run(*cmd, "--help").output
        assert "Examples:" in out, cmd


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


def test_chat_streams_and_keeps_history():
    result = run("chat", "--max-tokens", "5", input="Hello\nexit\n")
    assert result.exit_code == 0 and "Chatting with smollm2" in result.output


def test_eval_defaults_to_the_last_climbs_pick():
    from ladder.climb import save_recommendation

    out = CliRunner().invoke(cli, ["eval", "--task", "expenses", "--limit", "1", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["rung"] == "zero-shot"  # no climb yet
    save_recommendation("expenses", {"rung": None, "model": None, "best": "few-shot-2", "best_model": "smollm2",
                                     "reason": "none met the bar"}, [])
    out = CliRunner().invoke(cli, ["eval", "--task", "expenses", "--limit", "1", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["rung"] == "few-shot-2" and "last climb's pick" in out.stderr
