"""The pages' routes over HTTP (no browser): headers, assets, the ledger's JSON, the key."""

from __future__ import annotations

import re

import httpx
import pytest

from ladder.apps.expenses import Ledger
from ladder.models import ScriptedModel
from ladder.server import ServerConfig
from ladder.server.app import create_app, running
from ladder.server.web import STATIC, totals


def test_pages_and_assets_carry_a_policy_that_forbids_other_origins(serve):
    url, _ = serve()
    for path in ("/", "/workbench", "/static/expenses.js", "/static/common.css", "/favicon.ico"):
        r = httpx.get(url + path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
        assert "unsafe-inline" not in csp and r.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(url + "/").headers["content-type"].startswith("text/html")
    assert httpx.get(url + "/static/expenses.js").headers["content-type"].startswith("text/javascript")
    for path in ("/docs", "/redoc", "/static/nope.js", "/static/..%2Fweb.py", "/static/.hidden"):
        assert httpx.get(url + path).status_code == 404, path
    assert "/v1/apps/expenses/rows/{expense_id}" in httpx.get(url + "/openapi.json").json()["paths"]


def test_every_asset_names_no_other_origin():
    """No URL to another host in what the pages load (the SVG namespace is a name, not a request)."""
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), path.name
        assert "<script>" not in text and " style=" not in text, f"{path.name}: inline script or style breaks the CSP"


