"""Write train/dev/test.jsonl for the ledger-sql task (deterministic; rerun to regenerate).

    python examples/ledger-sql/generate.py

Questions in English, 繁體中文, 简体中文 and 日本語 over the demo ledger
(examples/ledger/seed.sql). Every intent has four phrasings per language: the first
two go to train, the third to dev, the fourth to test — so dev/test phrasings never
appear in training. Every gold SQL is executed against the demo ledger here, and an
item is kept only if its result is non-empty, not NULL, and does not add amounts in
different currencies.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from pathlib import Path

HERE = Path(__file__).parent
SEED = HERE.parent / "ledger" / "seed.sql"
LANGS = ["en", "zh-Hant", "zh-Hans", "ja"]

CATEGORIES = {  # category -> word per language
    "food": ["food", "餐飲", "餐饮", "食費"],
    "transport": ["transport", "交通", "交通", "交通費"],
    "shopping": ["shopping", "購物", "购物", "買い物"],
    "health": ["health", "醫療保健", "医疗保健", "医療・健康"],
    "utilities": ["utilities", "水電費", "水电费", "光熱費"],
    "education": ["books and education", "教育", "教育", "教育費"],
    "housing": ["rent", "房租", "房租", "家賃"],
    "travel": ["travel", "旅遊", "旅游", "旅行"],
}
CURRENCIES = {"JPY": ["yen", "日圓", "日元", "円"], "USD": ["US dollars", "美金", "美元", "米ドル"]}
MONTH_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December"]


def period_words(lang: str, kind: str, month: int) -> str:
    return {
        "this": ["this month", "這個月", "这个月", "今月"],
        "last": ["last month", "上個月", "上个月", "先月"],
        "named": [f"in {MONTH_EN[month - 1]}", f"{month}月", f"{month}月", f"{month}月"],
    }[kind][LANGS.index(lang)]


# intent -> per language four phrasings; {cat} {period} {merchant} {cur} {day} are slots
PHRASES = {
    "total_cat": {
        "en": ["How much did I spend on {cat} {period}?", "total {cat} spending {period}",
               "What did {cat} cost me {period}?", "{period}, how much went to {cat}?"],
        "zh-Hant": ["{period}{cat}花了多少錢？", "{period}{cat}總共多少", "我{period}在{cat}上花了多少？", "幫我算{period}的{cat}支出"],
        "zh-Hans": ["{period}{cat}花了多少钱？", "{period}{cat}一共多少", "我{period}在{cat}上花了多少？", "帮我算一下{period}的{cat}开销"],
        "ja": ["{period}の{cat}はいくら？", "{period}{cat}の合計", "{period}、{cat}にいくら使った？", "{period}の{cat}の支出を教えて"],
    },
    "count_cat": {
        "en": ["How many {cat} expenses did I have {period}?", "number of {cat} purchases {period}",
               "Count my {cat} entries {period}.", "{period}, how many times did I pay for {cat}?"],
        "zh-Hant": ["{period}有幾筆{cat}？", "{period}{cat}記了幾次", "我{period}{cat}消費幾筆？", "數一下{period}的{cat}筆數"],
        "zh-Hans": ["{period}有几笔{cat}？", "{period}{cat}记了几次", "我{period}{cat}消费几笔？", "数一下{period}的{cat}笔数"],
        "ja": ["{period}の{cat}は何件？", "{period}{cat}の件数", "{period}、{cat}で何回払った？", "{period}の{cat}の記録はいくつある？"],
    },
    "total_merchant": {
        "en": ["How much have I spent at {merchant} in total?", "total spent at {merchant}",
               "What is my all-time spending at {merchant}?", "Sum up everything I paid {merchant}."],
        "zh-Hant": ["我在{merchant}總共花了多少？", "{merchant}的總花費", "到目前為止{merchant}花了多少錢？", "把我付給{merchant}的錢加總"],
        "zh-Hans": ["我在{merchant}一共花了多少？", "{merchant}的总花费", "到现在为止{merchant}花了多少钱？", "把我付给{merchant}的钱加起来"],
        "ja": ["{merchant}で合計いくら使った？", "{merchant}の支出合計", "今までに{merchant}にいくら払った？", "{merchant}への支払いを全部足して"],
    },
    "top_merchant": {
        "en": ["Where did I spend the most on {cat} {period}?", "top {cat} merchant {period}",
               "Which shop got most of my {cat} money {period}?", "{period}, which merchant did I pay the most for {cat}?"],
        "zh-Hant": ["{period}{cat}花最多的是哪家？", "{period}{cat}最大的商家", "{period}哪家店拿走我最多{cat}的錢？", "{period}{cat}在哪裡花得最多"],
        "zh-Hans": ["{period}{cat}花最多的是哪家？", "{period}{cat}最大的商家", "{period}哪家店拿走我最多{cat}的钱？", "{period}{cat}在哪里花得最多"],
        "ja": ["{period}{cat}で一番使った店は？", "{period}の{cat}のトップの店", "{period}、{cat}に一番お金を使ったのはどこ？", "{period}の{cat}、最も支払った店はどこ？"],
    },
    "total_day": {
        "en": ["How much did I spend yesterday?", "yesterday's total spending",
               "What did I spend in total yesterday?", "Add up all my expenses from yesterday."],
        "zh-Hant": ["昨天花了多少？", "昨天總共花多少", "我昨天一共花了多少錢？", "把昨天的支出加起來"],
        "zh-Hans": ["昨天花了多少？", "昨天总共花多少", "我昨天一共花了多少钱？", "把昨天的支出加起来"],
        "ja": ["昨日いくら使った？", "昨日の支出合計", "昨日は全部でいくら使いましたか？", "昨日の出費を合計して"],
    },
    "total_currency": {
        "en": ["How much did I spend in {cur}?", "total of my {cur} expenses",
               "What have I paid in {cur} altogether?", "Sum of everything paid in {cur}."],
        "zh-Hant": ["用{cur}花了多少？", "{cur}支出總額", "我總共付了多少{cur}？", "把所有{cur}的消費加總"],
        "zh-Hans": ["用{cur}花了多少？", "{cur}支出总额", "我一共付了多少{cur}？", "把所有{cur}的消费加起来"],
        "ja": ["{cur}でいくら使った？", "{cur}の支出合計", "{cur}で全部でいくら払った？", "{cur}建ての支出を全部足して"],
    },
    "max_cat": {
        "en": ["What was my biggest {cat} expense {period}?", "largest {cat} payment {period}",
               "The most expensive {cat} item {period}?", "{period}, what's the highest single {cat} amount?"],
        "zh-Hant": ["{period}最貴的一筆{cat}是多少？", "{period}{cat}最大一筆", "{period}{cat}單筆最高多少？", "{period}{cat}裡金額最大的是多少"],
        "zh-Hans": ["{period}最贵的一笔{cat}是多少？", "{period}{cat}最大一笔", "{period}{cat}单笔最高多少？", "{period}{cat}里金额最大的是多少"],
        "ja": ["{period}の{cat}で一番高かったのはいくら？", "{period}{cat}の最大の支払い", "{period}、{cat}の一回の最高額は？", "{period}の{cat}で最も高い金額は？"],
    },
    "list_merchants": {
        "en": ["Which shops did I pay for {cat} {period}?", "list {cat} merchants {period}",
               "Where did I buy {cat} {period}?", "{period}, which places did I spend on {cat} at?"],
        "zh-Hant": ["{period}{cat}在哪些店花錢？", "列出{period}{cat}的商家", "{period}我在哪裡買{cat}？", "{period}{cat}去過哪些店"],
        "zh-Hans": ["{period}{cat}在哪些店花钱？", "列出{period}{cat}的商家", "{period}我在哪里买{cat}？", "{period}{cat}去过哪些店"],
        "ja": ["{period}{cat}はどの店で払った？", "{period}の{cat}の店一覧", "{period}、{cat}はどこで買った？", "{period}{cat}で行った店は？"],
    },
}


def gold_sql(intent: str, s: dict) -> tuple[str, str]:
    """(gold SQL, the WHERE clause whose rows it aggregates)."""
    where = {
        "total_cat": "category = '{cat}' AND date LIKE '{ym}-%'",
        "count_cat": "category = '{cat}' AND date LIKE '{ym}-%'",
        "total_merchant": "merchant = '{merchant}'",
        "top_merchant": "category = '{cat}' AND date LIKE '{ym}-%'",
        "total_day": "date = '{day}'",
        "total_currency": "currency = '{cur}'",
        "max_cat": "category = '{cat}' AND date LIKE '{ym}-%'",
        "list_merchants": "category = '{cat}' AND date LIKE '{ym}-%'",
    }[intent].format(**s)
    select = {
        "total_cat": "SELECT SUM(amount) FROM expenses WHERE {w}",
        "count_cat": "SELECT COUNT(*) FROM expenses WHERE {w}",
        "total_merchant": "SELECT SUM(amount) FROM expenses WHERE {w}",
        "top_merchant": "SELECT merchant FROM expenses WHERE {w} GROUP BY merchant ORDER BY SUM(amount) DESC LIMIT 1",
        "total_day": "SELECT SUM(amount) FROM expenses WHERE {w}",
        "total_currency": "SELECT SUM(amount) FROM expenses WHERE {w}",
        "max_cat": "SELECT MAX(amount) FROM expenses WHERE {w}",
        "list_merchants": "SELECT DISTINCT merchant FROM expenses WHERE {w}",
    }[intent]
    return select.format(w=where), where


def usable(conn, intent: str, sql: str, where: str) -> bool:
    rows = conn.execute(sql).fetchall()
    if not rows or all(v is None for r in rows for v in r):
        return False
    if intent in ("list_merchants", "top_merchant") and any(r[0] is None for r in rows):
        return False
    if intent == "top_merchant":  # a tie would make the gold answer arbitrary
        sums = conn.execute(f"SELECT SUM(amount) s FROM expenses WHERE {where} GROUP BY merchant ORDER BY s DESC LIMIT 2").fetchall()
        if len(sums) > 1 and sums[0][0] == sums[1][0]:
            return False
    if intent == "count_cat":
        return rows[0][0] > 0
    return conn.execute(f"SELECT COUNT(DISTINCT currency) FROM expenses WHERE {where}").fetchone()[0] == 1


def items(conn, rng: random.Random, phrasing: int, n: int) -> list[dict]:
    merchants = [m for (m,) in conn.execute("SELECT DISTINCT merchant FROM expenses WHERE merchant IS NOT NULL ORDER BY 1")]
    out, seen, tries = [], set(), 0
    while len(out) < n and tries < n * 50:
        tries += 1
        intent = rng.choice(list(PHRASES))
        lang = rng.choice(LANGS)
        li = LANGS.index(lang)
        today = dt.date(2026, 9, 3) + dt.timedelta(days=rng.randrange(0, 79))  # .. 2026-11-20
        kind = rng.choice(["this", "last", "named"])
        month = today.month if kind == "this" else (today.month - 1 if kind == "last" else rng.choice([8, 9, 10, 11][: today.month - 7]))
        cat = rng.choice(list(CATEGORIES))
        cur = rng.choice(list(CURRENCIES))
        s = {"cat": cat, "ym": f"2026-{month:02d}", "merchant": rng.choice(merchants), "cur": cur,
             "day": (today - dt.timedelta(days=1)).isoformat()}
        sql, where = gold_sql(intent, s)
        if not usable(conn, intent, sql, where):
            continue
        question = PHRASES[intent][lang][phrasing].format(
            cat=CATEGORIES[cat][li], period=period_words(lang, kind, month), merchant=s["merchant"],
            cur=CURRENCIES[cur][li])
        question = question[0].upper() + question[1:]
        key = (question, today.isoformat() if "{period}" in PHRASES[intent][lang][phrasing] or intent == "total_day" else "")
        if key in seen:
            continue
        seen.add(key)
        out.append({"input": {"question": question, "today": today.isoformat()}, "expected": {"sql": sql}})
    return out


def main() -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SEED.read_text(encoding="utf-8"))
    rng = random.Random(11)
    splits = {"train": items(conn, rng, 0, 160) + items(conn, rng, 1, 160),
              "dev": items(conn, rng, 2, 48), "test": items(conn, rng, 3, 64)}
    rng.shuffle(splits["train"])
    for name, rows in splits.items():
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(rows))


if __name__ == "__main__":
    main()
