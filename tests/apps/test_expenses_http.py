"""POST /v1/apps/expenses (apps/expenses/http.py) on a live loopback server."""

import httpx
import pytest

from ladder.apps.expenses import Ledger
from ladder.errors import ConfigError
from ladder.models import ScriptedModel
from ladder.server import ServerConfig
from ladder.server.app import create_app, running

TODAY = "2026-11-20"


def test_the_app_through_the_server_endpoint(tmp_path, brain):
    """Record, correct, ask, undo, with the same ledger and replies as the terminal chat."""
    calls = []
    ledger = tmp_path / "served.db"
    config = ServerConfig(apps=["expenses"], ledger=str(ledger), rung="zero-shot", today=TODAY)
    app = create_app(config, models={"smollm2": ScriptedModel(brain(calls))})
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/health").json()["apps"] == ["expenses"]
        said = [client.post("/v1/apps/expenses", json={"text": t}).json()
                for t in ("昨天午餐吃拉麵 180", "不對, 是 120", "how much did I spend on food this month?", "undo")]
        assert [r["intent"] for r in said] == ["record", "correct", "ask", "undo"]
        assert said[0]["expense"] == {"id": 1, "date": "2026-11-19", "amount": 180.0, "currency": "TWD",
                                      "category": "food", "merchant": None, "note": "昨天午餐吃拉麵 180"}
        assert said[1]["message"] == "已更正 #1：amount → 120"
        assert said[2]["rows"] == [[120.0]] and said[2]["sql"].startswith("SELECT SUM(amount)")
        assert said[2]["message"] == "The answer is 120."
        assert "restored" in said[3]["message"]
        # a per-request currency and date reach the recorder
        r = client.post("/v1/apps/expenses", json={"text": "Uber 45", "default_currency": "jpy", "today": "2026-01-02"})
        # the scripted extractor answers 2026-11-20, after that day's today: the task's fix
        # writes the date the text means (it names no day: today)
        assert r.json()["expense"]["amount"] == 45.0 and r.json()["expense"]["date"] == "2026-01-02"
        extract = [q for q in app.state.server.models["smollm2"].requests
                   if q.messages[0].content.startswith("Extract one expense")][-1]
        assert "today: 2026-01-02" in extract.messages[-1].content and "JPY" in extract.messages[-1].content
        bad = client.post("/v1/apps/expenses", json={"text": "x", "today": "tomorrow"})
        assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]["message"]
        empty = client.post("/v1/apps/expenses", json={"text": "  "})
        assert empty.status_code == 400 and "text is empty" in empty.json()["error"]["message"]
        unknown = client.post("/v1/apps/expenses", json={"txt": "x"})
        assert unknown.status_code == 400 and "txt" in unknown.json()["error"]["message"]
    rows = Ledger(ledger).rows()
    assert sorted((r["id"], r["amount"]) for r in rows) == [(1, 180.0), (2, 45.0)]
    assert calls[:2] == ["route", "extract"]


def test_the_route_is_not_mounted_unless_asked(tmp_path):
    app = create_app(ServerConfig(), models={"m": ScriptedModel(lambda m: "x")})
    with running(app) as url:
        assert httpx.post(f"{url}/v1/apps/expenses", json={"text": "x"}).status_code == 404


def test_unknown_app_is_a_clear_error():
    with pytest.raises(ConfigError, match="Unknown app"):
        create_app(ServerConfig(apps=["diary"]), models={"m": ScriptedModel(lambda m: "x")})
