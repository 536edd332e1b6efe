"""Hangul → Latin (McCune-Reischauer, DPRK usage, Revised Romanisation) and a romanisation key.

The tables are written by hand from the jamo decomposition of a Hangul syllable
(U+AC00 + (initial·21 + vowel)·28 + final). No maintained Python library romanises
McCune-Reischauer well (rigour/ICU give a Revised-Romanisation-like ``gimjeong-eun`` for
김정은), and the DPRK's own spelling (``Kim Jong Un``, ``Ri``, ``Choe``) is MR without breves
and apostrophes, with ``j`` for ㅈ; so the three systems are one compact table each.
"""

from __future__ import annotations

import re
from functools import lru_cache

import hanja

_S_BASE, _S_END = 0xAC00, 0xD7A3
# 19 initials: ㄱ ㄲ ㄴ ㄷ ㄸ ㄹ ㅁ ㅂ ㅃ ㅅ ㅆ ㅇ ㅈ ㅉ ㅊ ㅋ ㅌ ㅍ ㅎ
_INITIAL = {
    "mr": [
        "k",
        "kk",
        "n",
        "t",
        "tt",
        "r",
        "m",
        "p",
        "pp",
        "s",
        "ss",
        "",
        "ch",
        "tch",
        "ch'",
        "k'",
        "t'",
        "p'",
        "h",
    ],
    "dprk": [
        "k",
        "kk",
        "n",
        "t",
        "tt",
        "r",
        "m",
        "p",
        "pp",
        "s",
        "ss",
        "",
        "j",
        "jj",
        "ch",
        "kh",
        "th",
        "ph",
        "h",
    ],
    "rr": [
        "g",
        "kk",
        "n",
        "d",
        "tt",
        "r",
        "m",
        "b",
        "pp",
        "s",
        "ss",
        "",
        "j",
        "jj",
        "ch",
        "k",
        "t",
        "p",
        "h",
    ],
}
# 21 vowels: ㅏ ㅐ ㅑ ㅒ ㅓ ㅔ ㅕ ㅖ ㅗ ㅘ ㅙ ㅚ ㅛ ㅜ ㅝ ㅞ ㅟ ㅠ ㅡ ㅢ ㅣ
_VOWEL = {
    "mr": [
        "a",
        "ae",
        "ya",
        "yae",
        "ŏ",
        "e",
        "yŏ",
        "ye",
        "o",
        "wa",
        "wae",
        "oe",
        "yo",
        "u",
        "wŏ",
        "we",
        "wi",
        "yu",
        "ŭ",
        "ŭi",
        "i",
    ],
    "dprk": [
        "a",
        "ae",
        "ya",
        "yae",
        "o",
        "e",
        "yo",
        "ye",
        "o",
        "wa",
        "wae",
        "oe",
        "yo",
        "u",
        "wo",
        "we",
        "wi",
        "yu",
        "u",
        "ui",
        "i",
    ],
    "rr": [
        "a",
        "ae",
        "ya",
        "yae",
        "eo",
        "e",
        "yeo",
        "ye",
        "o",
        "wa",
        "wae",
        "oe",
        "yo",
        "u",
        "wo",
        "we",
        "wi",
        "yu",
        "eu",
        "ui",
        "i",
    ],
}
# 28 finals (0 = none), romanised by their coda sound
_FINAL = [
    "",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
]
_FINAL_RR = _FINAL[:]
SYSTEMS = ("dprk", "mr", "rr")

# Two-syllable Korean surnames; everything else is a one-syllable surname.
_DOUBLE_SURNAMES = {"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방"}
# Hanja surnames whose name reading differs from the default dictionary reading.
_HANJA_SURNAME = {
    "金": "김",
    "李": "리",
    "柳": "류",
    "林": "림",
    "盧": "로",
    "羅": "라",
    "梁": "량",
    "呂": "려",
    "龍": "룡",
    "劉": "류",
    "陸": "륙",
}


def is_hangul(ch: str) -> bool:
    """True for a precomposed Hangul syllable."""
    return _S_BASE <= ord(ch) <= _S_END


def romanize_syllable(ch: str, system: str = "dprk") -> str:
    """One Hangul syllable in ``system`` (``dprk``, ``mr`` or ``rr``)."""
    code = ord(ch) - _S_BASE
    ini, rest = divmod(code, 21 * 28)
    vow, fin = divmod(rest, 28)
    return _INITIAL[system][ini] + _VOWEL[system][vow] + _FINAL[fin]


def romanize_word(word: str, system: str = "dprk") -> list[str]:
    """A Hangul word as romanised syllables (non-Hangul characters pass through)."""
    out: list[str] = []
    for ch in word:
        out.append(romanize_syllable(ch, system) if is_hangul(ch) else ch)
    return out


def romanize_name(text: str, system: str = "dprk") -> str:
    """A Korean personal or organisation name in Latin letters, one syllable per token.

    A run of 2–4 Hangul syllables with no space is read as surname + given name
    (``김정은`` → ``kim jong un`` in DPRK usage, ``gim jeong eun`` in RR).
    """
    words = []
    for w in text.split():
        sylls = romanize_word(w, system)
        words.append(" ".join(sylls))
    return " ".join(words)


