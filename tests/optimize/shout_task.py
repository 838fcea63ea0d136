"""The test task "shout" and scripted models whose answers depend on the prompt they are given."""

from __future__ import annotations

import json
import re

from ladder.models import ScriptedModel

KEYWORD = "SHOUT"  # the word the search has to find: with it in the instructions, every answer is right


def write_task(root, n_train=12, n_dev=6, n_test=6):
    """A task whose answer is the input word in capitals: {"word": "cat"} -> {"label": "CAT"}."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "task.yaml").write_text(
        "name: shout\ninstructions: Answer with the word.\ninputs: [word]\n"
        "output_schema: {type: object, properties: {label: {type: string}}, required: [label]}\n"
        "metric: {fields: {label: exact}}\n"
        "data: {train: train.jsonl, dev: dev.jsonl, test: test.jsonl}\n", encoding="utf-8")
    words = [f"word{i}" for i in range(n_train + n_dev + n_test)]
    splits = {"train": words[:n_train], "dev": words[n_train:n_train + n_dev], "test": words[n_train + n_dev:]}
    for split, ws in splits.items():
        (root / f"{split}.jsonl").write_text(
            "".join(json.dumps({"input": {"word": w}, "expected": {"label": w.upper()}}) + "\n" for w in ws),
            encoding="utf-8")
    return root / "task.yaml"


def keyword_model(calls: list | None = None) -> ScriptedModel:
    """Right (capitals) only when the system prompt holds KEYWORD; else the word as given."""

    def reply(messages):
        if calls is not None:
            calls.append(messages)
        word = re.search(r"word: (\S+)", messages[-1].content).group(1)
        return {"label": word.upper() if KEYWORD in messages[0].content else word}

    return ScriptedModel(reply, name="keyword-model")


def proposer_model(seen: list | None = None) -> ScriptedModel:
    """Proposes the keyword only when shown a failure with its correct answer (the
    feedback gepa's reflection prompt carries); otherwise repeats the instruction."""

    def reply(messages):
        prompt = messages[-1].content
        if seen is not None:
            seen.append(prompt)
        current = prompt.split("```")[1].strip()
        if re.search(r"The correct answer is \{\"label\": \"WORD\d+\"\}", prompt):
            return f"Here is the new instruction:\n```\n{current}\nWrite the answer in capitals ({KEYWORD}).\n```"
        return f"```\n{current}\n```"

    return ScriptedModel(reply, name="proposer-model")
