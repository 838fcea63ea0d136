"""``POST /v1/apps/expenses``: the bookkeeping app over HTTP (``ladder serve --app expenses``).

The same ``ExpenseApp.handle`` as the terminal chat, so a sentence sent here records,
answers, corrects or undoes exactly as ``ladder app expenses`` would. One ledger per
server (``--ledger``); its SQLite connection lives in one dedicated thread, so requests
to the app run one at a time, in order. The routing model waits in the same per-model
queue as chat completions (a full queue is a 429). The server mounts this route by
name (ladder/server/apps.py); nothing else of the app loads until the first request.

The web page (ladder/server/web.py) also calls the ledger's operations directly, with
no sentence and no model call: ``write("correct" | "undo", args)`` runs the app's own
writer tools in the app's thread (an inline edit is unambiguous; routing it through a
sentence would ask a model to guess), ``rows()`` reads the ledger through a read-only
connection (a table refresh never waits behind a question in flight), and
``export_csv(rows)`` is ``Ledger.export_csv``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...server.errors import ApiError
from ...server.schemas import Strict


class AppRequest(Strict):
    text: str
    today: str | None = None  # YYYY-MM-DD; default: the server's --today, else the real date
    default_currency: str | None = None  # default: the server's --currency


class ExpensesRoute:
    """Holds the app; builds it on first use, inside its own thread."""

    def __init__(self, server, ledger: str | Path | None, rung: str | None, currency: str, today: str | None):
        from ...log import data_dir

        self.server, self.rung, self.currency, self.today = server, rung, currency, today
        self.ledger = Path(ledger) if ledger else data_dir() / "ledger.db"
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ladder-app")
        self.app = None

    def _app(self, model):
        from .router import ExpenseApp

        if self.app is None:
            self.app = ExpenseApp(self.ledger, model, rung=self.rung, default_currency=self.currency)
        return self.app

    def _handle(self, model, req: AppRequest) -> dict:
        self._app(model)
        self.app.today = req.today or self.today
        self.app.default_currency = (req.default_currency or self.currency).upper()
        reply = self.app.handle(req.text)
        return {"object": "app.reply", "app": "expenses", "ledger": str(self.ledger), **reply.to_dict()}

    async def __call__(self, req: AppRequest) -> dict:
        if not req.text.strip():
            raise ApiError(400, "text is empty: send a sentence such as '昨天午餐吃拉麵 180'.", "text")
        if req.today is not None:
            try:
                dt.date.fromisoformat(req.today)
            except ValueError:
                raise ApiError(400, f"today must be YYYY-MM-DD, not {req.today!r}.", "today") from None
        name, model = self.server.model(None)
        return await self.server.run_in_slot(name, "app", self._handle, model, req, executor=self.executor)

    async def _in_app_thread(self, fn):
        """``fn(app)`` in the app's thread (where its SQLite connection lives), in order
        with the sentences being handled."""
        _, model = self.server.model(None)
        return await asyncio.get_running_loop().run_in_executor(self.executor, lambda: fn(self._app(model)))

    async def write(self, tool: str, arguments: dict) -> dict:
        """Call one of the ledger's writer tools (``correct``, ``undo``) with ``arguments``;
        returns what it returns (the corrected row; ``{"undid", "expense"}``). A bad field
        or value is the tool's own ConfigError (a 400 naming it)."""
        if tool not in ("correct", "undo"):
            raise ApiError(400, f"Unknown ledger operation {tool!r}: the page may correct or undo.")
        return await self._in_app_thread(lambda app: app.writers[tool](arguments))

    def rows(self) -> list[dict]:
        """Every expense, oldest first, read through a read-only connection ([] before the
        ledger exists: a page view never creates it)."""
        if not self.ledger.is_file():
            return []
        conn = sqlite3.connect(f"{self.ledger.resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute("SELECT * FROM expenses ORDER BY date, id")]
        except sqlite3.OperationalError:  # the file exists but holds no ledger yet
            return []
        finally:
            conn.close()

    async def export_csv(self, rows: list[dict]) -> str:
        """``rows`` as the ledger's CSV (``Ledger.export_csv``: id, then the ledger's fields)."""
        def export(app):
            buf = io.StringIO()
            app.ledger.export_csv(buf, rows=rows)
            return buf.getvalue()

        return await self._in_app_thread(export)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
