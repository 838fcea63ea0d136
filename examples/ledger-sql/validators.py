"""Task rules beyond the schema: the SQL must run on the demo ledger and return rows.

The self-check rung feeds these problems back to the model, which turns the generic
`+self-check-N` wrapper into execution feedback (error / no rows / only NULL -> retry).
"""

from pathlib import Path

from ladder.sql import check_sql

LEDGER = Path(__file__).resolve().parent.parent / "ledger" / "seed.sql"


def validate(input: dict, output: dict) -> list[str]:
    return check_sql(LEDGER, output["sql"])
