"""Captured traffic -> dataset rows -> a task directory, through the real proxy."""

from __future__ import annotations

import json

import pytest
from capturing import SCHEMA, SYSTEM, ask, extract, lines, scripted
from click.testing import CliRunner

from ladder.capture.dataset import from_log, parse_since
from ladder.cli import cli
from ladder.errors import ConfigError
from ladder.tasks import load_task

TEXTS = ["lunch 180", "taxi 250", "coffee 65", "books 420", "dinner 560", "parking 40", "snacks 35",
         "movie 300"]


@pytest.fixture
def captured(servers, openai_client):
    """Tagged extraction calls through the proxy: 8 inputs, one asked twice, one answer
    that fails the schema, one call of another tag."""
    _, proxy, _ = servers({"big": scripted(extract, "big")})
    client = openai_client(proxy)
    for text in TEXTS + ["lunch 180", "broken answer"]:
        ask(client, text)
    ask(client, "rent 9000", tag="other")
    return client


def test_rows_are_validated_deduplicated_and_carry_provenance(captured):
    built = from_log("expenses")
    assert built.calls == 10 and built.kind == "json_schema" and built.schema == SCHEMA
    assert built.instructions == SYSTEM
    assert [r["input"] for r in built.rows] == [{"text": t} for t in TEXTS]
    assert built.rows[0]["expected"] == {"item": "lunch", "amount": 180.0}
    assert built.duplicates == 1 and built.skipped == {"answers that fail their response_format schema": 1}
    first = built.provenance[0]
    assert first["answers"] == 2 and first["answers_differ"] is False and first["model"] == "big"
    assert first["call_id"] and first["time"].startswith("20")
    with pytest.raises(ConfigError, match="Tags logged: expenses \\(10\\), other \\(1\\)"):
        from_log("nope")


def test_template_variables_become_the_input_fields(servers, openai_client):
    _, proxy, _ = servers({"big": scripted(extract, "big")})
    client = openai_client(proxy)
    for text in ("lunch 180", "taxi 250"):
        client.chat.completions.create(
            model="big", messages=[{"role": "user", "content": f"Today is 2026-03-02. Expense: {text}"}],
            metadata={"tag": "tpl", "input.text": text, "input.today": "2026-03-02"})
    built = from_log("tpl")
    assert built.kind == "text"  # no response_format: the answer text is the expected output
    assert [r["input"] for r in built.rows] == [{"text": "lunch 180", "today": "2026-03-02"},
                                                {"text": "taxi 250", "today": "2026-03-02"}]


def test_dataset_from_log_cli_writes_task_rows_and_a_provenance_sidecar(captured, tmp_path):
    out = tmp_path / "data.jsonl"
    r = CliRunner().invoke(cli, ["dataset", "from-log", "--tag", "expenses", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "8 rows from 10 captured call(s) tagged 'expenses'; 1 duplicate input(s) merged" in r.output
    rows, prov = lines(out), lines(tmp_path / "data.provenance.jsonl")
    assert len(rows) == len(prov) == 8 and all(set(x) == {"input", "expected"} for x in rows)
    assert [p["line"] for p in prov] == list(range(1, 9))
    r = CliRunner().invoke(cli, ["dataset", "from-log", "--tag", "expenses", "--since", "1d", "--out", str(out)])
    assert r.exit_code == 0
    r = CliRunner().invoke(cli, ["dataset", "from-log", "--tag", "expenses", "--since", "yesterday", "--out", str(out)])
    assert r.exit_code == 2 and "--since 'yesterday'" in r.output and "Traceback" not in r.output


def test_init_from_log_scaffolds_a_task_that_loads(captured, tmp_path):
    target = tmp_path / "expenses-captured"
    r = CliRunner().invoke(cli, ["init", "--from-log", "expenses", "--out", str(target)])
    assert r.exit_code == 0, r.output
    assert "train.jsonl" in r.output and "ladder climb" in r.output
    task = load_task(target)
    assert task.name == "expenses-captured" and task.input_fields == ["text"]
    assert task.instructions == SYSTEM
    assert task.schema["properties"] == SCHEMA["properties"]
    assert sum(len(task.split(s)) for s in ("train", "dev", "test")) == 8
    assert task.metric.type == "fields"
    assert len(lines(target / "provenance.jsonl")) == 8
    again = CliRunner().invoke(cli, ["init", "--from-log", "expenses", "--out", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    both = CliRunner().invoke(cli, ["init", "x.csv", "--from-log", "expenses"])
    assert both.exit_code == 2 and "one of them" in both.output


def test_too_few_calls_for_a_task(servers, openai_client, tmp_path):
    _, proxy, _ = servers({"big": scripted(extract, "big")})
    ask(openai_client(proxy), "lunch 180")
    with pytest.raises(ConfigError, match="at least 5 distinct inputs"):
        from ladder.capture.dataset import scaffold_from_log
        scaffold_from_log("expenses", tmp_path / "t")


def test_parse_since():
    import time

    assert abs(parse_since("2h") - (time.time() - 7200)) < 5
    assert parse_since("2026-03-01") > 0
    with pytest.raises(ConfigError):
        parse_since("soon")
    assert json.dumps(parse_since(None)) == "null"
