"""Han characters: Sino-Korean (Hanja) and Mandarin readings, and Chinese company-form words.

A Han string can be Korean Hanja (金正恩) or Chinese (長安海連技術有限公司); both readings are
produced and the matcher keeps the better one. Mandarin comes from ``anyascii`` (one reading
per character, no tones; polyphonic characters such as 長 may be misread — ``pypinyin``'s
phrase dictionary would fix that but is not a dependency).
"""

from __future__ import annotations

import re

from anyascii import anyascii

from sanctionwatch.screening.korean import hanja_to_hangul

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Chinese/Japanese legal-form and generic words, longest first; removed before reading.
CJK_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "株式会社",
    "股份公司",
    "公司",
    "集团",
    "集團",
    "주식회사",
    "유한회사",
    "회사",
)


def has_han(text: str) -> bool:
    """True when ``text`` contains CJK ideographs."""
    return _HAN.search(text) is not None


def strip_cjk_legal_forms(text: str) -> str:
    """Remove Chinese/Japanese/Korean company-form words (有限公司, 株式会社, 주식회사 ...)."""
    for form in CJK_LEGAL_FORMS:
        text = text.replace(form, " ")
    return text.strip()


def mandarin(text: str) -> str:
    """Toneless pinyin, one syllable per token (``金正恩`` → ``jin zheng en``)."""
    out = []
    for ch in text:
        if _HAN.match(ch):
            out.append(" " + anyascii(ch).lower() + " ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def korean_reading(text: str) -> str:
    """Hangul (Sino-Korean) reading of the Han characters in ``text``."""
    return hanja_to_hangul(text)
