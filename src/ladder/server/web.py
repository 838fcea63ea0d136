"""The web pages: the bookkeeping app at ``/`` and the workbench at ``/workbench``.

    GET  /                     the bookkeeping app (with --app expenses; else -> /workbench)
    GET  /workbench            tasks, climbs, runs and their records, students (workbench.py)
    GET  /static/NAME          the pages' own CSS, JS and icon (ladder/server/static/)
    GET  /v1/apps/expenses/rows?month=YYYY-MM&category=C   the ledger, filtered, with totals
    PATCH /v1/apps/expenses/rows/{id}   {"field", "value"}: the ledger's ``correct`` tool
    POST /v1/apps/expenses/undo         the ledger's ``undo`` tool
    GET  /v1/apps/expenses/export.csv?month=&category=    ``Ledger.export_csv``

Sentences (typed, or spoken: the page posts its recording to /v1/audio/transcriptions
and sends the transcript on) go to ``POST /v1/apps/expenses`` like any client's; the
routes here are what a page needs beyond that. An inline edit and the undo button call
the ledger's writer tools directly rather than as sentences: the user's intent is
already unambiguous, and a sentence would ask a model to guess it.

Every byte a page loads comes from this server: plain HTML, CSS and ES modules in
static/, no framework, no build step, charts drawn as SVG by the page. Pages carry a
Content-Security-Policy of ``default-src 'self'`` (no inline script or style either),
so a page cannot load from, or send to, another origin even if a ledger note held
markup (the page also only ever inserts text, never HTML). FastAPI's /docs and /redoc
stay off (they load from a CDN and no installed package ships their assets);
/openapi.json is there.

Security: the pages themselves hold no data and are served to anyone who can reach
the server (a browser navigation cannot send a bearer token); every JSON route is
behind ``guarded``. With --api-key the page asks for the key once, keeps it in the
browser's localStorage, and sends ``Authorization: Bearer`` on each fetch.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

from fastapi import Query
from fastapi.responses import RedirectResponse, Response

from .errors import ApiError
from .schemas import Strict

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
    "Cache-Control": "no-cache",  # revalidate: a new version of the page shows at once
}
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Correction(Strict):
    field: str
    value: str | float | int


def asset(name: str) -> Response:
    """One file of static/ with the page headers; only plain names of files that are there."""
    path = STATIC / name
    if not re.fullmatch(r"[\w-]+\.\w+", name) or path.suffix not in TYPES or not path.is_file():
        raise ApiError(404, f"No asset {name!r} here.", code="not_found")
    return Response(path.read_bytes(), media_type=TYPES[path.suffix], headers=PAGE_HEADERS)


def mount(app, server, guarded) -> None:
    """Add the pages, their assets and the app's page routes to ``app``."""
    from . import workbench

    expenses = server.apps.get("expenses")

    @app.get("/", include_in_schema=False)
    async def home():
        return asset("expenses.html") if expenses else RedirectResponse("/workbench")

    @app.get("/workbench", include_in_schema=False)
    async def workbench_page():
        return asset("workbench.html")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        return asset(name)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return asset("icon.svg")

    workbench.mount(app, server, guarded)
    if expenses:
        _mount_expenses(app, server, expenses, guarded)


def _mount_expenses(app, server, expenses, guarded) -> None:
    from ..apps.expenses.schema import CATEGORIES, CORRECTABLE

    # plain ``def`` routes run in FastAPI's thread pool: a file read never blocks the event loop
    @app.get("/v1/apps/expenses/rows", dependencies=guarded)
    def ledger_rows(month: str = "", category: str = "") -> dict:
        rows = expenses.rows()
        shown = _filter(rows, month, category, CATEGORIES)
        today = expenses.today or dt.date.today().isoformat()
        return {"object": "ledger.rows", "month": month or None, "category": category or None,
                "rows": shown, "count": len(shown), "totals": totals(shown, month, expenses.currency),
                "months": sorted({r["date"][:7] for r in rows if r.get("date")} | {today[:7]}, reverse=True),
                "categories": CATEGORIES, "fields": CORRECTABLE, "currency": expenses.currency, "today": today}

    @app.patch("/v1/apps/expenses/rows/{expense_id}", dependencies=guarded)
    async def correct_row(expense_id: int, req: Correction) -> dict:
        if req.field not in CORRECTABLE:
            raise ApiError(400, f"field must be one of {CORRECTABLE}, not {req.field!r}.", "field")
        value = req.value if isinstance(req.value, str) else repr(req.value)
        row = await expenses.write("correct", {"field": req.field, "value": value.strip(), "expense_id": expense_id})
        return {"object": "ledger.row", "expense": row}

    @app.post("/v1/apps/expenses/undo", dependencies=guarded)
    async def undo() -> dict:
        return {"object": "ledger.undo", **await expenses.write("undo", {})}

    @app.get("/v1/apps/expenses/export.csv", dependencies=guarded)
    async def export(month: str = Query("", description="YYYY-MM"), category: str = "") -> Response:
        shown = _filter(await asyncio.to_thread(expenses.rows), month, category, CATEGORIES)
        name = "-".join(["ledger", *(x for x in (month, category) if x)]) + ".csv"
        return Response(await expenses.export_csv(shown), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _filter(rows: list[dict], month: str, category: str, categories: list[str]) -> list[dict]:
    if month and not MONTH.match(month):
        raise ApiError(400, f"month must be YYYY-MM (e.g. 2026-11), not {month!r}.", "month")
    if category and category not in categories:
        raise ApiError(400, f"category must be one of {categories}, not {category!r}.", "category")
    return [r for r in rows if (not month or str(r["date"]).startswith(month))
            and (not category or r["category"] == category)]


def totals(rows: list[dict], month: str, default_currency: str) -> dict:
    """What the charts draw. Amounts in different currencies are never added together:
    the charts use one currency (the most used in ``rows``), the rest are listed apart.

    {"currency": "TWD", "by_currency": {"TWD": 1234.0, "JPY": 800.0},
     "by_category": [{"category", "amount", "count"}, ...]        (largest first)
     "by_period": [{"period": "2026-11-03" | "2026-11", "amount"}, ...]  (days of a month, else months)}
    """
    by_currency: dict[str, float] = defaultdict(float)
    uses: dict[str, int] = defaultdict(int)
    for r in rows:
        by_currency[r["currency"]] += r["amount"]
        uses[r["currency"]] += 1
    currency = max(uses, key=lambda c: (uses[c], c == default_currency)) if uses else default_currency
    mine = [r for r in rows if r["currency"] == currency]
    by_category: dict[str, list] = defaultdict(lambda: [0.0, 0])
    by_period: dict[str, float] = defaultdict(float)
    for r in mine:
        by_category[r["category"]][0] += r["amount"]
        by_category[r["category"]][1] += 1
        by_period[r["date"] if month else r["date"][:7]] += r["amount"]
    if month:  # every day of the month, spent or not: the chart's x axis
        first = dt.date.fromisoformat(month + "-01")
        days = ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - first).days
        for d in range(days):
            by_period.setdefault((first + dt.timedelta(days=d)).isoformat(), 0.0)
    return {"currency": currency, "by_currency": {c: round(v, 2) for c, v in sorted(by_currency.items())},
            "by_category": [{"category": c, "amount": round(a, 2), "count": n}
                            for c, (a, n) in sorted(by_category.items(), key=lambda kv: -kv[1][0])],
            "by_period": [{"period": p, "amount": round(a, 2)} for p, a in sorted(by_period.items())]}
