"""Synthetic inputs from a scripted teacher: dedup, overlap with dev/test rejected,
provenance, resume, diversity."""

import json

import pytest

from ladder.distill.synth import (
    build_messages,
    diversity,
    grams,
    jaccard,
    normalize,
    read_synthetic,
    synthesize,
)
from ladder.errors import ConfigError
from ladder.models import ScriptedModel
from ladder.tasks import load_task

SQL = load_task("ledger-sql")
SEEDS = [ex.input for ex in SQL.train[:20]]
HELD_OUT = {"question": "What was the total I spent on groceries at Costco during the last month?",
            "today": "2026-10-10"}
NEW1 = {"question": "How much did I spend on coffee at Starbucks in May?", "today": "2026-06-01"}
NEW2 = {"question": "上個月計程車一共花了多少", "today": "2026-09-03"}
# request i -> the scripted reply (a dict is sent as JSON, a string as it is)
REPLIES = [NEW1,
           {"question": "how much did I spend on coffee at starbucks in may", "today": "2026-06-01"},  # duplicate
           HELD_OUT,  # the same as a held-out input
           {**HELD_OUT, "question": HELD_OUT["question"].upper().replace("?", "!!")},  # same once normalized
           {**HELD_OUT, "question": "What was the total I spent on groceries at Costco during last month?"},
           SEEDS[3],  # a seed again
           "sure! here is one: question = ...",  # not JSON
           {"question": "only a question"},  # lacks "today"
           NEW2]


class ByRequest(ScriptedModel):
    """Replies by request number (the sampling seed's last three digits), so a resumed run
    gets the same reply for the same request, whatever ran before."""

    def __init__(self, replies):
        super().__init__(self._reply, name="scripted-writer")
        self.replies, self._i = replies, 0

    def execute(self, request):
        self._i = (request.options.seed or 0) % 1000
        yield from super().execute(request)

    def _reply(self, messages):
        return self.replies[self._i]


def test_duplicates_and_dev_test_overlaps_are_rejected_with_reasons(tmp_path):
    out = tmp_path / "synthetic.jsonl"
    writer = ByRequest(REPLIES)
    stats = synthesize(SQL, writer, SEEDS, 2, out, avoid=[HELD_OUT], k=4, progress=False)
    assert (stats.kept, stats.requests, stats.new_requests) == (2, 9, 9)
    assert stats.inputs == read_synthetic(out) == [NEW1, NEW2]
    assert stats.reasons == {"duplicate": 2, "overlaps dev/test": 2, "invalid": 2, "near-duplicate of dev/test": 1}
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["request"] for r in records] == list(range(9))
    near = records[4]
    assert near["rejected_by"] == "near-duplicate of dev/test" and "Jaccard" in near["detail"]
    # provenance: the seeds shown (k of them, another sample per request), the sampling, the prompt
    assert all(len(r["seeds"]) == 4 for r in records) and len({tuple(r["seeds"]) for r in records}) > 1
    assert records[0]["temperature"] == 0.9 and records[0]["model"] == "scripted-writer"
    assert all(req.options.temperature == 0.9 for req in writer.requests)
    shown = [SEEDS[j]["question"] for j in records[0]["seeds"]]
    assert all(q in records[0]["prompt"] for q in shown)
    assert records[6]["rejected_by"] == "invalid" and records[6]["text"].startswith("sure!")


def test_resume_continues_at_the_next_request(tmp_path):
    out = tmp_path / "synthetic.jsonl"
    first = synthesize(SQL, ByRequest(REPLIES), SEEDS, 1, out, avoid=[HELD_OUT], k=4, progress=False)
    assert (first.kept, first.requests) == (1, 1)
    out.write_text(out.read_text(encoding="utf-8") + '{"request": 1, "ke', encoding="utf-8")  # killed mid-write
    writer = ByRequest(REPLIES)
    again = synthesize(SQL, writer, SEEDS, 2, out, avoid=[HELD_OUT], k=4, progress=False)
    # only requests 1..8 were asked: the kept input of the first run is not asked for again,
    # and still counts as a duplicate of itself
    assert [r.options.seed for r in writer.requests] == list(range(1, 9))
    assert (again.kept, again.requests, again.new_requests) == (2, 9, 8) and again.inputs == [NEW1, NEW2]
    fresh = tmp_path / "fresh.jsonl"
    synthesize(SQL, ByRequest(REPLIES), SEEDS, 2, fresh, avoid=[HELD_OUT], k=4, progress=False)
    strip = (lambda p: [{k: v for k, v in json.loads(x).items() if k != "latency_s"}
                        for x in p.read_text(encoding="utf-8").splitlines()])
    assert strip(out) == strip(fresh)  # a resumed file is the file of one uninterrupted run
    # a finished file asks nothing more
    done = ByRequest(REPLIES)
    assert synthesize(SQL, done, SEEDS, 2, out, k=4, progress=False).new_requests == 0 and not done.requests


def test_a_writer_that_only_repeats_stops_after_max_requests(tmp_path):
    stats = synthesize(SQL, ByRequest([SEEDS[0]] * 30), SEEDS, 3, tmp_path / "s.jsonl", progress=False)
    assert (stats.kept, stats.requests) == (0, 19) and stats.reasons == {"duplicate": 19}  # 3n + 10


def test_normalize_grams_and_diversity():
    assert normalize(SQL, {"question": "How  MUCH, did I spend?", "today": "2026-01-01"}) == \
        normalize(SQL, {"question": "how much did i spend", "today": "2026/01/01"})
    assert jaccard(grams("abcdef"), grams("abcdef")) == 1.0 and jaccard(grams("abc"), grams("xyz")) == 0.0
    same = diversity(SQL, [NEW1, NEW1], SEEDS)
    assert same["nn_similarity_within"] == 1.0 and same["distinct_3grams"] == pytest.approx(0.5, abs=0.01)
    varied = diversity(SQL, [NEW1, NEW2], SEEDS)
    assert varied["nn_similarity_within"] < 0.2 and varied["distinct_3grams"] > same["distinct_3grams"]
    assert 0 < varied["nn_similarity_to_seeds"] < 1 and varied["seeds_distinct_3grams"] is not None
    assert diversity(SQL, [], SEEDS)["distinct_3grams"] is None


def test_the_prompt_shows_the_task_its_fields_and_the_seeds():
    messages = build_messages(SQL, SEEDS[:2])
    user = messages[-1]["content"]
    assert "ledger-sql" in user and "CREATE TABLE expenses" in user and "- question" in user
    assert all(json.dumps(s, ensure_ascii=False) in user for s in SEEDS[:2])


def test_no_seeds_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="seed inputs"):
        synthesize(SQL, ByRequest(REPLIES), [], 2, tmp_path / "s.jsonl")
