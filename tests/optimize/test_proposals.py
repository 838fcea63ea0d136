"""What a proposer model writes, turned into instructions (real answers of small models)."""

from ladder.optimize.search import extract_instructions

# qwen2.5-coder-1.5b's answer to gepa's default reflection prompt on expenses (abridged):
# a framed task description with a fenced JSON example in it
QWEN_DEFAULT_PROMPT = """Certainly! Below is the new instruction for the assistant based on the provided inputs and feedback:

---

**Task Description:**
Extract one expense from the given text as JSON.
- **amount**: The amount paid, greater than 0.

**Example:**
```json
{
  "date": "2026-03-12",
  "amount": 18.5
}
```

---

This new instruction provides a clear and detailed description of the task."""


def test_the_json_example_is_not_taken_for_the_instructions():
    text = extract_instructions(QWEN_DEFAULT_PROMPT)
    assert text.startswith("**Task Description:**") and "amount paid" in text
    assert "18.5" not in text and "Certainly" not in text and "This new instruction" not in text


def test_the_fenced_instructions_are_taken():
    assert extract_instructions("Sure:\n```\nDo X.\nDo Y.\n```\nHope it helps.") == "Do X.\nDo Y."
    assert extract_instructions("```text\nA\n``` and ```json\n{\"a\": 1}\n```") == "A"
    assert extract_instructions("```\nStill writing when max_tokens ran out") == "Still writing when max_tokens ran out"
    assert extract_instructions("Just the rules.\nRule two.") == "Just the rules.\nRule two."


def test_instructions_fenced_as_json_are_still_instructions():
    # qwen2.5-coder-1.5b fences plain instructions as ```json
    assert extract_instructions("```json\nExtract one expense.\n- date: YYYY-MM-DD\n```") == \
        "Extract one expense.\n- date: YYYY-MM-DD"


def test_new_rules_are_appended_once():
    from ladder.optimize.search import add_rules

    current = "Extract one expense.\n- date: YYYY-MM-DD."
    got = add_rules(current, "- date: YYYY-MM-DD.\n1. Yesterday is today minus one day.\n- Amounts are numbers.\n"
                             "- amounts are numbers.")
    assert got == current + "\n- Yesterday is today minus one day.\n- Amounts are numbers."
    assert add_rules(current, "") == current and add_rules(current, current) == current


def test_at_most_three_rules_are_added():
    from ladder.optimize.search import add_rules

    got = add_rules("Rules:", "\n".join(f"- rule {i}" for i in range(20)))
    assert got == "Rules:\n- rule 0\n- rule 1\n- rule 2"
