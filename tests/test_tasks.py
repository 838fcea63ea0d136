import functools
import json

import pytest

from ladder import ConfigError, DatasetError
from ladder.tasks import load_task


def test_bundled_demo_task_loads_with_all_splits():
    task = load_task("expenses")
    assert task.input_fields == ["text", "today", "default_currency"]
    assert task.output_fields == ["date", "amount", "currency", "category", "merchant"]
    sizes = {s: len(task.split(s)) for s in ("train", "dev", "test")}
    assert sum(sizes.values()) >= 400 and all(sizes.values())


def test_demo_labels_pass_the_task_validators():
    task = load_task("expenses")
    for split in ("train", "dev", "test"):
        for ex in task.split(split):
            assert task.check(ex.input, ex.expected) == [], ex.source


def test_validators_catch_wrong_answers():
    task = load_task("expenses")
    inp = {"text": "昨天午餐吃拉麵 180", "today": "2026-03-02", "default_currency": "TWD"}
    good = {"date": "2026-03-01", "amount": 180, "currency": "TWD", "category": "food", "merchant": None}
    assert task.check(inp, good) == []
    problems = task.check(inp, {**good, "date": "2026-03-05", "amount": 18, "merchant": "Starbucks"})
    assert any("after today" in p for p in problems)
    assert any("amount 18" in p for p in problems)
    assert any("merchant" in p for p in problems)
    assert task.check(inp, {**good, "category": "snacks"})  # schema error comes first


@pytest.mark.parametrize("text, field, wrong, meant", [
    ("昨天午餐吃拉麵 180", "date", "2026-03-02", "2026-03-01"),         # 昨天: today - 1
    ("一昨日 ランチ 1200円", "date", "2026-03-01", "2026-02-28"),       # not the 昨日 inside it
    ("Paid 2,350 yen for a bento on 2/14", "date", "2026-03-02", "2026-02-14"),
    ("taxi home 15", "date", "2026-03-01", "2026-03-02"),              # no day named: today
    ("Paid 2,350 yen for a bento", "currency", "TWD", "JPY"),
    ("メモ：38900台湾ドル 部屋代", "currency", "USD", "TWD"),          # 台湾ドル, not the ドル of USD
    ("午餐 180 元", "currency", "CNY", "TWD"),                        # 元: default_currency
    ("spent 180 dollars on lunch", "currency", "TWD", "USD"),         # not the "nt dollars" of TWD
    ("lunch, 180 Canadian dollars", "currency", "USD", "CAD"),
    ("arcade 180", "currency", "CAD", "TWD"),                          # no "cad" inside a word
    ("lunch 180 yuan", "currency", "TWD", "CNY"),
    ("午餐 180 澳元", "currency", "TWD", "AUD"),                       # not the 元 of default_currency
    ("dinner on the 5th, 180", "date", "2026-03-02", None),            # an ordinal: not plain, silent
])
def test_validators_name_the_date_and_currency_the_text_means(text, field, wrong, meant):
    """meant None: the text is not plain about it, and the rule stays silent."""
    task = load_task("expenses")
    inp = {"text": text, "today": "2026-03-02", "default_currency": "TWD"}
    out = {"date": "2026-03-02", "amount": 180, "currency": "TWD", "category": "food", "merchant": None}
    problems = [p for p in task.check(inp, {**out, field: wrong}) if p.startswith(field)]
    if meant is None:
        assert not problems, problems
        return
    assert len(problems) == 1 and problems[0].endswith(f"so the {field} is {meant}"), problems
    assert not [p for p in task.check(inp, {**out, field: meant}) if p.startswith(field)]


@pytest.mark.parametrize("text", ["last Friday taxi 15", "上週三 午餐 180", "3 days ago dinner 40",
                                  "dinner 40 on 3/1, paid 4/1"])
