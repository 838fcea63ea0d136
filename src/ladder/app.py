"""The bookkeeping app: record expenses from plain sentences, ask about them, correct, undo.

    text ─▶ classify (model, structured output: record | ask | correct | undo)
              ├─ record  ─▶ the `expenses` task's best rung ─▶ Ledger.record   (writes)
              ├─ ask     ─▶ ladder.sql.ask on a read-only Sandbox             (never writes)
              │             the ledger-sql student if one is trained, else the model
              │             + the 4 nearest ledger-sql training pairs as examples
              ├─ correct ─▶ model: {"field", "value"} ─▶ Ledger.correct       (writes)
              └─ undo    ─▶ Ledger.undo                                        (writes)

The flow is a ladder.agents.Graph; the three writers are ladder.agents.Tools made from
Ledger's typed methods, so every write is checked against its signature. Each write is
one transaction and leaves a row in ``_history`` (what to restore), so undo survives a
restart. Questions go through the SQL sandbox, which denies every write: "delete all my
expenses" or an injected ``DROP TABLE`` can at most produce a failed query.

The "best rung" for recording: ``ladder.climb.recommended("expenses")`` after a climb;
else a registered ``expenses-student`` model with the ``student`` rung; else
``retrieved-few-shot-4`` on smollm2.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Literal

from .agents import Graph, Tool, Visit
from .errors import ConfigError
from .models.base import Model
from .sql import Sandbox, ask, language, ledger_examples, ledger_student

Category = Literal["food", "transport", "shopping", "entertainment", "housing", "utilities",
                   "health", "education", "travel", "other"]
FIELDS = ["date", "amount", "currency", "category", "merchant", "note"]
CREATE = """
CREATE TABLE IF NOT EXISTS expenses (id INTEGER PRIMARY KEY, date TEXT, amount REAL, currency TEXT,
                                     category TEXT, merchant TEXT, note TEXT);
CREATE TABLE IF NOT EXISTS _history (id INTEGER PRIMARY KEY, action TEXT, expense_id INTEGER,
                                     before TEXT, ts REAL);
