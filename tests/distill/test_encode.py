"""Chat rows -> ids + answer-only labels, rendered as the llama.cpp backend renders them;
length-grouped batches."""

import random

import pytest

from ladder.distill import build_sft, student_messages
from ladder.distill.encode import ChatEncoder, length_grouped_batches
from ladder.models.base import as_messages
from ladder.tasks import load_task

TASK = load_task("expenses")


@pytest.mark.slow
def test_prompt_is_the_text_the_served_student_sees_and_only_the_answer_is_a_target(hf_smollm2, smollm2):
    _, tok = hf_smollm2
    enc = ChatEncoder(tok, None, 256)
    row = build_sft(TASK, source="gold", limit=1)[0]
    ex = TASK.train[0]
    served = smollm2.render(as_messages(student_messages(TASK, ex.input)))  # llama.cpp backend's prompt
    assert enc.render(row["messages"][:-1], True) == served
    item = enc.encode(row["messages"])
    targets = [t for t, label in zip(item["input_ids"], item["labels"]) if label != -100]
    assert item["input_ids"][:len(tok(served, add_special_tokens=False)["input_ids"])] == \
        tok(served, add_special_tokens=False)["input_ids"]
    assert tok.decode(targets).startswith(row["messages"][-1]["content"])  # the answer, then end of turn
    assert all(label == -100 for label in item["labels"][:len(item["labels"]) - len(targets)])


def test_rows_longer_than_max_length_are_skipped_not_truncated(hf_smollm2):
    _, tok = hf_smollm2
    row = build_sft(TASK, source="gold", limit=1)[0]
    assert ChatEncoder(tok, None, 16).encode(row["messages"]) is None


def test_length_grouped_batches_cover_every_row_once_and_cut_padding():
    rng = random.Random(5)
    lengths = [rng.randint(40, 200) for _ in range(500)]
    batches = length_grouped_batches(lengths, 8, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(500))
    assert length_grouped_batches(lengths, 8, random.Random(0)) == batches  # seeded: resume replays the same order
    pad = lambda bs: sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in bs)  # noqa: E731
    order = list(range(500))
    random.Random(0).shuffle(order)
    plain = [order[i:i + 8] for i in range(0, 500, 8)]
    assert pad(batches) < 0.3 * pad(plain)
