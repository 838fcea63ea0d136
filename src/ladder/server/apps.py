"""The apps this server can mount at /v1/apps/NAME (``ladder serve --app NAME``).

An app's HTTP route lives with the app (ladder/apps/expenses/http.py); the server only
knows it by name. Importing that module loads the route and its request schema, not
the app itself (that happens on the first request).
"""

from __future__ import annotations

from ..apps.expenses.http import AppRequest, ExpensesRoute
from ..errors import ConfigError

APPS = ("expenses",)


def check_apps(names: list[str]) -> None:
    unknown = [n for n in names if n not in APPS]
    if unknown:
        raise ConfigError(f"Unknown app(s) {unknown}: this server has {list(APPS)}.")


__all__ = ["APPS", "AppRequest", "ExpensesRoute", "check_apps"]