def test_without_the_app_the_home_page_is_the_workbench():
    app = create_app(ServerConfig(), models={"m": ScriptedModel(lambda m: "x")})
    with running(app) as url:
        r = httpx.get(url + "/", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == "/workbench"
        assert httpx.get(url + "/v1/apps/expenses/rows").status_code == 404
        assert httpx.get(url + "/v1/workbench/climbs").json() == {"object": "list", "data": []}


def test_the_ledger_json_filters_corrects_undoes_and_exports(serve):
    url, ledger = serve()
    with httpx.Client(base_url=url, timeout=30) as client:
        nov = client.get("/v1/apps/expenses/rows", params={"month": "2026-11"}).json()
        assert nov["count"] == len(nov["rows"]) > 0 and all(r["date"].startswith("2026-11") for r in nov["rows"])
        assert nov["months"][0] == "2026-11" and nov["today"] == "2026-11-20" and "food" in nov["categories"]
        days = nov["totals"]["by_period"]
        assert len(days) == 30 and days[0]["period"] == "2026-11-01"
        food = client.get("/v1/apps/expenses/rows", params={"category": "food"}).json()
        assert {r["category"] for r in food["rows"]} == {"food"} and len(food["totals"]["by_period"]) >= 3  # months
        for params, word in (({"month": "2026-13"}, "YYYY-MM"), ({"category": "snacks"}, "category must be one of")):
            bad = client.get("/v1/apps/expenses/rows", params=params)
            assert bad.status_code == 400 and word in bad.json()["error"]["message"]

        assert client.post("/v1/apps/expenses", json={"text": "昨天午餐吃拉麵 180"}).json()["intent"] == "record"
        new = max(r["id"] for r in Ledger(ledger).rows())
        fixed = client.patch(f"/v1/apps/expenses/rows/{new}", json={"field": "amount", "value": 210})
        assert fixed.status_code == 200 and fixed.json()["expense"]["amount"] == 210.0
        fixed = client.patch(f"/v1/apps/expenses/rows/{new}", json={"field": "category", "value": "travel"})
        assert fixed.json()["expense"]["category"] == "travel"
        for body, word in (({"field": "note", "value": "x"}, "field must be one of"),
                           ({"field": "amount", "value": "lots"}, "amount must be a number"),
                           ({"field": "amount", "value": "inf"}, "amount must be > 0"),
                           ({"field": "category", "value": "snacks"}, "category must be one of"),
                           ({"field": "currency", "value": "dollars"}, "3-letter ISO 4217 code"),
                           ({"field": "amount", "value": "5", "extra": 1}, "unknown field")):
            bad = client.patch(f"/v1/apps/expenses/rows/{new}", json=body)
            assert bad.status_code == 400 and word in bad.json()["error"]["message"], body
        missing = client.patch("/v1/apps/expenses/rows/9999", json={"field": "amount", "value": "5"})
        assert missing.status_code == 400 and "No expense #9999" in missing.json()["error"]["message"]

        assert client.post("/v1/apps/expenses/undo").json()["undid"] == "correct"
        assert Ledger(ledger).get(new)["category"] == "food"
        client.post("/v1/apps/expenses/undo")
        gone = client.post("/v1/apps/expenses/undo").json()
        assert gone["undid"] == "record" and gone["expense"]["id"] == new
        assert new not in {r["id"] for r in Ledger(ledger).rows()}

        csv = client.get("/v1/apps/expenses/export.csv", params={"month": "2026-11", "category": "food"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert 'filename="ledger-2026-11-food.csv"' in csv.headers["content-disposition"]
        lines = csv.text.splitlines()
        assert lines[0] == "id,date,amount,currency,category,merchant,note"
        assert len(lines) - 1 == len([r for r in Ledger(ledger).rows()
                                      if r["date"].startswith("2026-11") and r["category"] == "food"])


def test_undo_on_an_empty_ledger_says_so(serve):
    url, ledger = serve(demo=False)
    assert httpx.get(url + "/v1/apps/expenses/rows").json()["rows"] == []
    assert not ledger.exists(), "a page view must not create the ledger"
    r = httpx.post(url + "/v1/apps/expenses/undo")
    assert r.status_code == 400 and r.json()["error"]["message"] == "Nothing to undo."


def test_with_an_api_key_every_json_route_needs_it_and_the_page_does_not(serve):
    url, _ = serve(api_key="sekrit")
    assert httpx.get(url + "/").status_code == 200  # the page holds no data; it asks for the key
    for path in ("/v1/apps/expenses/rows", "/v1/apps/expenses/export.csv", "/v1/workbench/climbs",
                 "/v1/workbench/runs", "/v1/workbench/tasks", "/v1/workbench/students"):
        r = httpx.get(url + path)
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key", path
        assert httpx.get(url + path, headers={"Authorization": "Bearer sekrit"}).status_code == 200, path
    assert httpx.post(url + "/v1/apps/expenses/undo").status_code == 401
    assert httpx.patch(url + "/v1/apps/expenses/rows/1", json={"field": "amount", "value": "1"}).status_code == 401


def test_workbench_json_of_a_measured_history(measured, serve):
    url, _ = serve(demo=False)
    with httpx.Client(base_url=url) as client:
        [climb] = client.get("/v1/workbench/climbs").json()["data"]
        assert climb["task"] == "expenses" and climb["recommendation"]["rung"] == "few-shot-2"
        run_id = climb["rows"][1]["run_id"]
        run = client.get(f"/v1/workbench/runs/{run_id}", params={"limit": 2}).json()
        assert run["total"] == 4 and len(run["records"]) == 2 and run["records"][0]["score"]["exact"] is True
        assert run["records"][0]["messages"][0]["role"] == "system"
        assert len(client.get(f"/v1/workbench/runs/{run_id}/calls").json()["data"]) == 4
        assert client.get("/v1/workbench/runs/nope").status_code == 404
        assert client.get(f"/v1/workbench/runs/{run_id}", params={"limit": 0}).status_code == 400
        [student] = client.get("/v1/workbench/students").json()["data"]
        assert student["savings"]["table"]["rows"][0][0].startswith("quality")
        tasks = {t["name"]: t for t in client.get("/v1/workbench/tasks").json()["data"]}
        assert tasks["expenses"]["runs"] == 2 and tasks["expenses"]["climbed"] and "ledger-sql" in tasks


def test_totals_never_add_different_currencies():
    rows = [{"date": "2026-11-02", "amount": 100.0, "currency": "TWD", "category": "food"},
            {"date": "2026-11-02", "amount": 50.0, "currency": "TWD", "category": "transport"},
            {"date": "2026-11-03", "amount": 900.0, "currency": "JPY", "category": "food"}]
    t = totals(rows, "2026-11", "TWD")
    assert t["currency"] == "TWD" and t["by_currency"] == {"JPY": 900.0, "TWD": 150.0}
    assert t["by_category"] == [{"category": "food", "amount": 100.0, "count": 1},
                                {"category": "transport", "amount": 50.0, "count": 1}]
    assert len(t["by_period"]) == 30 and t["by_period"][1] == {"period": "2026-11-02", "amount": 150.0}
    assert totals([], "", "TWD") == {"currency": "TWD", "by_currency": {}, "by_category": [], "by_period": []}
    with pytest.raises(ValueError):
        totals(rows, "2026-1", "TWD")