def test_the_date_rule_is_silent_when_the_text_is_not_plain(text):
    task = load_task("expenses")
    inp = {"text": text, "today": "2026-03-02", "default_currency": "TWD"}
    out = {"date": "2026-01-15", "amount": 15, "currency": "TWD", "category": "food", "merchant": None}
    assert not [p for p in task.check(inp, out) if p.startswith("date") and "not what the text means" in p]


def write_task(tmp_path, extra="", data_line=None):
    (tmp_path / "schema.json").write_text(json.dumps({
        "type": "object", "properties": {"label": {"enum": ["a", "b"]}},
        "required": ["label"], "additionalProperties": False}))
    line = data_line or '{"input": {"text": "x"}, "expected": {"label": "a"}}'
    (tmp_path / "train.jsonl").write_text(line + "\n")
    (tmp_path / "task.yaml").write_text(
        "name: t\ninstructions: Label it.\ninputs: [text]\noutput_schema: schema.json\n"
        "data: {train: train.jsonl}\n" + extra)
    return tmp_path / "task.yaml"


def test_unknown_key_in_task_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="instrucshuns"):
        load_task(write_task(tmp_path, "instrucshuns: oops\n"))


@pytest.mark.parametrize("line, message", [
    ('{"input": {"text": "x"}, "expected": {"label": "a"', "not valid JSON"),
    ('{"inputs": {"text": "x"}}', 'missing "input"'),
    ('{"input": {"txt": "x"}, "expected": {"label": "a"}}', "lacks field"),
    ('{"input": {"text": "x"}, "expected": {"label": "z"}}', "does not match the output schema"),
])
def test_bad_dataset_line_names_file_and_line(tmp_path, line, message):
    task = load_task(write_task(tmp_path))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": {"text": "ok"}, "expected": {"label": "b"}}\n' + line + "\n")
    with pytest.raises(DatasetError, match=message) as e:
        task.load(bad)
    assert e.value.line == 2 and e.value.path.endswith("bad.jsonl")
    assert "bad.jsonl:2" in str(e.value)


def test_unknown_task_lists_bundled_ones():
    with pytest.raises(ConfigError, match="expenses"):
        load_task("expensez")


@pytest.mark.parametrize("body, message", [
    ("- name: t\n- instructions: x\n", "must be a YAML mapping"),
    ("just a sentence\n", "must be a YAML mapping"),
    ("", "name: Field required"),
    ("name: t\ninputs: [text]\noutput_schema: schema.json\n", "instructions: Field required"),
    ("name: t\ninstructions: x\ninputs: [text]\noutput_schema: schema.json\ndata: {test: nope.jsonl}\n",
     "data.test: .*nope.jsonl does not exist"),
    ("name: t\ninstructions: x\ninputs: [text]\noutput_schema: missing.json\n",
     "output_schema: Schema file .*missing.json does not exist"),
    ("name: t\ninstructions: x\ninputs: [text]\noutput_schema: {type: strin}\n", "output_schema: Invalid JSON Schema"),
    ("name: t\ninstructions: x\ninputs: [text]\noutput_schema: schema.json\nmetric: {type: bleurt}\n", "bleurt"),
    ("name: t\ninstructions: x\ninputs: [text]\noutput_schema: schema.json\nmetric: {fields: {label: fuzzy}}\n",
     "fuzzy"),
    ("name: t\ninstructions: x\ninputs: [text]\noutput_schema: schema.json\ngeneration: {max_tokens: 0}\n",
     "generation.max_tokens"),
    ("name: t\ninstructions: [x\n", "Cannot read task file"),
])
def test_every_malformed_task_file_is_a_clear_error_naming_file_and_key(tmp_path, body, message):
    (tmp_path / "schema.json").write_text(json.dumps({
        "type": "object", "properties": {"label": {"enum": ["a", "b"]}}, "required": ["label"]}))
    path = tmp_path / "task.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message) as e:
        load_task(path)
    assert str(path) in str(e.value)


def test_a_missing_task_file_says_how_to_make_one(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="ladder init"):
        load_task(tmp_path / "empty")


