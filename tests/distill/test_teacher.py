"""Teacher labelling through a real OpenAI-compatible HTTP endpoint on loopback,
backed by a scripted model; resumable, filtered, with provenance."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ladder.distill import build_sft, label, read_labels, student_messages
from ladder.models.openai import OpenAIModel
from ladder.tasks import load_task

TASK = load_task("expenses")
ITEMS = TASK.train[:6]
BAD = ITEMS[2].input["text"]  # the endpoint answers this one with an invalid category


class ScriptedOpenAI(BaseHTTPRequestHandler):
    """/v1/chat/completions answering the gold label of the input in the last user turn."""

    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        last = body["messages"][-1]["content"]
        answer = next((dict(ex.expected) for ex in ITEMS if ex.input["text"] in last), {})
        if BAD in last:
            answer["category"] = "spaceships"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        text = json.dumps(answer, ensure_ascii=False)
        for c in [{"choices": [{"delta": {"content": text}, "finish_reason": "stop"}]},
                  {"choices": [], "usage": {"prompt_tokens": 500, "completion_tokens": 30}}]:
            self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    ScriptedOpenAI.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedOpenAI)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_remote_teacher_labels_filters_and_resumes(endpoint, tmp_path, no_network):
    teacher = OpenAIModel("big-teacher", base_url=endpoint)
    out = tmp_path / "labels.jsonl"
    inputs = [ex.input for ex in ITEMS]

    first = label(TASK, inputs[:3], teacher, "zero-shot", out, jobs=3, progress=False)
    assert (first.labelled, first.kept, first.rejected) == (3, 2, 1)
    # an interrupted run continues: only the 3 new inputs reach the teacher
    ScriptedOpenAI.seen = []
    second = label(TASK, inputs, teacher, "zero-shot", out, jobs=3, progress=False)
    assert second.skipped_existing == 3 and len(ScriptedOpenAI.seen) == 3
    records = read_labels(out)
    assert len(records) == 6 and sum(r["kept"] for r in records) == 5
    bad = next(r for r in records if r["input"]["text"] == BAD)
    assert not bad["kept"] and bad["expected"] is None and bad["problems"]
    good = next(r for r in records if r["kept"])
    assert good["teacher"] == {"model": "openai:big-teacher", "rung": "zero-shot"}
    assert good["prompt_tokens"] == 500 and good["score"] == 1.0 and good["prompt"]
    # kept labels equal the teacher's (here: gold) answers; the SFT rows are short prompts
    rows = build_sft(TASK, source="teacher", labels=out)
    assert len(rows) == 5
    assert rows[0]["messages"][:2] == student_messages(TASK, json.loads(json.dumps(rows_input(rows[0]))))


def rows_input(row):
    text = row["messages"][1]["content"]
    return next(ex.input for ex in ITEMS if TASK.format_input(ex.input) == text)


def test_torn_last_line_is_ignored_on_resume(tmp_path):
    out = tmp_path / "labels.jsonl"
    out.write_text(json.dumps({"input": {"a": 1}, "kept": True}) + "\n" + '{"input": {"b"', encoding="utf-8")
    assert [r["input"] for r in read_labels(out)] == [{"a": 1}]


def test_agreement_filter_rejects_unstable_teacher(tmp_path):
    from ladder.models import ScriptedModel

    gold = ITEMS[0].expected
    flip = iter(range(100))
    teacher = ScriptedModel(lambda m: {**gold, "amount": gold["amount"] + next(flip) % 2})
    stats = label(TASK, [ITEMS[0].input], teacher, "zero-shot", tmp_path / "l.jsonl", agree=4, progress=False)
    rec = read_labels(tmp_path / "l.jsonl")[0]
    assert stats.kept == 0 and rec["score"] == 0.5 and "agree" in rec["problems"][0]