"""


class Ledger:
    """One SQLite ledger file, and the only code that writes to it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.conn = sqlite3.connect(self.path)
        self.conn.row_factory = sqlite3.Row
        with self.conn:
            self.conn.executescript(CREATE)

    def record(self, date: str, amount: float, currency: str, category: Category,
               merchant: str | None = None, note: str = "") -> dict:
        """Add one expense.

        Args:
            date: YYYY-MM-DD
            amount: the amount paid, > 0
            currency: ISO 4217 code, e.g. TWD
            category: one of the ledger's categories
            merchant: the shop or service, if named
            note: the sentence it came from
        """
        _check_date(date)
        if amount <= 0:
            raise ConfigError(f"amount must be > 0, not {amount}")
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO expenses (date, amount, currency, category, merchant, note) VALUES (?,?,?,?,?,?)",
                (date, amount, currency.upper(), category, merchant, note))
            self._history("record", cur.lastrowid, None)
        return self.get(cur.lastrowid)

    def correct(self, field: Literal["date", "amount", "currency", "category", "merchant"], value: str,
                expense_id: int | None = None) -> dict:
        """Change one field of an expense (the last one recorded, unless expense_id is given).

        Args:
            field: which field to change
            value: the new value, as text
            expense_id: the expense to change (default: the last one recorded or corrected)
        """
        target = expense_id or self.last_id()
        if target is None:
            raise ConfigError("There is no expense to correct yet: record one first.")
        before = self.get(target)
        new: object = value
        if field == "amount":
            try:
                new = float(str(value).replace(",", ""))
            except ValueError:
                raise ConfigError(f"amount must be a number, not {value!r}") from None
            if new <= 0:
                raise ConfigError(f"amount must be > 0, not {value}")
        elif field == "date":
            _check_date(value)
        elif field == "currency":
            new = str(value).upper()
        with self.conn:
            self.conn.execute(f"UPDATE expenses SET {field} = ? WHERE id = ?", (new, target))
            self._history("correct", target, before)
        return self.get(target)

    def undo(self) -> dict:
        """Undo the last record or correction."""
        row = self.conn.execute("SELECT * FROM _history ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            raise ConfigError("Nothing to undo.")
        with self.conn:
            if row["action"] == "record":
                gone = self.get(row["expense_id"])
                self.conn.execute("DELETE FROM expenses WHERE id = ?", (row["expense_id"],))
                result = {"undid": "record", "expense": gone}
            else:
                before = json.loads(row["before"])
                self.conn.execute(f"UPDATE expenses SET {', '.join(f'{f} = ?' for f in FIELDS)} WHERE id = ?",
                                  (*[before[f] for f in FIELDS], row["expense_id"]))
                result = {"undid": "correct", "expense": before}
            self.conn.execute("DELETE FROM _history WHERE id = ?", (row["id"],))
        return result

    def _history(self, action: str, expense_id: int, before: dict | None) -> None:
        import time

        self.conn.execute("INSERT INTO _history (action, expense_id, before, ts) VALUES (?,?,?,?)",
                          (action, expense_id, json.dumps(before, ensure_ascii=False) if before else None, time.time()))

    def get(self, expense_id: int) -> dict:
        row = self.conn.execute("SELECT * FROM expenses WHERE id = ?", (expense_id,)).fetchone()
        if row is None:
            raise ConfigError(f"No expense #{expense_id}.")
        return dict(row)

    def last_id(self) -> int | None:
        row = self.conn.execute("SELECT expense_id FROM _history ORDER BY id DESC LIMIT 1").fetchone()
        if row and self.conn.execute("SELECT 1 FROM expenses WHERE id = ?", (row[0],)).fetchone():
            return row[0]
        row = self.conn.execute("SELECT MAX(id) FROM expenses").fetchone()
        return row[0]

    def rows(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM expenses ORDER BY date, id")]

    def export_csv(self, out: str | Path | IO[str]) -> int:
        """Write every expense as CSV (a path or an open text file); returns the row count."""
        rows = self.rows()
        handle = open(out, "w", newline="", encoding="utf-8") if isinstance(out, (str, Path)) else out
        try:
            writer = csv.DictWriter(handle, fieldnames=["id", *FIELDS])
            writer.writeheader()
            writer.writerows(rows)
        finally:
            if handle is not out:
                handle.close()
        return len(rows)

    def tools(self) -> list[Tool]:
        """The only writers, as agent tools."""
        return [Tool.from_function(self.record), Tool.from_function(self.correct), Tool.from_function(self.undo)]

    def close(self) -> None:
        self.conn.close()


def _check_date(value: str) -> None:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(f"date must be YYYY-MM-DD, not {value!r}") from None


# -- the app -----------------------------------------------------------------------------

INTENT_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["intent"],
                 "properties": {"intent": {"enum": ["record", "ask", "correct", "undo"]}}}
INTENT_SYSTEM = """You route messages in an expense-tracking chat. Answer with JSON {"intent": ...}:
- "record": the user reports money they spent ("lunch 180", "昨天午餐吃拉麵 180", "タクシー 2000円")
- "ask": a question about past spending ("how much on food this month?", "這個月花了多少？")
- "correct": the user fixes the expense just recorded ("no, it was 120", "不對, 是 120", "category is transport")
- "undo": remove or revert the last entry ("undo", "撤銷", "取り消し", "delete that")"""
# Worked examples, sent as chat turns: a 135M model follows turns better than a rule list.
INTENT_EXAMPLES = [("午餐 便當 120", "record"), ("how much did I spend on transport last month?", "ask"),
                   ("不對，是 250", "correct"), ("undo", "undo"),
                   ("Taxi to the airport 38 dollars", "record"), ("這個月吃飯花了多少？", "ask"),
                   ("no, the category is shopping", "correct"), ("取り消して", "undo")]
CORRECTION_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["field", "value"],
                     "properties": {"field": {"enum": ["amount", "date", "currency", "category", "merchant"]},
                                    "value": {"type": "string", "maxLength": 60}}}
CORRECTION_SYSTEM = """The user corrects the expense they just recorded. Say which field changes and its new value, as JSON {{"field": ..., "value": ...}}.
Fields: amount (a number), date (YYYY-MM-DD; today is {today}), currency (ISO code), category ({categories}), merchant.
The expense was: {expense}"""