def hanja_to_hangul(text: str) -> str:
    """Sino-Korean reading of Hanja (via ``hanja``), with surname readings fixed for the
    first character of a word (金 is 김 as a surname, 금 otherwise)."""
    words = []
    for w in text.split():
        if w and w[0] in _HANJA_SURNAME:
            words.append(_HANJA_SURNAME[w[0]] + hanja.translate(w[1:], "substitution"))
        else:
            words.append(hanja.translate(w, "substitution"))
    return " ".join(words)


# Collapse the variants of romanised Korean: MR/DPRK/RR/ad hoc (Pak/Park/Bak, Ri/Lee/Rhee/Yi,
# Choe/Choi, Ryu/Yu, Kang/Gang, Jong/Chong/Jeong, Un/Eun, Sik/Shik).
_KEY_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"ŏ", "o"),
        (r"ŭ", "u"),
        (r"[^a-z]", ""),
        (r"ee", "i"),
        (r"oo", "u"),
        (r"you", "yo"),
        (r"ou", "u"),
        (r"^([a-z])h", r"\1"),  # rhee, khim
        (r"([kptc])h", r"\1"),  # aspiration marks k' t' p' ch' written as kh th ph
        (r"sh", "s"),
        (r"tc|ts|dz|z", "j"),
        (r"c", "j"),
        (r"g(?!$)", "k"),
        (r"ng$", "N"),
        (r"g", "k"),
        (r"N", "ng"),
        (r"b", "p"),
        (r"d", "t"),
        (r"l", "r"),
        (r"f", "p"),
        (r"v", "p"),
        (r"(.)\1", r"\1"),  # kk, tt, pp, ss, jj, ee, oo
        (r"eo", "o"),
        (r"eu", "u"),
        (r"oe|oi|ae|ai|ey|ay", "e"),
        (r"weo|wo", "o"),
        (r"ui|wi", "i"),
        (r"^[ry](?=[iy])", ""),  # Ri/Lee/Yi/I, Ryu/Yu, Rim/Im
        (r"^r(?=[aeiouwy])", "r"),
        (r"ar(?=[kptjsnm])", "a"),  # Park → Pak
        (r"^y(?=i)", ""),
    ]
]


@lru_cache(maxsize=200_000)
def korean_key(token: str) -> str:
    """A phonetic key that collapses romanisation variants of Korean syllables."""
    k = token.lower()
    for pat, rep in _KEY_RULES:
        k = pat.sub(rep, k)
    return k


def _syllable_keys() -> frozenset[str]:
    keys: set[str] = set()
    for code in range(_S_BASE, _S_END + 1):
        for system in SYSTEMS:
            keys.add(korean_key(romanize_syllable(chr(code), system)))
    # common ad-hoc spellings that the three systems never produce
    for extra in (
        "lee",
        "rhee",
        "yi",
        "park",
        "choi",
        "shin",
        "chung",
        "cheong",
        "chul",
        "sung",
        "hyun",
        "young",
        "yoon",
        "joon",
        "soo",
        "hoon",
        "woo",
        "yoo",
    ):
        keys.add(korean_key(extra))
    keys.discard("")
    return frozenset(keys)


_SYLLABLE_KEYS = _syllable_keys()

# The ~70 commonest Korean surnames (both Koreas), as Hangul; keyed in all three systems.
_SURNAMES_HANGUL = (
    "김 이 리 박 최 정 강 조 윤 장 임 림 한 오 서 신 권 황 안 송 류 유 전 홍 고 문 "
    "양 량 손 배 백 허 남 심 노 로 하 곽 성 차 주 우 구 민 나 라 진 지 엄 원 채 천 "
    "방 공 현 함 변 염 렴 여 려 추 도 소 석 선 설 마 길 연 위 표 명 기 반 왕 금 옥 "
    "육 인 맹 제 모 탁 계 편 태 용 룡"
)
_SURNAME_KEYS = frozenset(
    korean_key(romanize_syllable(ch, system))
    for ch in _SURNAMES_HANGUL.split()
    for system in SYSTEMS
) | frozenset(korean_key(x) for x in ("lee", "rhee", "yi", "park", "choi", "chung", "shin"))


def is_korean_name(tokens: list[str]) -> bool:
    """True when every token is romanised Korean and one is a common Korean surname;
    only then are Korean romanisation keys compared (a guard against ``Obama`` ≈ ``Opama``)."""
    return (
        len(tokens) >= 2
        and all(is_korean_like(t) for t in tokens)
        and any(korean_key(t) in _SURNAME_KEYS for t in tokens)
    )


_MAX_SYL = max(len(k) for k in _SYLLABLE_KEYS)


@lru_cache(maxsize=200_000)
def is_korean_like(token: str) -> bool:
    """True when ``token`` splits into 1–3 romanised Korean syllables (so the Korean key
    is a fair comparison; keeps ``Frank``/``Martin`` out of Korean phonetics)."""
    k = korean_key(token)
    if not k or len(k) > 3 * _MAX_SYL:
        return False
    # dp[i] = fewest syllables covering k[:i]
    dp = [99] * (len(k) + 1)
    dp[0] = 0
    for i in range(1, len(k) + 1):
        for j in range(max(0, i - _MAX_SYL), i):
            if dp[j] < 99 and k[j:i] in _SYLLABLE_KEYS:
                dp[i] = min(dp[i], dp[j] + 1)
    return dp[-1] <= 3