def test_repair_sets_the_values_the_validators_name_and_nothing_else():
    task = load_task("expenses")
    inp = {"text": "昨天在全家買咖啡 45 元", "today": "2026-03-02", "default_currency": "TWD"}
    wrong = {"date": "2026-03-02", "amount": 45, "currency": "USD", "category": "food", "merchant": "Starbucks"}
    fixed, done = task.repair(inp, wrong)
    # the date and currency rules know the value; the merchant rule only says it is wrong: left alone
    assert fixed == {**wrong, "date": "2026-03-01", "currency": "TWD"}
    assert len(done) == 2 and done[0].endswith("so the date is 2026-03-01")
    assert wrong["date"] == "2026-03-02"  # the caller's output is not changed in place
    assert task.check(inp, fixed) == [("merchant 'Starbucks' is not written in the text; "
                                       "use the name as written, or null")]
    right = {**fixed, "merchant": "全家"}
    assert task.repair(inp, right) == (right, [])
    assert task.repair(inp, None) == (None, [])  # no answer: nothing to fix


def test_a_fix_is_applied_only_when_the_result_fits_the_schema(tmp_path):
    path = write_task(tmp_path, extra="validators: validators.py\n")
    (tmp_path / "validators.py").write_text(
        "def validate(input, output):\n"
        "    if input['text'] == 'bad fix':\n"
        "        return [{'problem': 'label is wrong', 'fix': {'label': 'c'}}]\n"  # c is not in the enum
        "    return [{'problem': 'label is wrong', 'fix': {'label': 'b'}}] if output['label'] == 'a' else []\n")
    task = load_task(path)
    assert task.check({"text": "x"}, {"label": "a"}) == ["label is wrong"]  # words for the self-check
    assert task.repair({"text": "x"}, {"label": "a"}) == ({"label": "b"}, ["label is wrong"])
    assert task.repair({"text": "bad fix"}, {"label": "a"}) == ({"label": "a"}, [])


