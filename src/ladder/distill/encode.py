"""Training data as tensors: chat rows -> token ids + labels, padded batches, and the
length-grouped batch order.

A row is ``{"input_ids": [int], "labels": [int]}``; a label of -100 is not a target.
"""

from __future__ import annotations

import random

from ..errors import ConfigError


class ChatEncoder:
    """Chat rows -> token ids + labels, masking everything but the answer.

    The prompt is rendered by ``models.templates.render``, the renderer the llama.cpp
    backend builds its prompts with (``CHAT_TEMPLATES[chat_format]`` or the model's own
    template), so the student trains on exactly the text it will see. The answer is
    what the template puts after the prompt for the final assistant turn (the answer
    and its end-of-turn marker).
    """

    def __init__(self, tokenizer, chat_format: str | None, max_length: int, where: str = "The student base"):
        from ..models.templates import template_for

        self.template = template_for(chat_format, tokenizer.chat_template, where)
        self.tok, self.max_length = tokenizer, max_length
        self.specials = dict(bos_token=tokenizer.bos_token or "", eos_token=tokenizer.eos_token or "")

    def render(self, messages: list[dict], generation_prompt: bool) -> str:
        from ..models.templates import render

        return render(self.template, messages, add_generation_prompt=generation_prompt, **self.specials)

    def encode(self, messages: list[dict]) -> dict | None:
        """{"input_ids", "labels"} for a chat ending with the assistant's answer;
        None when it is longer than max_length."""
        if not messages or messages[-1]["role"] != "assistant":
            raise ConfigError("Each SFT row must end with the assistant's answer.")
        prompt = self.render(messages[:-1], True)
        full = self.render(messages, False)
        if not full.startswith(prompt):
            raise ConfigError("The chat template renders the prompt differently with and without the "
                              "answer; pick another chat_format.")
        answer = full[len(prompt):].rstrip("\n")
        p = self.tok(prompt, add_special_tokens=False)["input_ids"]
        a = self.tok(answer, add_special_tokens=False)["input_ids"]
        if len(p) + len(a) > self.max_length:
            return None  # too long: skipped and counted, never silently truncated
        return {"input_ids": p + a, "labels": [-100] * len(p) + a}


def encode_chats(enc: ChatEncoder, rows: list[dict]) -> tuple[list[dict], int]:
    """SFT rows (``{"messages": [...]}``) -> (encoded rows, number skipped as too long)."""
    out, skipped = [], 0
    for row in rows:
        item = enc.encode(row["messages"])
        if item is None:
            skipped += 1
        else:
            out.append(item)
    return out, skipped


def collate(rows: list[dict], pad_id: int):
    """Encoded rows -> (input_ids, attention_mask, labels), each [batch, longest], right-padded."""
    import torch

    n = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), n), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), n), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), n), dtype=torch.long)
    for i, r in enumerate(rows):
        k = len(r["input_ids"])
        ids[i, :k] = torch.tensor(r["input_ids"])
        labels[i, :k] = torch.tensor(r["labels"])
        mask[i, :k] = 1
    return ids, mask, labels


def length_grouped_batches(lengths: list[int], size: int, rng: random.Random, group: int = 16) -> list[list[int]]:
    """Shuffled batches of similar length: shuffle, sort each window of ``group`` batches
    by length, cut it into batches, shuffle the batch order. Less padding per step (the
    HF Trainer's ``group_by_length``), still a seeded, reproducible order (so resume is
    exact)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = size * group
    batches = []
    for i in range(0, len(order), window):
        part = sorted(order[i:i + window], key=lambda j: lengths[j])
        batches += [part[k:k + size] for k in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches
