"""Full-text terms for FTS5 that work for Chinese and Japanese as well as English.

Two tokenizations, measured by the retrieval eval (bench/RESULTS.md):

    jieba    (default) text is segmented with jieba (search mode: long words also
             yield their sub-words), plus every character bigram of CJK runs (so a
             query segmented differently from the text still matches), stored
             space-separated; FTS5 indexes it with ``porter unicode61`` (English
             stemming). Queries get the same terms.
    trigram  FTS5's trigram tokenizer on the raw text; a query becomes the OR of its
             latin words (3+ letters) and every character trigram of its CJK runs, so
             two-character Chinese words alone cannot match.

Queries are OR-ed terms ranked by BM25, so a long question still finds chunks that
share only some of its words. Stop words are dropped from queries only.
"""

from __future__ import annotations

import logging
import re

TOKENIZERS = {"jieba": "porter unicode61 remove_diacritics 2", "trigram": "trigram"}
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(r"\w", re.UNICODE)
STOP = set("""a an the of to in on at for from by with and or but is are was were be been being do does
did what which who whom whose when where why how this that these those it its as into than then there
their they them he she his her we our you your i my me not no can could should would will shall may
might must about over under after before if so such any all some many much more most other
的 了 是 在 和 与 吗 呢 吧 啊 什么 哪 哪个 哪些 怎么 怎样 如何 为什么 多少 几 谁 有 没有 一个 这 那 这个 那个 也 都 就 被 把 对 从 请问
は が を に で と の も へ や か ですか ます です する した""".split())


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _terms(text: str) -> list[str]:
    words = [t.strip() for t in _jieba().cut_for_search(text) if _WORD.search(t)]
    for run in re.findall(rf"[{_CJK}]{{2,}}", text):
        words += [run[i:i + 2] for i in range(len(run) - 1)]
    return words


def index_text(text: str, tokenizer: str) -> str:
    """What goes into the FTS5 column for a chunk."""
    if tokenizer == "trigram":
        return text
    return " ".join(_terms(text.lower()))


def query_terms(query: str, tokenizer: str) -> list[str]:
    q = query.lower()
    if tokenizer == "trigram":
        terms = [w for w in re.findall(rf"[^\W{_CJK}]{{3,}}", q) if w not in STOP]
        for run in re.findall(rf"[{_CJK}]+", q):
            terms += [run[i:i + 3] for i in range(len(run) - 2)]
    else:
        terms = [t for t in _terms(q) if t not in STOP]
    return list(dict.fromkeys(terms))


def match_expression(query: str, tokenizer: str) -> str | None:
    """An FTS5 MATCH string (OR of quoted terms), or None when the query has no terms."""
    terms = query_terms(query, tokenizer)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
