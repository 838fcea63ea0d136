#!/usr/bin/env python3
"""Validate the expenses demo data (stdlib only).

Checks every line of train/dev/test/hard.jsonl: JSON parse, exact keys, real
calendar dates, date consistent with `today` (0-2 days before it, or a date in
the same year that is not after today), amount > 0 with at most 2 decimals,
ISO-style currency codes, category enum, merchant null or a non-empty string
that occurs in the text (case-insensitive). Prints counts per split / language
/ category and the number of texts shared between splits (must be 0 between
train and dev/test). Exits 1 on any problem.

Language is guessed from the text (kana / script-specific characters), so the
per-language counts are approximate for very short texts.
"""
import datetime as dt
import json
import os
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ["train", "dev", "test", "hard"]
CATEGORIES = ["food", "transport", "shopping", "entertainment", "housing", "utilities", "health",
              "education", "travel", "other"]
INPUT_KEYS = {"text", "today", "default_currency"}
EXPECTED_KEYS = {"date", "amount", "currency", "category", "merchant"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CUR_RE = re.compile(r"^[A-Z]{3}$")

# Characters whose form is specific to one writing system (others are shared).
JA_ONLY = set("円気払薬鉄売読楽図広転帰駅発弁様変両県価検実写単続総関経済歯剤乗晩対応険験覚観辺遅顔斉竜伝団"
              "帯戸拠権歓営芸覧証随逓閲銭湾灯焼麺鶏娯声数")
SIMP_ONLY = set("们这么买卖钱块饭费话车铁电发东书气网门问间开关级约难头说语贵对时现为华宝单员药续让应过还进远选铺讯识"
                "录备专业丰临众传伤务动协厂历吗启图场坏宽导岁币师带帮庄库张弹强归态总户执扩扫护报择挂换据无显术杀"
                "杂权极构标树样档桥梦检欢毕汇汉汤测浓济满灭灵灾热爱环现疗监盖盘确离种积穷筑红纪纯纸练组细终经结给"
                "络统继维综绿编罗职联脑脸艺节苏营虑补见观规视览觉订认讨议记讲许论设访证评详误请读课谁调谈谢贝负财"
                "责败货质购贴贺资赛赶转轮软较辆输边达运连适递邮银锁错键镜长闭阅队阳阴际陆险随顶项顺须顾预领频题颜"
                "额风飞饮饰饼馆马驶验骑鱼鸟鸡鸭齐龙卤烧虾钟两丽优净减剧办劳厅围圆处夹妈娱孙宁审宾庆惊扬抢拥挤摆"
                "杨枪柜栏毁沟泪泽洁涨滚烟烦爷犹狮猎盐签简类粮紧纠线绕绝缓缘缩罚肤肿胁脚舰艰艳荐荣莱获蓝虽补袜装计"
                "训诉诊词译试诗诚询该语误说诺读谁调谊谢贤账贩贫贯贷贸赁赏赔赖赚赞赠赢赵趋跃践轨轻载辅辉辑辞迁迈违"
                "迟遗邻郑酱释针钓钢钥钻铃铅铜铺链销锅锐锦镇闪闯闲闷闹闻阀阔阵阶陈陷隐难雾顿颗飘饥饱饺饿驾骗鲜鸣"
                "鸿鹅齿龄")
TRAD_ONLY = set("們這麼錢來氣鐵發點單會藥續讓應價實壞國圖廣轉歸驗讀賣樂醫體號麵滷廳燒雞鹹臺灣說貓稅區亞戲歲聽覺觀"
                "邊遲顏齊龍黃與專傳櫃團繳萬兩對寶鋪錄豐眾廠歷嗎啟寬帶幫莊彈總戶擴擔擇據顯雜權樣檔檢歡畢匯濟滿靈經"
                "繼綠聯腦臉藝營覽證險隨輛遞閱駛灣顆燈戲娛樂車費電話飯書網買塊計門間開關語時現員選業動場師報無術種"
                "紅組細終結給統維編職節補見規視訂認記講許設評請課調談謝貨購資賽輪較輸運連適銀錯鍵鏡長隊陽際陸順須"
                "顧預領頻題額風飛飲館馬魚鳥鴨蝦餐雲劇幣禮髮頭褲韓貸東問級約難貴為華訊識備臨傷務協後層張強態執掃護換"
                "極構標樹橋夢漢湯測濃滅災熱愛環療監蓋盤確離積窮築紀純紙練絡綿羅慮討議論訪詳誤誰貝負財責敗質貼賀軟"
                "郵鎖閉陰頂項飾餅騎鞋衣機車")
# TRAD_ONLY also holds characters shared with Japanese; kana and JA_ONLY separate Japanese first.
FALLBACK = {"TWD": "zh-Hant", "HKD": "zh-Hant", "CNY": "zh-Hans", "JPY": "ja"}
KANA_RE = re.compile(r"[\u3040-\u30ff]")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def ja_strong(text):
    return any(w in text for w in ("円", "昨日", "今日", "一昨日", "今朝", "昨晩", "昨夜", "今夜"))


def guess_lang(text, default_currency=""):
    if KANA_RE.search(text):
        return "ja"
    if not CJK_RE.search(text):
        return "en"
    ja = sum(ch in JA_ONLY for ch in text)
    simp = sum(ch in SIMP_ONLY for ch in text)
    trad = sum(ch in TRAD_ONLY for ch in text)
    best = max(ja, simp, trad)
    if best == 0:
        return FALLBACK.get(default_currency, "zh?")
    if simp == best and simp > trad:
        return "zh-Hans"
    if ja == best and ja > 0 and (trad == 0 or ja > trad or ja_strong(text)):
        return "ja"
    if trad == best:
        return "zh-Hant"
    return "ja"


def parse_date(s):
    if not isinstance(s, str) or not DATE_RE.match(s):
        raise ValueError(f"bad date format {s!r}")
    return dt.date.fromisoformat(s)  # raises on impossible dates


def check_row(row):
    errs = []
    if not isinstance(row, dict) or set(row) != {"input", "expected"}:
        return [f"top-level keys must be exactly input/expected, got {list(row) if isinstance(row, dict) else row!r}"]
    inp, exp = row["input"], row["expected"]
    if not isinstance(inp, dict) or set(inp) != INPUT_KEYS:
        errs.append(f"input keys {sorted(inp) if isinstance(inp, dict) else inp!r}")
        return errs
    if not isinstance(exp, dict) or set(exp) != EXPECTED_KEYS:
        errs.append(f"expected keys {sorted(exp) if isinstance(exp, dict) else exp!r}")
        return errs
    text = inp["text"]
    if not isinstance(text, str) or not text.strip():
        errs.append("empty text")
        text = ""
    if not isinstance(inp["default_currency"], str) or not CUR_RE.match(inp["default_currency"]):
        errs.append(f"bad default_currency {inp['default_currency']!r}")
    try:
        today = parse_date(inp["today"])
        date = parse_date(exp["date"])
        delta = (today - date).days
        if not (0 <= delta <= 2 or (date.year == today.year and delta >= 0)):
            errs.append(f"date {date} inconsistent with today {today}")
    except ValueError as e:
        errs.append(str(e))
    amt = exp["amount"]
    if isinstance(amt, bool) or not isinstance(amt, (int, float)) or not amt > 0:
        errs.append(f"bad amount {amt!r}")
    elif isinstance(amt, float) and abs(round(amt, 2) - amt) > 1e-9:
        errs.append(f"amount with more than 2 decimals {amt!r}")
    elif isinstance(amt, float) and amt == int(amt):
        errs.append(f"whole amount written as float {amt!r}")
    if not isinstance(exp["currency"], str) or not CUR_RE.match(exp["currency"]):
        errs.append(f"bad currency {exp['currency']!r}")
    if exp["category"] not in CATEGORIES:
        errs.append(f"bad category {exp['category']!r}")
    m = exp["merchant"]
    if m is not None:
        if not isinstance(m, str) or not m.strip():
            errs.append(f"bad merchant {m!r}")
        elif len(m) > 60:
            errs.append(f"merchant too long {m!r}")
        elif m.lower() not in text.lower():
            errs.append(f"merchant {m!r} not in text")
    return errs


def main():
    problems = 0
    texts = {}
    counts = {}
    for name in FILES:
        path = os.path.join(HERE, f"{name}.jsonl")
        if not os.path.exists(path):
            print(f"MISSING {path}")
            problems += 1
            continue
        rows = []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    print(f"{name}:{n}: blank line")
                    problems += 1
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    print(f"{name}:{n}: JSON error {e}")
                    problems += 1
                    continue
                for err in check_row(row):
                    print(f"{name}:{n}: {err}")
                    problems += 1
                rows.append(row)
        texts[name] = [r["input"]["text"] for r in rows if isinstance(r, dict) and "input" in r]
        c = defaultdict(Counter)
        for r in rows:
            try:
                lang = guess_lang(r["input"]["text"], r["input"]["default_currency"])
                c[lang][r["expected"]["category"]] += 1
            except (KeyError, TypeError):
                pass
        counts[name] = c
        dup = [t for t, k in Counter(t.strip().lower() for t in texts[name]).items() if k > 1]
        if dup:
            print(f"{name}: {len(dup)} duplicated texts, e.g. {dup[:3]}")
            problems += len(dup)

    langs = ["en", "zh-Hant", "zh-Hans", "ja", "zh?"]
    short = {c: c[:5] for c in CATEGORIES}
    print("\nrows per split / language (guessed) / category")
    header = f"{'split':6} {'lang':8} {'total':>5} " + " ".join(f"{short[c]:>5}" for c in CATEGORIES)
    print(header)
    for name in FILES:
        if name not in counts:
            continue
        tot = Counter()
        for lang in langs:
            cc = counts[name].get(lang)
            if not cc:
                continue
            tot.update(cc)
            print(f"{name:6} {lang:8} {sum(cc.values()):5} " + " ".join(f"{cc[c]:5}" for c in CATEGORIES))
        print(f"{name:6} {'ALL':8} {sum(tot.values()):5} " + " ".join(f"{tot[c]:5}" for c in CATEGORIES))

    norm = {k: {t.strip().lower() for t in v} for k, v in texts.items()}
    print("\noverlapping texts between splits")
    for a, b in [("train", "dev"), ("train", "test"), ("dev", "test"), ("train", "hard")]:
        if a in norm and b in norm:
            ov = len(norm[a] & norm[b])
            print(f"  {a}/{b}: {ov}")
            if ov:
                problems += ov
    if "hard" in norm and "test" in norm:
        missing = len(norm["hard"] - norm["test"])
        print(f"  hard rows missing from test: {missing}")
        problems += missing
    print(f"\n{'OK' if not problems else 'FAILED'}: {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
