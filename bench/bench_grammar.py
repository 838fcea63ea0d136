"""Valid by construction: greedy constrained decoding on schemas with unbounded strings.

The bundled model (SmolLM2-135M) under greedy decoding can repeat itself inside a
string until max_tokens, which leaves unterminated JSON. This runs each schema below
on ~100 varied short inputs (English, Chinese, Japanese), counts outputs that are
valid for the schema (``ladder.schema.validate``, one attempt, no retry), and in the
same run measures the per-token decode time of constrained vs free decoding on the
same prompts. Prints one table with the ratios.

    LADDER_THREADS=1 python bench/bench_grammar.py [--limit 100] [--max-tokens 256]
        [--mechanism all|none|bound|close|close+guard] [--free-every 5] [--free-max-tokens 64]
        [--schemas "expense (amount > 0)"] [--number-bounds on|off]

``--mechanism`` ablates what keeps output valid (grammar.py): ``bound`` = the default
maxLength/maxItems in the grammar (grammar.DEFAULT_MAX_LENGTH/DEFAULT_MAX_ITEMS), ``close`` = closing the JSON as the token budget
runs out, ``guard`` = closing a string that repeats itself; ``all`` (the default
behaviour) = all three; ``none`` = the grammar alone (the old behaviour).
``--number-bounds off`` ablates the grammar's numeric lower bounds (llama-cpp-python's
converter alone: ``exclusiveMinimum: 0`` allows ``0`` and ``-3``; closing writes ``0``).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

os.environ.setdefault("LADDER_LOG", "0")  # measure decoding, not the SQLite log

from ladder.models import get_model, grammar, llamacpp  # noqa: E402
from ladder.schema import validate  # noqa: E402

SCHEMAS = {
    "nullable string": (
        "Route the customer message. Give the order id if one is mentioned, else null.",
        {"type": "object", "properties": {
            "intent": {"enum": ["refund", "track", "cancel", "complaint", "other"]},
            "order_id": {"type": ["string", "null"]}},
         "required": ["intent", "order_id"]}),
    "free-text answer": (
        "Answer the customer in one short sentence.",
        {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}),
    "root string": ("Reply to the customer in one short sentence.", {"type": "string"}),
    "array of strings": (
        'List the key words of the message as a JSON array, e.g. ["word", "word"].',
        {"type": "array", "items": {"type": "string"}}),
    "nested object": (
        "Extract the customer and a summary of the message.",
        {"type": "object", "properties": {
            "customer": {"type": "object", "properties": {
                "name": {"type": ["string", "null"]}, "city": {"type": ["string", "null"]}},
                "required": ["name", "city"]},
            "summary": {"type": "string"}},
         "required": ["customer", "summary"]}),
    "enum + free string": (
        "Classify the sentiment of the message and give the reason.",
        {"type": "object", "properties": {
            "sentiment": {"enum": ["positive", "negative", "neutral"]}, "reason": {"type": "string"}},
         "required": ["sentiment", "reason"]}),
    "expense (issue 11)": (
        "Extract the expense as JSON: amount, currency and merchant (or null).",
        {"type": "object", "properties": {
            "amount": {"type": "number"}, "currency": {"type": "string"},
            "merchant": {"type": ["string", "null"]}},
         "required": ["amount", "currency", "merchant"]}),
    "expense (amount > 0)": (  # the bundled expenses task's bound; most inputs state no amount
        "Extract the expense as JSON: amount, currency and merchant (or null).",
        {"type": "object", "properties": {
            "amount": {"type": "number", "exclusiveMinimum": 0}, "currency": {"type": "string"},
            "merchant": {"type": ["string", "null"]}},
         "required": ["amount", "currency", "merchant"]}),
    "root string enum": ("Classify the sentiment.", {"type": "string", "enum": ["positive", "negative", "neutral"]}),
}

INPUTS = [
    "Where is my order A1234? It has been two weeks.",
    "I want a refund for order 99812, the blender arrived broken.",
    "Please cancel my subscription before the next billing date.",
    "Your delivery driver was rude and left the box in the rain.",
    "Can I change the shipping address for order #55-671?",
    "The headphones are great, thanks a lot!",
    "I was charged twice for the same purchase on March 3.",
    "Hi, this is Maria from Lisbon. My package never arrived.",
    "How do I return a gift without the receipt?",
    "Order 7781 came with the wrong size, I need a medium.",
    "Is the store in Boston open on Sundays?",
    "I love the new app update, checkout is so fast now.",
    "Track order ZX-2029 please.",
    "The coffee machine stopped working after three days.",
    "Paid 12.50 at Starbucks this morning.",
    "Taxi home from the airport, 45 dollars.",
    "Can you tell me when my refund will be processed?",
    "John Smith here, from Chicago. Nothing works since yesterday.",
    "My discount code SAVE20 does not apply at checkout.",
    "Great service, the support agent solved it in minutes.",
    "I need to cancel order 443 because I ordered it by mistake.",
    "The package says delivered but it is not at my door.",
    "Why is shipping to Canada so expensive?",
    "Bought groceries for 86 euros at Lidl.",
    "The sofa fabric is different from the photos.",
    "Please send me the invoice for order 2024-118.",
    "I am very disappointed, this is the third late delivery.",
    "Do you ship to Tokyo?",
    "Lunch with the team, 64.20 at an Italian place.",
    "Thank you for the quick replacement!",
    "My account is locked and I can't log in.",
    "Order B-7 arrived half empty.",
    "Can I pay with PayPal?",
    "The battery lasts only one hour, I want my money back.",
    "Anna Kowalski, Warsaw: the jacket is perfect.",
    "Where can I find the user manual for the X200 drill?",
    "Subscription renewed without warning, please refund.",
    "The app crashes every time I open the cart.",
    "I'd like to upgrade to the premium plan.",
    "Monthly train pass, 120 dollars.",
    "Your website is confusing, I could not find the size chart.",
    "Order 31337 — tracking has not updated in five days.",
    "Everything arrived on time and well packed.",
    "I received someone else's order, number 8890.",
    "How long does express delivery take to Berlin?",
    "The pizza was cold and an hour late.",
    "Kindly close my account and delete my data.",
    "Gym membership for March: 39.99.",
    "I can't believe how good this vacuum is.",
    "Please resend the confirmation email for order Q77.",
    "The strap broke on the first day.",
    "Is there a warranty on refurbished phones?",
    "Peter from Dublin: the refund still hasn't arrived.",
    "Concert tickets, 150 pounds, Ticketmaster.",
    "The colour is lovely but it runs small.",
    "My parcel is stuck at customs, what should I do?",
    "I want to exchange the blue shoes for black ones.",
    "Not happy. The product is fine but support never answers.",
    "Bought a book at the airport for 18 dollars.",
    "Can I schedule a delivery for Saturday morning?",
    "我的订单 A5521 还没到，已经十天了。",
    "我要退款，收到的杯子是碎的。",
    "请取消我的订单 30912。",
    "快递员态度很差，包裹被扔在门口。",
    "这个耳机音质非常好，谢谢！",
    "午饭花了 35 块，在食堂。",
    "地铁 5 块。",
    "我是北京的王芳，我的包裹一直没有送到。",
    "怎么修改收货地址？",
    "优惠码不能用，请帮我看看。",
    "衣服尺码不对，我想换大一号。",
    "客服很快就解决了我的问题，非常满意。",
    "为什么运费这么贵？",
    "订单 8812 显示已签收，但我没有收到。",
    "打车去机场花了 120 元。",
    "手机电池一天就没电了，我要退货。",
    "可以用支付宝付款吗？",
    "我想升级到高级会员。",
    "产品很好，但是包装破了。",
    "请把订单 556 的发票发给我。",
    "注文番号 A-778 がまだ届きません。",
    "返金をお願いします。商品が壊れていました。",
    "注文 4410 をキャンセルしてください。",
    "配達員の対応がひどかったです。",
    "このイヤホンは最高です、ありがとう！",
    "ユニクロで 3990 円のシャツを買いました。",
    "大阪の田中です。荷物が届いていません。",
    "配送先の住所を変更できますか？",
    "クーポンコードが使えません。",
    "サイズが小さかったので交換したいです。",
    "サポートの方がすぐに解決してくれました。",
    "送料が高すぎます。",
    "注文 9021 は配達済みになっていますが、受け取っていません。",
    "タクシーで 2500 円かかりました。",
    "バッテリーがすぐ切れるので返品したいです。",
    "クレジットカード以外で支払えますか？",
    "最高の映画でした。",
    "プレミアムプランにアップグレードしたいです。",
    "商品は良いですが、箱がつぶれていました。",
    "注文 612 の領収書を送ってください。",
]


def set_mechanism(name: str) -> None:
    """Ablate what keeps output valid (see the module docstring)."""
    parts = set(name.replace("all", "bound+close+guard").split("+")) - {"none"}
    if not parts <= {"bound", "close", "guard"}:
        raise SystemExit(f"unknown --mechanism {name!r}: use all, none, bound, close, close+guard")
    if "bound" not in parts:
        grammar.DEFAULT_MAX_LENGTH = grammar.DEFAULT_MAX_ITEMS = 0
    grammar.compile_grammar.cache_clear()
    real = grammar.GreedyGrammar

    def made(llm, g, max_tokens=None, reserve=0):
        sampler = real(llm, g, max_tokens if "close" in parts else None, reserve, repeat_guard="guard" in parts)
        samplers.append(sampler)
        return sampler

    llamacpp.GreedyGrammar = made


samplers: list = []  # every GreedyGrammar made, in order (closing statistics)


def set_number_bounds(on: bool) -> None:
    """Off: numbers as llama-cpp-python's converter writes them, closing with 0 (the old behaviour)."""
    if not on:
        grammar._signed_placeholder = lambda schema: schema
        grammar._MINIMAL = tuple("0" if m == "1" else m for m in grammar._MINIMAL)
    grammar.compile_grammar.cache_clear()


