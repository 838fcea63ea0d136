"""The read-only sandbox: every write refused, time and row limits, the schema description."""

import os
import sqlite3

import pytest

from ladder.apps.expenses import seed_path
from ladder.errors import ConfigError
from ladder.sql import Sandbox, sandbox_for

INJECTIONS = [
    "DELETE FROM expenses",
    "DROP TABLE expenses",
    "UPDATE expenses SET amount = 0",
    "INSERT INTO expenses (amount) VALUES (1)",
    "CREATE TABLE pwned (x)",
    "SELECT 1; DROP TABLE expenses",
    "SELECT * FROM expenses; DELETE FROM expenses",
    "ATTACH DATABASE '/tmp/ladder-pwned.db' AS p",
    "PRAGMA writable_schema = 1",
    "PRAGMA table_info(expenses)",
    "BEGIN; DELETE FROM expenses; COMMIT",
    "VACUUM",
    "REPLACE INTO expenses (id, amount) VALUES (1, 0)",
    "SELECT load_extension('/tmp/evil.so')",
    "WITH x AS (SELECT 1) DELETE FROM expenses",
    "'; DROP TABLE expenses; --",
    "```sql\nDROP TABLE expenses;\n```",
]


@pytest.mark.parametrize("sql", INJECTIONS)
def test_sandbox_refuses_every_write(ledger, state, sql):
    before, n = state(ledger)
    box = Sandbox(ledger)
    result = box.run(sql)
    box.close()
    assert result.error, f"{sql!r} was not refused"
    assert state(ledger) == (before, n) and n == 146


def test_sandbox_time_limit_and_row_cap(ledger):
    box = Sandbox(ledger, timeout_s=0.2, max_rows=5)
    slow = box.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c")
    assert "0.2 s limit" in slow.error
    capped = box.run("SELECT id FROM expenses ORDER BY id")
    assert capped.ok and capped.truncated and [r[0] for r in capped.rows] == [1, 2, 3, 4, 5]
    assert box.run("SELECT COUNT(*) FROM expenses").rows == [(146,)]  # still usable after a timeout
    assert "too big" in box.run("SELECT length(zeroblob(2000000000))").error


def test_sandbox_on_a_seed_script_is_locked_too():
    box = Sandbox(seed_path())
    assert box.run("DELETE FROM expenses").error
    assert box.run("SELECT COUNT(*) FROM expenses").rows == [(146,)]


def test_describe_gives_schema_and_sample_values(ledger):
    conn = sqlite3.connect(ledger)
    conn.execute("CREATE TABLE _history (id INTEGER)")
    conn.commit()
    conn.close()
    text = Sandbox(ledger).describe()
    assert "CREATE TABLE expenses" in text and "_history" not in text
    assert "'food'" in text and "'7-Eleven'" in text and "from 2026-08-01 to 2026-11-20" in text


def test_a_missing_database_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="demo-ledger"):
        Sandbox(tmp_path / "none.db")
    with pytest.raises(ConfigError, match="does not exist"):
        sandbox_for(tmp_path / "none.db")


def test_the_shared_sandbox_sees_a_changed_file(tmp_path):
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (x)")
        c.execute("INSERT INTO t VALUES (1)")
    assert sandbox_for(path).run("SELECT COUNT(*) FROM t").rows == [(1,)]
    with sqlite3.connect(path) as c:
        c.execute("INSERT INTO t VALUES (2)")
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))  # a later mtime
    assert sandbox_for(path).run("SELECT COUNT(*) FROM t").rows == [(2,)]