T = "2026-03-10"
# Sentences written for the rules (not from the splits): (text, today, default_currency,
# the date meant or None when the text is not plain, the currency meant or None).
# A hint may stay silent; it may never name a wrong value — the student rung applies it.
EDGE = [
 ("きのうラーメン 900円", T, "JPY", "2026-03-09", "JPY"),
 ("ゆうべ居酒屋で4500円", T, "JPY", "2026-03-09", "JPY"),
 ("けさコンビニ 300円", T, "JPY", "2026-03-10", "JPY"),
 ("きょうのランチ 1200", T, "JPY", "2026-03-10", "JPY"),
 ("先日ユニクロで3990円", T, "JPY", None, "JPY"),
 ("この前の本代 1500円", T, "JPY", None, "JPY"),
 ("3日前にタクシー 2000円", T, "JPY", None, "JPY"),
 ("2026-03-05 taxi 300", T, "TWD", "2026-03-05", "TWD"),
 ("3/5/2026 dinner $40", T, "USD", "2026-03-05", "USD"),
 ("2026/3/5 晚餐 300", T, "TWD", "2026-03-05", "TWD"),
 ("lunch 12.50 recently", T, "USD", None, "USD"),
 ("RM 25 nasi lemak", T, "USD", T, "MYR"),
 ("paid 300 baht for massage", T, "USD", T, "THB"),
 ("泰铢 500 按摩", T, "CNY", T, "THB"),
 ("₹450 lunch", T, "USD", T, "INR"),
 ("500 pesos taxi", T, "USD", T, None),
 ("昨儿打车 35 块", T, "CNY", "2026-03-09", "CNY"),
 ("大前天 买书 88", T, "CNY", "2026-03-07", "CNY"),
 ("前晚 宵夜 120", T, "TWD", None, "TWD"),
 ("上禮拜 電影 320", T, "TWD", None, "TWD"),
 ("週末 KTV 600", T, "TWD", None, "TWD"),
 ("coffee 4.5 this morning", T, "USD", "2026-03-10", "USD"),
 ("groceries 54.20 on Sunday", T, "USD", None, "USD"),
 ("gas 40 over the weekend", T, "USD", None, "USD"),
 ("Spent 60 euros at the pharmacy yesterday", T, "USD", "2026-03-09", "EUR"),
 ("£12 lunch at Pret", T, "GBP", "2026-03-10", "GBP"),
 ("uber 23", T, "USD", "2026-03-10", "USD"),
 ("昨天 星巴克 拿鐵 150元", T, "TWD", "2026-03-09", "TWD"),
 ("昨日スタバで650円", T, "JPY", "2026-03-09", "JPY"),
 ("昨天淘宝买衣服 199 元", T, "CNY", "2026-03-09", "CNY"),
 ("3月8日 高鐵 1490", T, "TWD", "2026-03-08", "TWD"),
 ("3月8号 滴滴 45", T, "CNY", "2026-03-08", "CNY"),
 ("8 March dinner 30", T, "GBP", "2026-03-08", "GBP"),
 ("March 8th dinner 30", T, "GBP", "2026-03-08", "GBP"),
 ("dinner Mar. 8, 30 bucks", T, "GBP", "2026-03-08", "USD"),
 ("last year's gym fee 300", T, "USD", None, "USD"),
 ("去年 健身房 3000", T, "TWD", None, "TWD"),
 ("昨年の会費 5000円", T, "JPY", None, "JPY"),
 ("5000円 先月の電気代", T, "JPY", None, "JPY"),
 ("tonight's movie 15", T, "USD", "2026-03-10", "USD"),
 ("港币 200 午饭", T, "CNY", "2026-03-10", "HKD"),
 ("日幣 3000 的伴手禮", T, "TWD", "2026-03-10", "JPY"),
 ("人民币 88 在北京吃饭", T, "TWD", "2026-03-10", "CNY"),
 ("韓元 15000 午餐", T, "TWD", "2026-03-10", "KRW"),
 ("dinner 25 on 10-3", T, "USD", None, "USD"),
 ("今朝 タクシー 1800円", T, "JPY", "2026-03-10", "JPY"),
 ("おとといの飲み会 5000円", T, "JPY", "2026-03-08", "JPY"),
 ("前天 計程車 250", T, "TWD", "2026-03-08", "TWD"),
 ("a while ago, books 30", T, "USD", None, "USD"),
 ("just now: snacks 3", T, "USD", "2026-03-10", "USD"),
 ("12/25 gift 50", T, "USD", None, "USD"),
 ("Christmas gift 50", T, "USD", None, "USD"),
 ("CHF 30 lunch in Zurich", T, "EUR", "2026-03-10", "CHF"),
 ("30 Swiss francs lunch", T, "EUR", "2026-03-10", "CHF"),
 ("S$12 chicken rice", T, "USD", "2026-03-10", "SGD"),
 ("NT$250 便當", T, "USD", "2026-03-10", "TWD"),
 ("¥980 ramen", T, "JPY", "2026-03-10", None),
 ("15美元 午餐", T, "TWD", "2026-03-10", "USD"),
 ("五十元 早餐", T, "TWD", "2026-03-10", "TWD"),
 ("早上 早餐 50", T, "TWD", None, "TWD"),
 ("中午 便當 90", T, "TWD", "2026-03-10", "TWD"),
 ("晚上 火鍋 800", T, "TWD", None, "TWD"),
 ("夜 ラーメン 900円", T, "JPY", None, "JPY"),
 ("昼 定食 850円", T, "JPY", "2026-03-10", "JPY"),
("ロンドンでランチ 15ポンド", T, "JPY", T, "GBP"),
 ("grand total 50 for dinner", T, "USD", T, "USD"),
 ("NZ$30 fish and chips", T, "AUD", T, "NZD"),
 ("澳门元 200 葡挞", T, "HKD", T, "MOP"),
 ("2025-12-30 hotel 200", "2026-01-02", "USD", "2025-12-30", "USD"),
 ("12/30 hotel 200", "2026-01-02", "USD", None, "USD"),
("土曜にランチ 1200円", T, "JPY", None, "JPY"),
 ("Mon lunch 12", T, "USD", None, "USD"),
 ("元旦 红包 200", T, "CNY", None, "CNY"),
 ("花了20美刀买书", T, "CNY", T, "USD"),
 ("50欧 火车票", T, "CNY", T, "EUR"),
 ("欧元 30 晚饭", T, "CNY", T, "EUR"),
 ("欧洲旅游团 5000", T, "CNY", T, "CNY"),
 ("20刀 午餐", T, "CNY", T, "USD"),
 ("lunch 8 quid", T, "USD", T, "GBP"),
 ("下午茶 120", T, "TWD", T, "TWD"),
 ("剛剛 飲料 60", T, "TWD", T, "TWD"),
 ("next week's train ticket 30", T, "USD", None, "USD"),
]


