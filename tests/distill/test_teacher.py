"""Teacher labelling through a real OpenAI-compatible HTTP endpoint on loopback,
backed by a scripted model; resumable, filtered, with provenance."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ladder.distill import build_sft, label, read_labels, student_messages
from ladder.distill.teacher import agrees, label_accuracy
from ladder.models import ScriptedModel
from ladder.models.openai import OpenAIModel
from ladder.tasks import load_task

TASK = load_task("expenses")
ITEMS = TASK.train[:6]
BAD = ITEMS[2].input["text"]  # the endpoint answers this one with an invalid category


class ScriptedOpenAI(BaseHTTPRequestHandler):
    """/v1/chat/completions answering the gold label of the input in the last user turn.

    It counts requests in flight; with ``wait_for_company`` the first request waits (up
    to 10 s) until a second one is in flight, so a client that sends one request at a
    time shows ``max_in_flight == 1`` instead of passing by luck of timing."""

    seen: list = []
    in_flight = max_in_flight = 0
    wait_for_company = False
    cond = threading.Condition()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        with cls.cond:
            cls.seen.append(body)
            cls.in_flight += 1
            cls.max_in_flight = max(cls.max_in_flight, cls.in_flight)
            cls.cond.notify_all()
            if cls.wait_for_company and len(cls.seen) == 1:
                cls.cond.wait_for(lambda: cls.in_flight >= 2, timeout=10)
        try:
            self._answer(body)
        finally:
            with cls.cond:
                cls.in_flight -= 1

    def _answer(self, body):
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
    ScriptedOpenAI.max_in_flight, ScriptedOpenAI.wait_for_company = 0, False
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


def test_jobs_label_concurrently_and_write_what_a_sequential_run_writes(endpoint, tmp_path, no_network):
    teacher = OpenAIModel("big-teacher", base_url=endpoint)
    inputs = [ex.input for ex in ITEMS]
    one = label(TASK, inputs, teacher, "zero-shot", tmp_path / "seq.jsonl", agree=2, jobs=1, progress=False)
    assert ScriptedOpenAI.max_in_flight == 1

    ScriptedOpenAI.seen, ScriptedOpenAI.max_in_flight, ScriptedOpenAI.wait_for_company = [], 0, True
    four = label(TASK, inputs, teacher, "zero-shot", tmp_path / "par.jsonl", agree=2, jobs=4, progress=False)
    assert ScriptedOpenAI.max_in_flight >= 2  # the teacher really was asked several inputs at once

    def records(name):  # latency is the one field that differs between runs
        return [{k: v for k, v in r.items() if k != "latency_s"} for r in read_labels(tmp_path / name)]

    assert records("par.jsonl") == records("seq.jsonl")
    assert [r["input"] for r in records("par.jsonl")] == inputs  # input order, not completion order
    assert (four.kept, four.rejected, four.prompt_tokens) == (one.kept, one.rejected, one.prompt_tokens) == (5, 1, 5500)


def test_jobs_below_one_is_refused(tmp_path):
    from ladder.errors import ConfigError
    from ladder.models import ScriptedModel

    with pytest.raises(ConfigError, match="jobs=0"):
        label(TASK, [ITEMS[0].input], ScriptedModel(lambda m: {}), "zero-shot", tmp_path / "l.jsonl", jobs=0)


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



def test_recheck_labels_again_only_what_the_current_validators_reject(tmp_path):
    """A label the current rules reject without a fix is asked again; one whose fix they name
    (a date) is fixed in place, with no teacher call; a good one is left alone."""
    import datetime

    from ladder.models import ScriptedModel

    out = tmp_path / "labels.jsonl"
    good, stale, dated = ITEMS[0], ITEMS[1], ITEMS[2]
    wrong = {**stale.expected, "merchant": "Nobody"}  # no rule knows the right merchant
    assert TASK.check(stale.input, wrong) and TASK.repair(stale.input, wrong)[1] == []
    off = {**dated.expected, "date": str(datetime.date.fromisoformat(dated.expected["date"]) - datetime.timedelta(3))}
    assert TASK.repair(dated.input, off)[0] == dated.expected  # what an older validators.py let through
    out.write_text("".join(json.dumps({"input": ex.input, "expected": a, "kept": True, "answer": a}) + "\n"
                           for ex, a in ((good, good.expected), (stale, wrong), (dated, off))), encoding="utf-8")
    asked = []
    teacher = ScriptedModel(lambda m: asked.append(m) or dict(stale.expected))
    inputs = [good.input, stale.input, dated.input]
    plain = label(TASK, inputs, teacher, "zero-shot", out, progress=False)
    assert plain.skipped_existing == 3 and not asked  # a plain resume trusts the file
    stats = label(TASK, inputs, teacher, "zero-shot", out, progress=False, recheck=True)
    assert stats.rechecked == 1 and len(asked) == 1 and stale.input["text"] in asked[0][-1].content
    records = read_labels(out)
    assert sorted(map(json.dumps, (r["input"] for r in records))) == sorted(map(json.dumps, inputs))
    by_text = {r["input"]["text"]: r for r in records}
    assert all(r["kept"] for r in records) and by_text[stale.input["text"]]["expected"] == stale.expected
    assert by_text[dated.input["text"]]["expected"] == dated.expected and by_text[dated.input["text"]]["fixed"]


# -- filters by the task's own rules and metric; accuracy against gold (report only) -------

class TwoVoiceTeacher(ScriptedModel):
    """A scripted teacher with a first answer and a sampled one per input: ``first(text)``
    at temperature 0, ``sampled(text)`` for the agreement filter's extra samples
    (temperature > 0); ``text`` is the last user turn."""

    def __init__(self, first, sampled=None):
        super().__init__(self._reply, name="two-voice")
        self.first, self.sampled, self._hot = first, sampled or first, False

    def execute(self, request):
        self._hot = request.options.temperature > 0
        yield from super().execute(request)

    def _reply(self, messages):
        return (self.sampled if self._hot else self.first)(messages[-1].content)


def by_input(task, answers):
    """text -> the answer scripted for the input whose formatted text is in it."""
    return lambda text: next(a for x, a in answers if task.format_input(x) in text)


SQL = load_task("ledger-sql")
Q = [ex.input for ex in SQL.train[:4]]


def test_sql_labels_filtered_by_the_validators_and_agreement_by_result_rows(tmp_path):
    # Q0: two different strings, the same rows -> agree (== would reject it)
    # Q1: two queries with different rows -> rejected by agreement
    # Q2: a query that fails, Q3: one that returns no rows -> the task's validators reject them
    first = [(Q[0], {"sql": "SELECT SUM(amount) FROM expenses WHERE category = 'food'"}),
             (Q[1], {"sql": "SELECT COUNT(*) FROM expenses"}),
             (Q[2], {"sql": "SELECT total FROM nowhere"}),
             (Q[3], {"sql": "SELECT merchant FROM expenses WHERE merchant = 'no such shop'"})]
    sampled = [(Q[0], {"sql": "select sum(amount) as total from expenses where category='food'"}),
               (Q[1], {"sql": "SELECT COUNT(*) FROM expenses WHERE category = 'food'"})]
    teacher = TwoVoiceTeacher(by_input(SQL, first), by_input(SQL, sampled))
    stats = label(SQL, Q, teacher, "zero-shot", tmp_path / "l.jsonl", agree=2, progress=False)
    recs = {r["input"]["question"]: r for r in read_labels(tmp_path / "l.jsonl")}
    kept = recs[Q[0]["question"]]
    assert kept["kept"] and kept["score"] == 1.0 and kept["expected"] == first[0][1]
    assert recs[Q[1]["question"]]["rejected_by"] == "agreement" and recs[Q[1]["question"]]["score"] == 0.5
    assert recs[Q[2]["question"]]["rejected_by"] == "validator: The query failed"
    assert recs[Q[3]["question"]]["rejected_by"] == "validator: The query returned no rows"
    # the raw answer stays in the record, even when rejected
    assert recs[Q[2]["question"]]["answer"] == first[2][1] and recs[Q[2]["question"]]["expected"] is None
    assert stats.kept == 1 and stats.reasons == {"agreement": 1, "validator: The query failed": 1,
                                                 "validator: The query returned no rows": 1}


def test_agrees_by_the_fields_metric_comparators():
    ex = TASK.train[5]  # merchant 'Curves': the task compares merchants casefolded, amounts as numbers
    assert agrees(TASK, ex.input, ex.expected, {**ex.expected, "merchant": "CURVES", "amount": 316.0})
    assert not agrees(TASK, ex.input, ex.expected, {**ex.expected, "amount": 317})
    assert not agrees(TASK, ex.input, ex.expected, None)


def test_a_reference_the_metric_cannot_run_agrees_with_nothing():
    assert not agrees(SQL, Q[0], {"sql": "SELECT nope FROM nowhere"}, {"sql": "SELECT 1"})
    assert agrees(SQL, Q[0], {"sql": "SELECT 1"}, {"sql": "SELECT 1"})  # equal answers need no metric


def test_kept_and_raw_accuracy_against_gold(tmp_path):
    items = [TASK.train[i] for i in (0, 2, 1, 3)]  # the third names no category word: no rule fixes it
    gold = [ex.expected for ex in items]
    first = [(items[0].input, gold[0]),  # right, kept
             (items[1].input, gold[1]),  # right, but the sample disagrees: rejected
             (items[2].input, {**gold[2], "category": "other"}),  # wrong, passes every filter: kept
             (items[3].input, {**gold[3], "category": "spaceships"})]  # fails the schema: no valid output
    sampled = [first[0], (items[1].input, {**gold[1], "amount": 1}), *first[2:]]
    teacher = TwoVoiceTeacher(by_input(TASK, first), by_input(TASK, sampled))
    stats = label(TASK, [ex.input for ex in items], teacher, "zero-shot", tmp_path / "l.jsonl", agree=2,
                  progress=False)
    assert stats.reasons == {"agreement": 1, "no valid output": 1}
    acc = label_accuracy(TASK, read_labels(tmp_path / "l.jsonl"), items)
    assert acc == {"items": 4, "raw_accuracy": 0.5, "kept": 2, "kept_accuracy": 0.5, "rejected": 2,
                   "rejected_right": 1}
    # inputs without gold (synthetic ones, an unlabelled file) are left out; no gold at all: None
    assert label_accuracy(TASK, read_labels(tmp_path / "l.jsonl"), items[:1])["items"] == 1
    assert label_accuracy(TASK, read_labels(tmp_path / "l.jsonl"), []) is None


def test_a_torn_last_line_is_cut_before_appending(tmp_path):
    out = tmp_path / "l.jsonl"
    teacher = TwoVoiceTeacher(by_input(TASK, [(ex.input, ex.expected) for ex in ITEMS]))
    label(TASK, [ITEMS[0].input], teacher, "zero-shot", out, progress=False)
    out.write_text(out.read_text(encoding="utf-8") + '{"input": {"te', encoding="utf-8")  # killed mid-write
    stats = label(TASK, [ITEMS[0].input, ITEMS[1].input], teacher, "zero-shot", out, progress=False)
    assert stats.skipped_existing == 1 and stats.labelled == 2
    assert [r["input"] for r in read_labels(out)] == [ITEMS[0].input, ITEMS[1].input]


def test_a_teacher_answer_gets_the_tasks_fixes_before_the_filters(tmp_path):
    """A wrong date the rules can name is a fixed label, not a rejection; the raw answer stays."""
    import datetime

    from ladder.models import ScriptedModel

    ex = ITEMS[2]
    off = {**ex.expected, "date": str(datetime.date.fromisoformat(ex.expected["date"]) - datetime.timedelta(3))}
    stats = label(TASK, [ex.input], ScriptedModel(lambda m: dict(off)), "zero-shot", tmp_path / "l.jsonl",
                  progress=False)
    rec = read_labels(tmp_path / "l.jsonl")[0]
    assert stats.kept == 1 and rec["kept"] and rec["expected"] == ex.expected and rec["answer"] == off
    assert rec["fixed"] and rec["fixed"][0].startswith(f"date {off['date']}")
    acc = label_accuracy(TASK, [rec], [ex])
    assert acc["raw_accuracy"] == 0.0 and acc["kept_accuracy"] == 1.0  # the label is scored after its fixes
