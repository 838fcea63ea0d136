"""The terminal chat: one reply per input line; '/export FILE' writes CSV, '/quit' ends."""

from __future__ import annotations

from typing import IO, Iterable

from .router import ExpenseApp


def chat(app: ExpenseApp, lines: Iterable[str], out: IO[str], prompt: str = "> ") -> None:
    out.write("Tell me what you spent, ask about your spending, correct or undo. /export FILE, /quit.\n")
    for line in lines:
        text = line.strip()
        if not text:
            continue
        out.write(f"{prompt}{text}\n")
        if text in {"/quit", "/exit", "exit", "quit"}:
            break
        if text.startswith("/export"):
            target = text.split(maxsplit=1)[1] if " " in text else "expenses.csv"
            n = app.ledger.export_csv(target)
            out.write(f"exported {n} expenses to {target}\n")
            continue
        try:
            reply = app.handle(text)
        except Exception as e:  # noqa: BLE001 - a failed model call (any backend's error) must not end the chat
            out.write(f"Sorry: {e}\n")
            continue
        out.write(reply.message + "\n")
        if reply.sql:
            out.write(f"  SQL: {reply.sql}\n")
        out.flush()
