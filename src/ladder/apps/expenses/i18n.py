"""Everything the app says, in one table: English, 繁體中文, 简体中文, 日本語.

The reply is in the language of the user's sentence (``language``, from its script).
Answers to questions are templates around the rows, not a model call: a 135M model
paraphrases numbers wrongly, and the rows are the answer.
"""

from __future__ import annotations

import re

from ...sql import format_rows, format_value

_SIMPLIFIED = set("这个们么过时说钱买块笔费乐饭机场觉见还没关开学车问从总计记账单")


def language(text: str) -> str:
    """'ja', 'zh-Hans', 'zh-Hant' or 'en', from the script of ``text``."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh-Hans" if _SIMPLIFIED & set(text) else "zh-Hant"
    return "en"


PHRASES: dict[str, dict[str, str]] = {  # language -> phrase name -> template
    "en": {
        "recorded": "Recorded #{id}: {date} · {amount} {currency} · {category}{merchant}",
        "corrected": "Corrected #{id}: {field} → {value}",
        "undid_record": "Undone: removed #{id} ({amount} {currency}).",
        "undid_correction": "Undone: #{id} restored ({field_text}).",
        "sorry": "Sorry: {why}",
        "answer": "The answer is {v}.", "rows": "{n} row(s):", "no_rows": "No matching expenses.",
        "cannot_answer": "I could not answer that: {p}",
    },
    "zh-Hant": {
        "recorded": "已記錄 #{id}：{date} · {amount} {currency} · {category}{merchant}",
        "corrected": "已更正 #{id}：{field} → {value}",
        "undid_record": "已撤銷：刪除 #{id}（{amount} {currency}）。",
        "undid_correction": "已撤銷：#{id} 已還原（{field_text}）。",
        "sorry": "抱歉：{why}",
        "answer": "答案是 {v}。", "rows": "共 {n} 筆：", "no_rows": "沒有找到符合的資料。",
        "cannot_answer": "無法回答：{p}",
    },
    "zh-Hans": {
        "recorded": "已记录 #{id}：{date} · {amount} {currency} · {category}{merchant}",
        "corrected": "已更正 #{id}：{field} → {value}",
        "undid_record": "已撤销：删除 #{id}（{amount} {currency}）。",
        "undid_correction": "已撤销：#{id} 已还原（{field_text}）。",
        "sorry": "抱歉：{why}",
        "answer": "答案是 {v}。", "rows": "共 {n} 条：", "no_rows": "没有找到符合的数据。",
        "cannot_answer": "无法回答：{p}",
    },
    "ja": {
        "recorded": "記録しました #{id}：{date} · {amount} {currency} · {category}{merchant}",
        "corrected": "訂正しました #{id}：{field} → {value}",
        "undid_record": "取り消しました：#{id} を削除（{amount} {currency}）。",
        "undid_correction": "取り消しました：#{id} を元に戻しました（{field_text}）。",
        "sorry": "すみません：{why}",
        "answer": "答えは {v} です。", "rows": "{n} 件：", "no_rows": "該当するデータはありません。",
        "cannot_answer": "答えられませんでした：{p}",
    },
}


def say(lang: str, phrase: str, **values) -> str:
    return PHRASES[lang][phrase].format(**values)


def answer_sentence(question: str, rows: list[tuple], problems: list[str] = ()) -> str:
    """The answer to a question about the ledger, in the question's language."""
    lang = language(question)
    if problems and not rows:
        return say(lang, "cannot_answer", p=problems[0])
    if not rows:
        return say(lang, "no_rows")
    if len(rows) == 1 and len(rows[0]) == 1:
        return say(lang, "answer", v=format_value(rows[0][0]))
    return f"{say(lang, 'rows', n=len(rows))}\n{format_rows(rows)}"
