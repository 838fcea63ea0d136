"""Redaction on zh/ja/en text: what is replaced, what is left alone, and the way back."""

from __future__ import annotations

import pytest

from ladder.capture.redact import Redactor, luhn
from ladder.errors import ConfigError

CASES = [  # (text, the originals that must disappear)
    ("請寄到alice.chen@example.com.tw謝謝，電話0912-345-678，卡號4111 1111 1111 1111",
     ["alice.chen@example.com.tw", "0912-345-678", "4111 1111 1111 1111"]),
    ("身分證A123456789，市話(02) 2345-6789", ["A123456789", "(02) 2345-6789"]),
    ("身份证11010519491231002X，手机13812345678，邮箱wang@example.cn", ["11010519491231002X", "13812345678",
                                                                   "wang@example.cn"]),
    ("田中さんの電話は090-1234-5678、メールはtanaka@example.jp、マイナンバーは123456789018です。",
     ["090-1234-5678", "tanaka@example.jp", "123456789018"]),
    ("カード番号5555-5555-5555-4444で支払い、連絡先+81 3-1234-5678", ["5555-5555-5555-4444", "+81 3-1234-5678"]),
    ("Call +1 (415) 555-0100 or mail bob.smith+billing@corp.io; SSN 123-45-6789; Amex 378282246310005",
     ["+1 (415) 555-0100", "bob.smith+billing@corp.io", "123-45-6789", "378282246310005"]),
]

KEPT = [  # look like numbers, are not personal data
    "today: 2026-12-01 14:13, lunch 180 TWD, total 1,234.56",
    "card 4111-1111-1111-1112 fails the Luhn check",  # 16 digits, not a card, not a phone
    "訂單2026年12月1日，金額 3500 元，數量 12",
    "version 1.2.3, port 8000, year 2026",
]


@pytest.mark.parametrize("text,originals", CASES)
def test_personal_data_is_replaced_and_restored(text, originals):
    session = Redactor().session()
    redacted = session.redact(text)
    for original in originals:
        assert original not in redacted, (original, redacted)
    assert session.count == len(originals)
    assert session.restore(redacted) == text


@pytest.mark.parametrize("text", KEPT)
def test_dates_amounts_and_non_luhn_numbers_are_kept(text):
    assert Redactor().session().redact(text) == text


def test_placeholders_name_the_kind_and_repeat_for_the_same_original():
    s = Redactor().session()
    out = s.redact("a@x.io, b@x.io, again a@x.io, 0912-345-678")
    assert out == "[EMAIL_1], [EMAIL_2], again [EMAIL_1], [PHONE_1]"


def test_luhn():
    assert luhn("4111111111111111") and luhn("378282246310005")
    assert not luhn("4111111111111112")


def test_extra_patterns_from_yaml_come_first(tmp_path):
    path = tmp_path / "patterns.yaml"
    path.write_text("employee: 'EMP-\\d{6}'\nPLATE: '[A-Z]{3}-\\d{4}'\n", encoding="utf-8")
    s = Redactor.from_file(path).session()
    assert s.redact("社員EMP-123456の車はABC-1234") == "社員[EMPLOYEE_1]の車は[PLATE_1]"


@pytest.mark.parametrize("content,message", [
    ("- a\n- b\n", "mapping of NAME: REGEX"),
    ("BAD NAME: 'x'\n", "letters, digits and _"),
    ("X: '('\n", "not a valid regex"),
])
def test_bad_pattern_files_say_what_to_fix(tmp_path, content, message):
    path = tmp_path / "p.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        Redactor.from_file(path)


def test_streamed_answers_are_restored_wherever_a_piece_breaks():
    s = Redactor().session()
    s.redact("mail me at bob@example.com or 0912-345-678")
    answer = "Sure: [EMAIL_1], and [PHONE_1]. [not a placeholder] [EMAIL_9]"
    expected = s.restore(answer)
    assert "bob@example.com" in expected and "[EMAIL_9]" in expected
    for cut in range(1, len(answer)):  # two pieces, cut at every position
        r = s.stream_restorer()
        assert r.feed(answer[:cut]) + r.feed(answer[cut:]) + r.flush() == expected, cut
    r = s.stream_restorer()  # one character at a time
    assert "".join(r.feed(c) for c in answer) + r.flush() == expected
