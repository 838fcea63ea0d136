"""The intent router: one sentence in, one Reply out.

    text ─▶ classify (model, structured output: record | ask | correct | undo)
              ├─ record  ─▶ the `expenses` task's rung (ladder.climb.pick) ─▶ Ledger.record  (writes)
              ├─ ask     ─▶ questions.ask_ledger on a read-only Sandbox             (never writes)
              ├─ correct ─▶ model: {"field", "value"} ─▶ Ledger.correct             (writes)
              └─ undo    ─▶ Ledger.undo                                              (writes)

The flow is a ladder.agents.Graph; the three writers are ladder.agents.Tools made from
Ledger's typed methods, so every write is checked against its signature. Questions go
through the SQL sandbox, which denies every write: "delete all my expenses" or an
injected ``DROP TABLE`` can at most produce a failed query.

The rung for recording is ``ladder.climb.pick("expenses")``: the last climb's pick,
else a trained expenses student, else ``retrieved-few-shot-4`` on the given model.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from ...agents import Graph, Visit
from ...errors import ConfigError
from ...models import Model
from ...sql import Sandbox
from .i18n import answer_sentence, language, say
from .ledger import Ledger
from .questions import ask_ledger, ledger_student
from .schema import CATEGORIES, CORRECTABLE, TASK

DEFAULT_RUNG = "retrieved-few-shot-4"  # before any climb or student: the best prompting rung measured

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
                     "properties": {"field": {"enum": CORRECTABLE},
                                    "value": {"type": "string", "maxLength": 60}}}
CORRECTION_SYSTEM = """The user corrects the expense they just recorded. Say which field changes and its new value, as JSON {{"field": ..., "value": ...}}.
Fields: amount (a number), date (YYYY-MM-DD; today is {today}), currency (ISO code), category ({categories}), merchant.
The expense was: {expense}"""


@dataclass
class Reply:
    intent: str
    message: str
    expense: dict | None = None  # the row written, corrected or removed
    sql: str | None = None
    rows: list[tuple] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the rows' column names (questions)
    trace: list[Visit] = field(default_factory=list)  # graph nodes visited, with their updates

    def to_dict(self) -> dict:
        return {"intent": self.intent, "message": self.message, "expense": self.expense, "sql": self.sql,
                "columns": self.columns, "rows": [list(r) for r in self.rows], "trace": [v.node for v in self.trace]}


class ExpenseApp:
    """One user's bookkeeping chat. ``handle(text) -> Reply``; the terminal chat and the
    HTTP route both call it. ``model`` routes, corrects and writes SQL; ``record_model``
    (default: the picked model, else ``model``) extracts expenses."""

    def __init__(self, ledger: str | Path | Ledger, model: Model, *, record_model: Model | None = None,
                 rung: str | None = None, today: str | None = None, default_currency: str = "TWD",
                 sql_retries: int = 2, sql_shots: int = 4, run_id: str | None = None,
                 use_sql_student: bool = True):
        from ...climb import pick
        from ...rungs import build_rung

        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
        self.model, self.today, self.default_currency = model, today, default_currency
        self.sql_retries, self.sql_shots, self.run_id = sql_retries, sql_shots, run_id
        self.use_sql_student = use_sql_student
        spec, model_name = (rung, None) if rung else pick(TASK, default=DEFAULT_RUNG)
        if record_model is None and model_name:
            from ...models import get_model

            record_model = get_model(model_name)
        self.record_model = record_model or model
        self.rung_spec, self.rung = spec, build_rung(spec)
        self.task = TASK
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

    def _failed(self, s: dict, why: str) -> dict:
        return {"reply": Reply(s["intent"], say(s["lang"], "sorry", why=why))}

    def _record(self, s: dict) -> dict:
        from ...rungs import repaired

        inp = {"text": s["text"], "today": self.day(), "default_currency": self.default_currency}
        # the task's fixes (the date a plain 昨天 means …) before a row is written, whatever the rung
        pred = repaired(self.task, inp, self.rung(self.task, inp, self.record_model, run_id=self.run_id))
        if pred.output is None:
            return self._failed(s, f"I could not read an expense from that ({pred.error}).")
        try:
            row = self.writers["record"]({**pred.output, "note": s["text"]})
        except ConfigError as e:
            return self._failed(s, str(e))
        merchant = f" · {row['merchant']}" if row["merchant"] else ""
        return {"reply": Reply("record", say(s["lang"], "recorded", **{**row, "amount": _num(row["amount"]),
                                                                        "merchant": merchant}), row)}

    def _ask(self, s: dict) -> dict:
        box = Sandbox(self.ledger.path)  # fresh: sees every committed write; read-only
        try:
            student = self._sql_student(box)
            ans = ask_ledger(s["text"], box, student or self.model, today=self.day(), student=student is not None,
                             shots=self.sql_shots, retries=self.sql_retries, run_id=self.run_id)
        finally:
            box.close()
        return {"reply": Reply("ask", answer_sentence(s["text"], ans.rows, ans.problems), sql=ans.sql, rows=ans.rows,
                                columns=list(ans.columns))}

    def _sql_student(self, box: Sandbox) -> Model | None:
        """The ledger-sql student (`ladder distill --task ledger-sql --source gold`), if trained."""
        if not hasattr(self, "_student"):
            from ...models import get_model

            name = ledger_student(box) if self.use_sql_student else None
            self._student = get_model(name) if name else None
        return self._student

    def _correct(self, s: dict) -> dict:
        last = self.ledger.last_id()
        if last is None:
            return self._failed(s, "there is no expense to correct yet.")
        expense = self.ledger.get(last)
        system = CORRECTION_SYSTEM.format(today=self.day(), categories=", ".join(CATEGORIES),
                                          expense=json.dumps({k: expense[k] for k in CORRECTABLE}, ensure_ascii=False))
        r = self.model.generate([{"role": "system", "content": system}, {"role": "user", "content": s["text"]}],
                                schema=CORRECTION_SCHEMA, max_tokens=40, run_id=self.run_id)
        fixed = r.parsed["field"]
        try:
            row = self.writers["correct"]({"field": fixed, "value": r.parsed["value"], "expense_id": last})
        except ConfigError as e:
            return self._failed(s, str(e))
        return {"reply": Reply("correct", say(s["lang"], "corrected", id=row["id"], field=fixed,
                                              value=_num(row[fixed])), row)}

    def _undo(self, s: dict) -> dict:
        try:
            done = self.writers["undo"]({})
        except ConfigError as e:
            return self._failed(s, str(e))
        e = done["expense"]
        if done["undid"] == "record":
            return {"reply": Reply("undo", say(s["lang"], "undid_record", id=e["id"], amount=_num(e["amount"]),
                                               currency=e["currency"]), e)}
        text = ", ".join(f"{k}={_num(e[k])}" for k in CORRECTABLE)
        return {"reply": Reply("undo", say(s["lang"], "undid_correction", id=e["id"], field_text=text), e)}


def _num(v):
    if isinstance(v, float) and v == int(v):
        return int(v)
    return v
