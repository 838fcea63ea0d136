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
