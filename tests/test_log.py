import sqlite3

from ladder import log


def test_migrations_are_named_forward_only_and_idempotent(tmp_path):
    db = sqlite3.connect(tmp_path / "x.db")
    assert log.migrate(db) == [name for name, _ in log.MIGRATIONS]
    assert log.migrate(db) == []  # nothing applied twice
    names = [r[0] for r in db.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in log.MIGRATIONS]


def test_log_path_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("LADDER_LOG_DB", str(tmp_path / "custom.db"))
    assert log.log_path() == tmp_path / "custom.db"
    monkeypatch.delenv("LADDER_LOG_DB")
    monkeypatch.setenv("LADDER_HOME", str(tmp_path / "h"))
    assert log.log_path() == tmp_path / "h" / "logs.db"
