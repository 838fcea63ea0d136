"""A fresh demo ledger per test, and what a write would change: its bytes and row count."""

import hashlib
import sqlite3

import pytest

from ladder.apps.expenses import demo_ledger


@pytest.fixture
def ledger(tmp_path):
    return demo_ledger(tmp_path / "ledger.db")


@pytest.fixture
def state():
    """``state(path) -> (sha256 of the file, rows in expenses)``."""
    def of(path):
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT COUNT(*) FROM expenses").fetchone()[0]
        return hashlib.sha256(path.read_bytes()).hexdigest(), rows
    return of
