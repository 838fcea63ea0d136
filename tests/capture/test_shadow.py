"""Swap: --route answers the upstream's model name with the student (in the prompt it was
trained on); --shadow asks both, returns the upstream's answer, and the report compares."""

from __future__ import annotations

import json
import time

import pytest
from capturing import TEXTS_FOR_TASK, ask, extract, scripted
from click.testing import CliRunner

from ladder.capture.dataset import scaffold_from_log
from ladder.capture.shadow import shadow_report
from ladder.capture.store import get_store
from ladder.cli import cli
from ladder.errors import ConfigError


def student_answer(messages):
    """A 'student' that was trained on the short prompt: it reads 'text: ...' and gets
    coffee wrong (amount 0), so agreement is 7/8 on the fields it misses."""
    text = messages[-1].content.removeprefix("text: ")
    answer = extract([type("M", (), {"content": text})()])
    return {**answer, "amount": 0} if text.startswith("coffee") else answer


@pytest.fixture
def task_dir(servers, openai_client, tmp_path):
    _, proxy, _ = servers({"big": scripted(extract, "big")})
    client = openai_client(proxy)
    for text in TEXTS_FOR_TASK:
        ask(client, text)
    made = scaffold_from_log("expenses", tmp_path / "receipts")
    return made.root


def _student_servers(servers, task_dir, **settings):
    student = scripted(student_answer, "receipts-student-gold")
    recorder, proxy, _ = servers({"big": scripted(extract, "big")}, local={"receipts-student-gold": student},
                                 routes={"big": "receipts-student-gold"}, tasks=[str(task_dir)], **settings)
    return recorder, proxy, student


def test_route_answers_the_upstream_name_with_the_student_in_its_own_prompt(servers, openai_client, task_dir):
    recorder, proxy, student = _student_servers(servers, task_dir)
    client = openai_client(proxy)
    raw = client.chat.completions.with_raw_response.create(
        model="big", messages=[{"role": "system", "content": "A long prompt the student does not need."},
                               {"role": "user", "content": "lunch 180"}], extra_headers={"X-Ladder-Tag": "expenses"})
    assert raw.headers["x-ladder-served-by"] == "student:receipts-student-gold"
    answer = raw.parse()
    assert answer.model == "big" and json.loads(answer.choices[0].message.content) == {"item": "lunch", "amount": 180.0}
    seen = student.requests[-1]
    assert [m.content for m in seen.messages] == ["Task: receipts. Reply with the JSON answer.", "text: lunch 180"]
    assert seen.schema["properties"]["amount"] == {"type": "number"}  # under the task's schema
    streamed = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="big", messages=[{"role": "user", "content": "taxi 250"}], stream=True) if c.choices)
    assert json.loads(streamed) == {"item": "taxi", "amount": 250.0}
    assert recorder.bodies == []  # nothing went upstream
    rows = get_store().rows("expenses", served_by="student")
    assert len(rows) == 1 and rows[0]["task"] == str(task_dir) and rows[0]["returned"] == 1


def test_shadow_returns_the_upstream_and_the_report_compares(servers, openai_client, task_dir):
    recorder, proxy, _ = _student_servers(servers, task_dir, shadow=True)
    client = openai_client(proxy)
    for text in TEXTS_FOR_TASK:
        raw = client.chat.completions.with_raw_response.create(
            model="big", messages=[{"role": "user", "content": text}], extra_headers={"X-Ladder-Tag": "expenses"})
        assert raw.headers["x-ladder-served-by"] == "upstream"
    deadline = time.monotonic() + 30
    while len(get_store().rows("expenses", served_by="student")) < len(TEXTS_FOR_TASK):
        assert time.monotonic() < deadline, "the shadow answers were not logged"
        time.sleep(0.05)
    assert len(recorder.bodies) == len(TEXTS_FOR_TASK)
    report = shadow_report("expenses")
    assert report["pairs"] == 8 and report["metric"] == "task 'receipts': fields"
    assert 0.85 < report["agreement"] < 1  # coffee's amount differs: one field of two in one of eight
    assert report["upstream"]["answers"] == report["student"]["answers"] == 8
    assert report["student"]["model"] == "receipts-student-gold"
    exact = shadow_report("expenses", task=None, store=get_store())
    assert exact["pairs"] == 8
    r = CliRunner().invoke(cli, ["shadow", "report", "--tag", "expenses"])
    assert r.exit_code == 0, r.output
    assert "8 paired requests" in r.output and "latency ms, p50" in r.output and "disagrees" in r.output
    j = CliRunner().invoke(cli, ["shadow", "report", "--tag", "expenses", "--json"])
    assert json.loads(j.output)["pairs"] == 8


def test_no_shadowed_calls_is_a_clear_error():
    with pytest.raises(ConfigError, match="--shadow"):
        shadow_report("nothing")


def test_a_route_without_a_task_gets_the_clients_messages_as_they_are(servers, openai_client):
    local = scripted(lambda messages: "local answer", "plain")
    recorder, proxy, _ = servers({"big": scripted(extract, "big")}, local={"plain": local}, routes={"big": "plain"})
    answer = openai_client(proxy).chat.completions.create(
        model="big", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "local answer" and answer.model == "big"
    assert [m.content for m in local.requests[-1].messages] == ["Be brief.", "hi"]
    assert recorder.bodies == []


def test_a_routed_student_gets_the_tasks_fixes(servers, openai_client, task_dir):
    """The student says amount 0 for coffee; the task's validator names the amount in the
    text as a fix, and the client gets the fixed answer (as the student rung would)."""
    (task_dir / "validators.py").write_text(
        "import re\n\n"
        "def validate(input, output):\n"
        "    said = float(re.findall(r'\\d+(?:\\.\\d+)?', input['text'])[-1])\n"
        "    if output['amount'] == said:\n"
        "        return []\n"
        "    return [{'problem': f'the text says {said:g}', 'fix': {'amount': said}}]\n")
    assert "validators:" not in (task_dir / "task.yaml").read_text()
    with open(task_dir / "task.yaml", "a") as f:
        f.write("validators: validators.py\n")
    _, proxy, _ = _student_servers(servers, task_dir)
    answer = openai_client(proxy).chat.completions.create(model="big", messages=[{"role": "user", "content": "coffee 4.5"}])
    assert json.loads(answer.choices[0].message.content) == {"item": "coffee", "amount": 4.5}
