"""The answer-only loss equals transformers' own loss, without building the full logits."""

import pytest

from ladder.distill import TrainConfig, build_sft
from ladder.distill.encode import ChatEncoder, collate, encode_chats
from ladder.distill.model import answer_loss, peft_wrap
from ladder.tasks import load_task

TASK = load_task("expenses")


def _batch(tok, n=3):
    enc = ChatEncoder(tok, None, 256)
    rows, skipped = encode_chats(enc, build_sft(TASK, source="gold", limit=n))
    assert skipped == 0
    return collate(rows, tok.pad_token_id)


@pytest.mark.slow
def test_answer_loss_equals_the_models_own_loss(hf_smollm2):
    import torch

    model, tok = hf_smollm2
    ids, mask, labels = _batch(tok)
    assert (labels != -100).sum() < (mask == 1).sum() / 2  # most tokens are prompt, not targets
    with torch.no_grad():
        ours = answer_loss(model, ids, mask, labels)
        theirs = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert float(ours) == pytest.approx(float(theirs), rel=1e-5)


@pytest.mark.slow
def test_answer_loss_trains_the_lora_weights_through_the_peft_wrapper(hf_smollm2):
    import copy

    import torch

    model, tok = hf_smollm2
    wrapped = peft_wrap(copy.deepcopy(model), TrainConfig(base="smollm2", r=2, alpha=4))
    ids, mask, labels = _batch(tok, 1)
    with torch.no_grad():  # LoRA B starts at zero: the wrapped model computes what the base does
        assert float(answer_loss(wrapped, ids, mask, labels)) == pytest.approx(
            float(model(input_ids=ids, attention_mask=mask, labels=labels).loss), rel=1e-5)
    answer_loss(wrapped, ids, mask, labels).backward()
    grads = {n: p.grad for n, p in wrapped.named_parameters() if p.requires_grad}
    assert grads and all("lora_" in n for n in grads)
    assert any(g is not None and g.abs().sum() > 0 for g in grads.values())
