"""The bookkeeping app: record expenses from plain sentences, ask about them, correct, undo.

    schema.py     the ledger's fields and categories, read from the `expenses` task's schema
    ledger.py     Ledger: the SQLite store, its only writer, with undo history; the demo ledger
    router.py     ExpenseApp: sentence -> intent -> record | ask | correct | undo -> Reply
    questions.py  questions through ladder.sql, with the ledger-sql student or retrieved pairs
    i18n.py       every phrase the app says, in four languages, in one table
    terminal.py   chat(): the terminal chat (`ladder app expenses`)
    http.py       POST /v1/apps/expenses (`ladder serve --app expenses`)

Names are loaded on first use, so the server can mount http.py without the rest.
"""

from __future__ import annotations

import importlib

_EXPORTS = {  # name -> module that defines it
    "Ledger": "ledger", "demo_ledger": "ledger", "seed_path": "ledger",
    "ExpenseApp": "router", "Reply": "router", "chat": "terminal",
    "ask_ledger": "questions", "ledger_examples": "questions", "ledger_student": "questions",
    "is_ledger": "questions", "is_student": "questions", "student_prompt": "questions",
    "language": "i18n", "answer_sentence": "i18n", "say": "i18n",
    "FIELDS": "schema", "CATEGORIES": "schema",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
