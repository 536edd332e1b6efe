"""Token rarity: common name parts (MOHAMMED, KIM, JOSE, TRADING) weigh less in a match.

The weight of a token is ``log(N/df) / log(N/REF)`` clipped to [FLOOR, 1], where ``df`` is the
number of listed entities whose names contain it and ``N`` the number of entities: a token in
at most ``REF`` entities keeps full weight. The table ships as ``data/token_df.json`` (built
from the UN, UN 1718, OFAC, UK and EU lists with :func:`write_table`), so a pair scores the
same in ``score_pair`` and in screening.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "token_df.json"
REF = 20
FLOOR = 0.4
MIN_DF = 10  # tokens rarer than this are not stored (full weight anyway: REF > MIN_DF)


def _load(path: Path = TABLE) -> dict[str, float]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    n = max(int(data["entities"]), REF + 1)
    top = math.log(n / REF)
    return {
        t: max(FLOOR, min(1.0, math.log(n / df) / top)) for t, df in data["df"].items() if df > REF
    }


WEIGHTS: dict[str, float] = _load()


def rarity(token: str) -> float:
    """Weight multiplier of ``token`` in [FLOOR, 1] (1 for tokens not common in the lists)."""
    return WEIGHTS.get(token, 1.0)


def document_frequencies(token_sets: Iterable[Iterable[str]]) -> tuple[int, Counter[str]]:
    """Number of entities and, per token, the number of entities whose names contain it."""
    df: Counter[str] = Counter()
    n = 0
    for toks in token_sets:
        n += 1
        df.update({t for t in toks if not t.isdigit()})
    return n, df


def write_table(token_sets: Iterable[Iterable[str]], path: Path = TABLE) -> int:
    """Write the document-frequency table of these entities' name tokens; returns N."""
    n, df = document_frequencies(token_sets)
    kept = {t: c for t, c in sorted(df.items()) if c >= MIN_DF}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"entities": n, "df": kept}, indent=0) + "\n", encoding="utf-8")
    return n
