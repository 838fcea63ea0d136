"""Write seed.sql: the demo ledger (deterministic; rerun to regenerate).

    python examples/ledger/generate.py

About 180 expenses from 2026-08-01 to 2026-11-20 in TWD, plus a trip to Japan in
October (JPY) and a few USD subscriptions. Notes mix English, 中文 and 日本語, as a
real bilingual ledger would. `ladder.apps.expenses.demo_ledger(path)` (`ladder sql demo-ledger FILE`) builds a SQLite file from it.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

# (category, merchant or None, low, high, weight, notes)
TWD = [
    ("food", "7-Eleven", 35, 180, 10, ["早餐", "coffee", "便當", "snacks"]),
    ("food", "全家", 30, 150, 8, ["早餐", "飯糰", "milk tea"]),
    ("food", "麥當勞", 89, 260, 4, ["lunch", "晚餐"]),
    ("food", "一蘭拉麵", 290, 420, 2, ["拉麵"]),
    ("food", "星巴克", 120, 260, 5, ["latte", "咖啡"]),
    ("food", "全聯", 180, 1600, 4, ["groceries", "買菜"]),
    ("transport", "Uber", 120, 480, 4, ["taxi home", "去機場"]),
    ("transport", "台北捷運", 20, 60, 10, ["MRT", "通勤"]),
    ("transport", "台灣高鐵", 700, 1490, 1, ["高鐵 to Taichung"]),
    ("transport", "中油", 600, 1500, 2, ["加油"]),
    ("shopping", "momo", 290, 3200, 3, ["online shopping", "衛生紙"]),
    ("shopping", "Uniqlo", 390, 1990, 2, ["shirt", "外套"]),
    ("entertainment", "威秀影城", 280, 600, 2, ["movie", "電影"]),
    ("entertainment", "錢櫃KTV", 500, 1400, 1, ["karaoke"]),
    ("health", "屈臣氏", 99, 600, 2, ["medicine", "維他命"]),
    ("health", "World Gym", 1288, 1288, 0, ["monthly gym"]),
    ("education", "誠品書店", 280, 980, 2, ["books", "書"]),
    ("utilities", "台電", 800, 2100, 0, ["電費"]),
    ("utilities", "中華電信", 599, 599, 0, ["phone bill"]),
    ("housing", None, 18000, 18000, 0, ["rent 房租"]),
]
JAPAN = [  # 2026-10-10 .. 2026-10-15
    ("food", "一蘭", 980, 1500, ["ラーメン"]),
    ("food", "ローソン", 300, 1200, ["朝ごはん", "おにぎり"]),
    ("transport", "JR東日本", 200, 3000, ["電車"]),
    ("shopping", "ドン・キホーテ", 1500, 9800, ["お土産"]),
    ("travel", "東横イン", 8800, 8800, ["hotel"]),
]


def rows() -> list[tuple]:
    rng = random.Random(7)
    out = []
    day, end = dt.date(2026, 8, 1), dt.date(2026, 11, 20)
    weighted = [t for t in TWD if t[4]]
    while day <= end:
        if day.day == 1:  # monthly bills
            out.append((day, 18000, "TWD", "housing", None, "rent 房租"))
            out.append((day, 1288, "TWD", "health", "World Gym", "monthly gym"))
            out.append((day, 390, "TWD", "entertainment", "Netflix", "subscription"))
            out.append((day, 9.99, "USD", "entertainment", "Spotify", "subscription"))
        if day.day == 15 and day.month % 2 == 0:
            out.append((day, rng.randint(800, 2100), "TWD", "utilities", "台電", "電費"))
        if day.day == 20:
            out.append((day, 599, "TWD", "utilities", "中華電信", "phone bill"))
        if dt.date(2026, 10, 10) <= day <= dt.date(2026, 10, 15):
            for cat, merchant, lo, hi, notes in rng.sample(JAPAN, 2):
                out.append((day, round(rng.randint(lo, hi), -1), "JPY", cat, merchant, rng.choice(notes)))
        elif rng.random() < 0.75:
            for _ in range(rng.choice([1, 1, 2])):
                cat, merchant, lo, hi, _w, notes = rng.choices(weighted, [t[4] for t in weighted])[0]
                out.append((day, rng.randint(lo, hi), "TWD", cat, merchant, rng.choice(notes)))
        day += dt.timedelta(days=1)
    return out


def sql_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def main() -> None:
    lines = [
        "-- The demo ledger (written by examples/ledger/generate.py; do not edit by hand).",
        "CREATE TABLE expenses (id INTEGER PRIMARY KEY, date TEXT, amount REAL, currency TEXT,"
        " category TEXT, merchant TEXT, note TEXT);",
    ]
    for date, amount, cur, cat, merchant, note in rows():
        values = ", ".join(sql_literal(v) for v in (date.isoformat(), amount, cur, cat, merchant, note))
        lines.append(f"INSERT INTO expenses (date, amount, currency, category, merchant, note) VALUES ({values});")
    Path(__file__).with_name("seed.sql").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines) - 2} expenses")


if __name__ == "__main__":
    main()