_SAY = {  # language -> (recorded, corrected, undone record, undone correction, failed)
    "en": ("Recorded #{id}: {date} · {amount} {currency} · {category}{merchant}", "Corrected #{id}: {field} → {value}",
           "Undone: removed #{id} ({amount} {currency}).", "Undone: #{id} restored ({field_text}).", "Sorry: {why}"),
    "zh-Hant": ("已記錄 #{id}：{date} · {amount} {currency} · {category}{merchant}", "已更正 #{id}：{field} → {value}",
                "已撤銷：刪除 #{id}（{amount} {currency}）。", "已撤銷：#{id} 已還原（{field_text}）。", "抱歉：{why}"),
    "zh-Hans": ("已记录 #{id}：{date} · {amount} {currency} · {category}{merchant}", "已更正 #{id}：{field} → {value}",
                "已撤销：删除 #{id}（{amount} {currency}）。", "已撤销：#{id} 已还原（{field_text}）。", "抱歉：{why}"),
    "ja": ("記録しました #{id}：{date} · {amount} {currency} · {category}{merchant}", "訂正しました #{id}：{field} → {value}",
           "取り消しました：#{id} を削除（{amount} {currency}）。", "取り消しました：#{id} を元に戻しました（{field_text}）。",
           "すみません：{why}"),
}


@dataclass
class Reply:
    intent: str
    message: str
    expense: dict | None = None  # the row written, corrected or removed
    sql: str | None = None
    rows: list[tuple] = field(default_factory=list)
    trace: list[Visit] = field(default_factory=list)  # graph nodes visited, with their updates

    def to_dict(self) -> dict:
        return {"intent": self.intent, "message": self.message, "expense": self.expense, "sql": self.sql,
                "rows": [list(r) for r in self.rows], "trace": [v.node for v in self.trace]}


def best_recorder() -> tuple[str, str | None]:
    """(rung spec, model name or None for the default) for recording expenses."""
    try:
        from .climb import recommended

        rec = recommended("expenses")
    except ImportError:
        rec = None
    if rec and rec.get("rung"):
        return rec["rung"], rec.get("model")
    from .models import registered
    from .rungs import BASES

    if "expenses-student" in registered() and "student" in BASES:
        return "student", "expenses-student"
    return "retrieved-few-shot-4", None


