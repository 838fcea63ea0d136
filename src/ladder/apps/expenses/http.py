"""``POST /v1/apps/expenses``: the bookkeeping app over HTTP (``ladder serve --app expenses``).

The same ``ExpenseApp.handle`` as the terminal chat, so a sentence sent here records,
answers, corrects or undoes exactly as ``ladder app expenses`` would. One ledger per
server (``--ledger``); its SQLite connection lives in one dedicated thread, so requests
to the app run one at a time, in order. The routing model waits in the same per-model
queue as chat completions (a full queue is a 429). The server mounts this route by
name (ladder/server/apps.py); nothing else of the app loads until the first request.
"""

from __future__ import annotations

import datetime as dt
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

    def _handle(self, model, req: AppRequest) -> dict:
        from .router import ExpenseApp

        if self.app is None:
            self.app = ExpenseApp(self.ledger, model, rung=self.rung, default_currency=self.currency)
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

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
