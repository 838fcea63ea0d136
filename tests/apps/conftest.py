"""What the app tests share: a scripted model that plays every part of the app."""

import pytest

TODAY = "2026-11-20"


def scripted_brain(calls: list):
    """A scripted model that answers by which prompt it is given (routing, correction,
    SQL, expense extraction), recording which was asked, in order."""

    def reply(messages):
        system = messages[0].content if messages[0].role == "system" else ""
        user = messages[-1].content
        if system.startswith("You route"):
            calls.append("route")
            if "不對" in user or user.startswith("no,"):
                return {"intent": "correct"}
            if user in {"undo", "撤銷"}:
                return {"intent": "undo"}
            if user.endswith(("?", "？")) or user.startswith("delete"):
                return {"intent": "ask"}
            return {"intent": "record"}
        if system.startswith("The user corrects"):
            calls.append("correct")
            return {"field": "amount", "value": "120"}
        if system.startswith("You write one SQLite"):
            calls.append("sql")
            asked = " ".join(m.content for m in messages if m.role == "user")
            if "delete" in asked.lower() or "DROP" in asked:  # an obedient model, every attempt
                return {"sql": "DELETE FROM expenses"}
            return {"sql": "SELECT SUM(amount) FROM expenses WHERE category = 'food' AND date LIKE '2026-11-%'"}
        if system.startswith("Extract one expense"):
            calls.append("extract")
            text = user.splitlines()[0]
            if "拉麵" in text:
                return {"date": "2026-11-19", "amount": 180, "currency": "TWD", "category": "food", "merchant": None}
            return {"date": TODAY, "amount": 45, "currency": "TWD", "category": "transport", "merchant": "Uber"}
        raise AssertionError(f"unexpected prompt: {system[:60]!r}")

    return reply


@pytest.fixture
def brain():
    """``brain(calls)`` -> a ScriptedModel reply function that records which prompt it got."""
    return scripted_brain