def per_token_ms(r) -> float | None:
    return (r.latency_s - r.ttft_s) / (r.completion_tokens - 1) * 1000 if r.completion_tokens > 1 else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=len(INPUTS), help="inputs per schema")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--mechanism", default="all")
    ap.add_argument("--free-every", type=int, default=5, help="also decode every n-th prompt free (overhead)")
    ap.add_argument("--free-max-tokens", type=int, default=64, help="free decoding: as long as a typical answer")
    ap.add_argument("--schemas", default=",".join(SCHEMAS), help="comma-separated names")
    ap.add_argument("--number-bounds", choices=["on", "off"], default="on",
                    help="off: the converter's numbers, no lower bounds (ablation)")
    args = ap.parse_args(argv)
    set_mechanism(args.mechanism)
    set_number_bounds(args.number_bounds == "on")
    model = get_model("smollm2")
    inputs = INPUTS[: args.limit]
    print(f"model {model.name}, threads {model.n_threads}, mechanism {args.mechanism} (default maxLength "
          f"{grammar.DEFAULT_MAX_LENGTH}, maxItems {grammar.DEFAULT_MAX_ITEMS}), number bounds "
          f"{args.number_bounds}, max_tokens {args.max_tokens}, "
          f"{len(inputs)} inputs per schema", flush=True)
    rows = []
    for name in args.schemas.split(","):
        system, schema = SCHEMAS[name]
        valid, tokens, cut, closed, guarded, c_ms, f_ms, bad = 0, [], 0, 0, 0, [], [], []
        start = time.perf_counter()
        for i, text in enumerate(inputs):
            del samplers[:]
            r = _one(model, text, system, schema, args.max_tokens)  # one attempt, as a rung asks
            ok = validate(schema, r.text)[1] is None
            valid += ok
            if not ok and len(bad) < 2:
                bad.append(r.text[:100])
            tokens.append(r.completion_tokens)
            cut += r.finish_reason == "length"
            if samplers:
                closed += samplers[-1].closing_steps > samplers[-1].repeats_cut
                guarded += samplers[-1].repeats_cut > 0
            if (ms := per_token_ms(r)) is not None:
                c_ms.append(ms)
            if args.free_every and i % args.free_every == 0:  # same prompt, no schema
                free = _one(model, text, system + " Answer as JSON.", None, args.free_max_tokens)
                if (ms := per_token_ms(free)) is not None:
                    f_ms.append(ms)
        wall = time.perf_counter() - start
        c_med = statistics.median(c_ms) if c_ms else float("nan")
        f_med = statistics.median(f_ms) if f_ms else float("nan")
        rows.append((name, valid, len(inputs), statistics.mean(tokens), max(tokens), cut, closed, guarded,
                     c_med, f_med, wall))
        print(f"  {name}: {valid}/{len(inputs)} valid, mean {statistics.mean(tokens):.0f} tokens, "
              f"{wall:.0f}s; invalid e.g. {bad}", flush=True)
    print()
    print("| schema | valid | valid % | mean tokens | max tokens | hit max_tokens | budget-closed | "
          "repeat-closed | ms/token constrained | ms/token free | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, v, n, mean, mx, cut, closed, guarded, c, f, _ in rows:
        print(f"| {name} | {v}/{n} | {100 * v / n:.1f} | {mean:.0f} | {mx} | {cut} | {closed} | {guarded} | "
              f"{c:.2f} | {f:.2f} | {c / f:.3f} |")
    total_v, total_n = sum(r[1] for r in rows), sum(r[2] for r in rows)
    ratios = [c / f for *_, c, f, _ in rows if not (math.isnan(c) or math.isnan(f))]  # nan: no free runs
    ratio = statistics.median(ratios) if ratios else float("nan")
    print(f"\nall: {total_v}/{total_n} valid ({100 * total_v / total_n:.2f} %); per-token decode time "
          f"constrained/free, median of the per-schema ratios (each paired in time): {ratio:.3f}; "
          f"wall {sum(r[-1] for r in rows):.0f}s")
    return 0


def _one(model, text, system, schema, max_tokens):
    stream = model.stream(text, system=system, schema=schema, max_tokens=max_tokens, log=False)
    for _ in stream:
        pass
    return stream.response


if __name__ == "__main__":
    sys.exit(main())
