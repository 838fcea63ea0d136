"""App routing (record / ask / correct / undo) with the bundled model: the rules-only
system prompt vs the same prompt plus ladder.apps.expenses.router.INTENT_EXAMPLES as chat turns, one run.

    .venv/bin/python bench/bench_app_routing.py
"""
import json
from ladder.models import get_model
from ladder.apps.expenses.router import INTENT_SYSTEM, INTENT_SCHEMA, INTENT_EXAMPLES
m = get_model("smollm2", n_threads=1)
cases = [("昨天午餐吃拉麵 180", "record"), ("how much did I spend on food this month?", "ask"), ("不對, 是 120", "correct"),
         ("撤銷", "undo"), ("這個月交通花了多少？", "ask"), ("Starbucks latte 150", "record"), ("wrong, it was 90", "correct"),
         ("delete that", "undo")]
for shots in (False, True):
    turns = [x for t, i in INTENT_EXAMPLES for x in ({"role": "user", "content": t}, {"role": "assistant", "content": json.dumps({"intent": i})})] if shots else []
    got = [m.generate([{"role": "system", "content": INTENT_SYSTEM}, *turns, {"role": "user", "content": t}], schema=INTENT_SCHEMA, max_tokens=16).parsed["intent"] for t, _ in cases]
    print("examples" if shots else "rules only", sum(g == w for g, (_, w) in zip(got, cases)), "/", len(cases), got, flush=True)