class ExpenseApp:
    """One user's bookkeeping chat. ``handle(text) -> Reply``; the CLI and a server route
    both call it. ``model`` routes, corrects and writes SQL; ``record_model`` (default:
    the best recorder's model, else ``model``) extracts expenses."""

    def __init__(self, ledger: str | Path | Ledger, model: Model, *, record_model: Model | None = None,
                 rung: str | None = None, today: str | None = None, default_currency: str = "TWD",
                 sql_retries: int = 2, sql_shots: int = 4, run_id: str | None = None,
                 use_sql_student: bool = True):
        from .rungs import build_rung
        from .tasks import load_task

        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
        self.model, self.today, self.default_currency = model, today, default_currency
        self.sql_retries, self.sql_shots, self.run_id = sql_retries, sql_shots, run_id
        self.use_sql_student = use_sql_student
        spec, model_name = (rung, None) if rung else best_recorder()
        if record_model is None and model_name:
            from .models import get_model

            record_model = get_model(model_name)
        self.record_model = record_model or model
        self.rung_spec, self.rung = spec, build_rung(spec)
        self.task = load_task("expenses")
        self.writers = {t.name: t for t in self.ledger.tools()}
        self.graph = (Graph("classify")
                      .node("classify", self._classify, then=lambda s: s["intent"])
                      .node("record", self._record)
                      .node("ask", self._ask)
                      .node("correct", self._correct)
                      .node("undo", self._undo))

    def day(self) -> str:
        return self.today or dt.date.today().isoformat()

    def handle(self, text: str) -> Reply:
        state, trace = self.graph.run({"text": text.strip(), "lang": language(text)})
        reply = state["reply"]
        reply.trace = trace
        return reply

    # -- graph nodes: state -> updates ----------------------------------------------
    def _classify(self, s: dict) -> dict:
        turns = [m for text, intent in INTENT_EXAMPLES for m in (
            {"role": "user", "content": text}, {"role": "assistant", "content": json.dumps({"intent": intent})})]
        r = self.model.generate([{"role": "system", "content": INTENT_SYSTEM}, *turns, {"role": "user", "content": s["text"]}],
                                schema=INTENT_SCHEMA, max_tokens=16, run_id=self.run_id)
        return {"intent": r.parsed["intent"]}

    def _say(self, s: dict, i: int, **values) -> str:
        return _SAY[s["lang"]][i].format(**values)

    def _failed(self, s: dict, why: str) -> dict:
        return {"reply": Reply(s["intent"], self._say(s, 4, why=why))}

    def _record(self, s: dict) -> dict:
        pred = self.rung(self.task, {"text": s["text"], "today": self.day(), "default_currency": self.default_currency},
                         self.record_model, run_id=self.run_id)
        if pred.output is None:
            return self._failed(s, f"I could not read an expense from that ({pred.error}).")
        try:
            row = self.writers["record"]({**pred.output, "note": s["text"]})
        except ConfigError as e:
            return self._failed(s, str(e))
        merchant = f" · {row['merchant']}" if row["merchant"] else ""
        return {"reply": Reply("record", self._say(s, 0, **{**row, "amount": _num(row["amount"]), "merchant": merchant}), row)}

    def _ask(self, s: dict) -> dict:
        box = Sandbox(self.ledger.path)  # fresh: sees every committed write; read-only
        try:
            student = self._sql_student(box)
            shots = ledger_examples(s["text"], self.day(), self.sql_shots) if self.sql_shots and not student else ()
            ans = ask(s["text"], box, student or self.model, today=self.day(), retries=self.sql_retries,
                      examples=shots, run_id=self.run_id, student=student is not None)
        finally:
            box.close()
        return {"reply": Reply("ask", ans.answer, sql=ans.sql, rows=ans.rows)}

    def _sql_student(self, box: Sandbox) -> Model | None:
        """The ledger-sql student (`ladder distill --task ledger-sql --source gold`), if trained."""
        if not hasattr(self, "_student"):
            from .models import get_model

            name = ledger_student(box) if self.use_sql_student else None
            self._student = get_model(name) if name else None
        return self._student

    def _correct(self, s: dict) -> dict:
        last = self.ledger.last_id()
        if last is None:
            return self._failed(s, "there is no expense to correct yet.")
        expense = self.ledger.get(last)
        system = CORRECTION_SYSTEM.format(today=self.day(), expense=json.dumps(
            {k: expense[k] for k in FIELDS[:-1]}, ensure_ascii=False),
            categories=", ".join(INTENT_CATEGORIES))
        r = self.model.generate([{"role": "system", "content": system}, {"role": "user", "content": s["text"]}],
                                schema=CORRECTION_SCHEMA, max_tokens=40, run_id=self.run_id)
        try:
            row = self.writers["correct"]({"field": r.parsed["field"], "value": r.parsed["value"], "expense_id": last})
        except ConfigError as e:
            return self._failed(s, str(e))
        return {"reply": Reply("correct", self._say(s, 1, id=row["id"], field=r.parsed["field"],
                                                      value=_num(row[r.parsed["field"]])), row)}

    def _undo(self, s: dict) -> dict:
        try:
            done = self.writers["undo"]({})
        except ConfigError as e:
            return self._failed(s, str(e))
        e = done["expense"]
        if done["undid"] == "record":
            return {"reply": Reply("undo", self._say(s, 2, id=e["id"], amount=_num(e["amount"]), currency=e["currency"]), e)}
        text = ", ".join(f"{k}={_num(e[k])}" for k in ("date", "amount", "currency", "category", "merchant"))
        return {"reply": Reply("undo", self._say(s, 3, id=e["id"], field_text=text), e)}


INTENT_CATEGORIES = list(Category.__args__)


def _num(v):
    if isinstance(v, float) and v == int(v):
        return int(v)
    return v


def chat(app: ExpenseApp, lines: Iterable[str], out: IO[str], prompt: str = "> ") -> None:
    """The terminal chat: one reply per input line. '/export FILE' writes CSV, '/quit' ends."""
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
        except Exception as e:  # a failed model call must not end the chat
            out.write(f"Sorry: {e}\n")
            continue
        out.write(reply.message + "\n")
        if reply.sql:
            out.write(f"  SQL: {reply.sql}\n")
        out.flush()


__all__ = ["Ledger", "ExpenseApp", "Reply", "chat", "best_recorder"]
