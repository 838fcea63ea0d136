"""Task rules beyond the schema, for the self-check rung: each problem is fed back to
the model in words it can act on. validate(input, output) -> list of problems."""

import datetime
import re
import unicodedata

CURRENCIES = {"USD", "EUR", "JPY", "GBP", "CNY", "TWD", "HKD", "KRW", "SGD", "AUD", "CAD", "CHF",
              "THB", "MYR", "VND", "PHP", "IDR", "INR", "NZD", "MOP"}


def _numbers(text: str) -> set[float]:
    text = unicodedata.normalize("NFKC", text)
    found = {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    # small counts written as words ("四张", "two tickets") can multiply a price
    words = {"一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9, "十": 10, "two": 2, "three": 3, "four": 4, "five": 5}
    return found | {float(v) for w, v in words.items() if w in text.lower()}


def _explained(amount: float, numbers: set[float]) -> bool:
    """Is the amount a number in the text, a sum or product of two, or one scaled by
    千/万 (5万5千 = 55000)? Lenient on purpose: a false alarm misleads the model."""
    scaled = {n * s for n in numbers for s in (1, 1000, 10000)}
    candidates = scaled | {a + b for a in scaled for b in scaled} | {a * b for a in numbers for b in numbers}
    return any(abs(amount - c) < 1e-6 for c in candidates)


def validate(input: dict, output: dict) -> list[str]:
    problems = []
    today = datetime.date.fromisoformat(input["today"])
    try:
        date = datetime.date.fromisoformat(output["date"])
    except ValueError:
        problems.append(f"date {output['date']} is not a real calendar date")
    else:
        if date > today:
            problems.append(f"date {date} is after today ({today}); expenses are in the past")
        elif date.year != today.year and (today - date).days > 2:
            problems.append(f"date {date} should be in the year of today ({today.year})")
    numbers = _numbers(input["text"])
    has_digits = re.search(r"\d", unicodedata.normalize("NFKC", input["text"]))
    if has_digits and not _explained(output["amount"], numbers):
        problems.append(f"amount {output['amount']} does not appear in the text (numbers there: "
                        f"{', '.join(f'{n:g}' for n in sorted(numbers))})")
    if output["currency"] not in CURRENCIES:
        problems.append(f"currency {output['currency']} is not a known ISO 4217 code")
    merchant = output.get("merchant")
    if merchant and merchant.casefold().replace(" ", "") not in input["text"].casefold().replace(" ", ""):
        problems.append(f"merchant {merchant!r} is not written in the text; use the name as written, or null")
    return problems
