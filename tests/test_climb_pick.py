"""climb.pick: the one answer to "which rung and model serve this task", and its three users."""

import json

from click.testing import CliRunner

from ladder.climb import pick, save_recommendation
from ladder.models import ScriptedModel, builtin, register_model
from ladder.tasks import load_task


def register(name):
    register_model(name, backend="llamacpp", path=builtin("smollm2")[1])


def test_nothing_climbed_or_trained_is_the_default_on_the_default_model():
    assert pick("expenses") == ("zero-shot", None)
    assert pick(load_task("expenses"), default="retrieved-few-shot-4") == ("retrieved-few-shot-4", None)


def test_a_trained_student_serves_before_any_climb_gold_labels_first():
    register("expenses-student")
    assert pick("expenses") == ("student", "expenses-student")
    register("expenses-student-gold")
    assert pick("expenses") == ("student-gold", "expenses-student-gold")
    assert pick("ledger-sql") == ("zero-shot", None)  # another task's students are not this one's


def test_the_last_climb_wins_its_best_rung_when_none_met_the_bar():
    register("expenses-student-gold")
    save_recommendation("expenses", {"rung": None, "model": None, "best": "few-shot-2", "best_model": "gemma3-270m",
                                     "reason": "none met the bar"}, [])
    assert pick("expenses") == ("few-shot-2", "gemma3-270m")
    save_recommendation("expenses", {"rung": "cot", "model": "smollm2"}, [])
    assert pick("expenses") == ("cot", "smollm2")


def test_the_cli_the_server_and_the_app_give_the_same_answer(tmp_path, monkeypatch):
    import ladder.models
    from ladder.apps.expenses import ExpenseApp
    from ladder.server import ServerConfig

    save_recommendation("expenses", {"rung": "few-shot-2", "model": "probe"}, [])
    expected = {"date": "2026-11-20", "amount": 5, "currency": "TWD", "category": "food", "merchant": None}
    asked = []

    def get_model(name=None):
        asked.append(name)
        return ScriptedModel([expected], name=name or "default")

    monkeypatch.setattr(ladder.models, "get_model", get_model)
    from ladder.cli import cli

    out = CliRunner().invoke(cli, ["eval", "--task", "expenses", "--limit", "1", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["rung"] == "few-shot-2" and asked == ["probe"]
    assert ServerConfig().pick_for("expenses") == ("few-shot-2", "probe")
    app = ExpenseApp(tmp_path / "l.db", ScriptedModel(["{}"]))
    assert (app.rung_spec, app.record_model.name) == ("few-shot-2", "probe")