@pytest.mark.parametrize("text, today, default, date, currency", EDGE)
def test_a_date_or_currency_hint_is_right_or_silent(text, today, default, date, currency):
    import datetime

    rules = _rules()
    d = rules.date_hint(text, datetime.date.fromisoformat(today))
    c = rules.currency_hint(text, default)
    assert d is None or d[1].isoformat() == date, d
    assert c is None or c[1] == currency, c


# Sentences written to trip the category rule (not from the splits): (text, the category the
# task's guide gives, or None when two categories are in it and the rule must stay silent).
CATEGORY_EDGE = [
 ("Uber Eats dinner 25", "food"), ("Uber to the office 14", "transport"), ("uber 23", "transport"),
 ("Lyft home 18", "transport"), ("Grab ride 9", "transport"), ("taxi to the airport 40", "transport"),
 ("hotel in Kyoto 180", "travel"), ("flight to Seoul 320", "travel"), ("Airbnb for the weekend 240", "travel"),
 ("taxi to the hotel 30", None), ("lunch at the hotel 45", None), ("flight wifi 8", "travel"),
 ("Netflix 15.49", "entertainment"), ("Spotify premium 10.99", "entertainment"), ("movie night 24", "entertainment"),
 ("karaoke with friends 60", "entertainment"), ("concert tickets 120", "entertainment"),
 ("Amazon order: headphones 89", "shopping"), ("new shoes 75", "shopping"), ("IKEA shelf 60", "shopping"),
 ("birthday gift for mom 50", "shopping"), ("Uniqlo jacket 59", "shopping"),
 ("rent for March 1200", "housing"), ("mortgage payment 1500", "housing"),
 ("electricity bill 68", "utilities"), ("internet bill 45", "utilities"), ("phone bill 35", "utilities"),
 ("water bill 22", "utilities"), ("gas bill 40", "utilities"), ("gas 40", None),
 ("doctor visit 80", "health"), ("pharmacy 12.5", "health"), ("dentist 150", "health"), ("gym membership 30", "health"),
 ("yoga class 20", "health"), ("textbook 65", "education"), ("online course 49", "education"),
 ("piano lesson 40", "education"), ("books 30", "education"),
 ("haircut 25", "other"), ("shipping a parcel 12", "other"), ("FedEx 30", "other"), ("donation 20", "other"),
 ("coffee 4.5", "food"), ("groceries 54.20", "food"), ("bubble tea 6", "food"), ("pizza delivery 22", "food"),
 ("train to Boston 45", "transport"), ("training shoes 80", "shopping"), ("personal trainer 60", "health"),
 ("parking 10", "transport"), ("petrol 50", "transport"), ("bus fare 2.75", "transport"),
 ("snacks for the movie 8", None), ("dinner and a movie 60", None),
 ("book a flight 300", "travel"), ("game night pizza 30", None), ("Steam game 20", "entertainment"),
 ("Switch game 60", "entertainment"), ("museum tickets 25", "entertainment"),
 # 繁體中文
 ("計程車 250", "transport"), ("捷運 30", "transport"), ("高鐵 1490", "transport"), ("飯店兩晚 5600", "travel"),
 ("機票 12000", "travel"), ("房租 18000", "housing"), ("電費 1200", "utilities"), ("網路費 599", "utilities"),
 ("看牙醫 800", "health"), ("藥局買感冒藥 250", "health"), ("健身房月費 1500", "health"), ("電影票 320", "entertainment"),
 ("買衣服 1200", "shopping"), ("蝦皮買耳機 890", "shopping"), ("補習費 5000", "education"), ("買書 450", None),
 ("郵局寄包裹 85", "other"), ("剪頭髮 300", None), ("便當 90", "food"), ("珍奶 65", "food"), ("星巴克拿鐵 150", "food"),
 ("錢櫃唱歌 450", "entertainment"), ("Uber Eats 晚餐 320", "food"), ("加油 1200", "transport"), ("停車費 60", "transport"),
 # 简体中文
 ("打车 35", "transport"), ("地铁 4", "transport"), ("滴滴 45", "transport"), ("高铁票 553.5", "transport"),
 ("酒店 480", "travel"), ("机票 1200", "travel"), ("房租 3500", "housing"), ("电费 200", "utilities"), ("话费 50", "utilities"),
 ("看病 300", "health"), ("药店 45", "health"), ("电影 60", "entertainment"), ("淘宝买衣服 199", "shopping"),
 ("学费 8000", "education"), ("顺丰快递 23", "other"), ("外卖 35", "food"), ("奶茶 18", "food"), ("火锅 260", "food"),
 ("红包 200", "other"), ("瑞幸 9.9", None), ("美团外卖 40", "food"), ("京东买键盘 299", None),
 # 日本語
 ("タクシー 1800円", "transport"), ("電車 220円", "transport"), ("新幹線 14000円", "transport"), ("ホテル 12000円", "travel"),
 ("航空券 35000円", "travel"), ("家賃 85000円", "housing"), ("電気代 6500円", "utilities"), ("スマホ代 3000円", "utilities"),
 ("病院 2500円", "health"), ("ドラッグストア 1200円", "health"), ("ジム 8000円", "health"), ("映画 1900円", "entertainment"),
 ("カラオケ 2000円", "entertainment"), ("ユニクロ 3990円", "shopping"), ("本屋 1500円", "education"), ("塾 20000円", "education"),
 ("クリーニング 1100円", "other"), ("ラーメン 900円", "food"), ("スタバ 650円", "food"), ("居酒屋 4500円", "food"),
 ("コンビニ 500円", None), ("新幹線の駅弁 1200円", None), ("Amazonプライム 600円", "entertainment"),
 ("ガソリン 5000円", "transport"), ("駐車場 800円", "transport"), ("パン屋 600円", "food"),
]


@pytest.mark.parametrize("text, category", CATEGORY_EDGE)
def test_a_category_hint_is_right_or_silent(text, category):
    hint = _rules().category_hint(text)
    assert hint is None or hint[1] == category, hint


def test_the_category_rule_fixes_through_the_task():
    task = load_task("expenses")
    inp = {"text": "計程車 250", "today": "2026-03-10", "default_currency": "TWD"}
    out = {"date": "2026-03-10", "amount": 250, "currency": "TWD", "category": "travel", "merchant": None}
    assert task.check(inp, out) == ["category travel is not what the text means: it says '計程車', so the "
                                    "category is transport"]
    assert task.repair(inp, out)[0]["category"] == "transport"


@functools.cache
def _rules():  # the expenses validators module, loaded once for the parametrized cases
    import importlib.util

    spec = importlib.util.spec_from_file_location("expense_rules", load_task("expenses").root / "validators.py")
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    return rules


def test_a_validator_returning_one_bare_problem_is_one_problem(tmp_path):
    path = write_task(tmp_path, extra="validators: validators.py\n")
    (tmp_path / "validators.py").write_text("def validate(input, output):\n    return 'label must be b'\n")
    assert load_task(path).check({"text": "x"}, {"label": "a"}) == ["label must be b"]
