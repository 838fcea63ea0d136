from click.testing import CliRunner
from conftest import DEMO

from ladder.cli import cli


def test_cli_ingest_search_eval(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "c.db")
    r = runner.invoke(cli, ["rag", "ingest", str(DEMO / "docs" / "古琴.txt"), str(DEMO / "docs" / "温泉.md"),
                            "--index", db])
    assert r.exit_code == 0, r.output
    assert "2 added" in r.output and "chunks/s" in r.output
    r = runner.invoke(cli, ["rag", "search", "古琴有几根弦", "--index", db, "-k", "1"])
    assert r.exit_code == 0 and "古琴.txt" in r.output
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "古琴有几根弦？", "source": "古琴.txt", "answer_contains_any": ["七"]}\n',
                  encoding="utf-8")
    r = runner.invoke(cli, ["rag", "eval", "--index", db, "--data", str(qa)])
    assert r.exit_code == 0, r.output
    assert "hybrid" in r.output and "1.000" in r.output


def test_cli_errors_are_one_line(tmp_path):
    r = CliRunner().invoke(cli, ["rag", "search", "x", "--index", str(tmp_path / "none.db")])
    assert r.exit_code == 2 and "Create it with: ladder rag ingest" in r.output


def test_ask_and_eval_defaults_are_the_measured_ones():
    """The CLI reads its defaults from ladder.rag.answer, and its help names the same ones."""
    from ladder.cli.rag import MODEL_HELP, STRUCTURED_HELP, ask, eval_
    from ladder.rag.answer import DEFAULT_ANSWER_MODEL, STRUCTURED

    for cmd, args in [(ask, ["q"]), (eval_, ["--data", str(DEMO / "qa.jsonl")])]:
        params = cmd.make_context(cmd.name, list(args)).params
        assert (params["model_name"], params["structured"]) == (DEFAULT_ANSWER_MODEL, STRUCTURED)
    assert f"[default: {DEFAULT_ANSWER_MODEL}:" in MODEL_HELP
    assert ("[default: structured" if STRUCTURED else "[default: free text") in STRUCTURED_HELP
    r = CliRunner().invoke(cli, ["rag", "ask", "--help"])
    assert r.exit_code == 0 and DEFAULT_ANSWER_MODEL in r.output
