# ruff: noqa: E501  (report lines)
"""Cross-list resolution on the real lists: load the six lists into a temporary store, run
``sanctionwatch lists resolve``'s API, and report what was merged, with pairs checked by hand.

Run: ``.venv/bin/python benchmarks/resolution.py`` → ``benchmarks/results/resolution.md``.
The hand verdicts (``CHECKED``) are an analyst's reading of the source records, kept here so
that every run shows what the resolver now decides for each of them next to the verdict.
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import ROOT, git_commit

from sanctionwatch.linking.resolve import (
    DEFAULT_THRESHOLD,
    DEFAULT_UNSURE_THRESHOLD,
    NAME_ONLY_THRESHOLD,
    load_resolver,
    resolve_store,
)
from sanctionwatch.sanctions import ListStore

DATA = ROOT / "tests/data/sanctions"
LISTS = [
    DATA / "un_consolidated/un_consolidated_2026-02-27.xml",
    DATA / "un_1718_vessels/un_1718_vessels_2020-06-04.csv",
    DATA / "ofac_sdn_2021-07",
    DATA / "uk_dprk/uk_dprk_regime.json",
    DATA / "eu_dprk/eu_prk_programme.json",
    DATA / "opensanctions_ftm/t1_entities.ftm.json",
]
OUT = ROOT / "benchmarks/results/resolution.md"
CLUSTERS_OUT = ROOT / "benchmarks/results/resolution_clusters.csv"

# (left id, right id, same entity?, why) — read from the source records by hand.
CHECKED: list[tuple[str, str, bool, str]] = [
    ("un1718-8914934", "us-ofac-19570", True, "UN 1718 FAN KE and OFAC EVER BRIGHT 88 both carry IMO 8914934; OFAC's remark links it to OMM; a renamed ship"),
    ("un1718-8829593", "us-ofac-17096", True, "IMO 8829593 on both; PI RYU GANG / PI RUY GANG is a transposition typo in OFAC"),
    ("uk-DPR0118", "un1718-8914934", True, "UK ship Fan Ke (no IMO in the transcription) quotes the UN 1718 text: 'M/V FAN KE loaded DPRK coal at Nampo'"),
    ("uk-DPR0105", "un1718-8660313", True, "UK Chon Ma San aka Go Mal San 4; UN 1718 CHON MA SAN IMO 8660313, the UN-designated tanker"),
    ("un1718-8660313", "us-ofac-23729", True, "same IMO 8660313 and name CHON MA SAN"),
    ("un-sc-KPe.020", "us-ofac-17068", True, "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM): UN KPe.020 and OFAC share the name and company IMO 1790183"),
    ("uk-DPR0181", "un-sc-KPe.020", True, "UK entry carries UN reference KPe.020"),
    ("eu-7490", "un-sc-KPe.020", True, "EU lists OMM with the aliases Korea Mirae Shipping Co. Ltd and East Sea Shipping Company, as the UN entry does"),
    ("uk-DPR0226", "un-sc-KPi.035", True, "UK KIM CHOL SAM aka Jin Tiesan (金铁三) carries UN reference KPi.035"),
    ("eu-107804", "un-sc-KPi.013", True, "EU Chun Sik Choe born 1954-10-12, as UN CHOE CHUN-SIK (KPi.013)"),
    ("un-sc-KPi.013", "us-ofac-19498", True, "UN and OFAC CHOE Chun-sik, same birth date 1954-10-12"),
    ("un-sc-KPe.022", "eu-107840", True, "CHONGCHONGANG SHIPPING COMPANY: EU lists it also as Chong Chon Gang Shipping Co. Ltd. (syllables apart), UN KPe.022"),
    ("eu-107840", "us-ofac-17067", True, "company IMO 5342883 on both (EU identification, OFAC remark)"),
    ("un-sc-KPe.033", "us-ofac-19509", True, "KOREA UNITED DEVELOPMENT BANK, the same name in both, a DPRK bank"),
    ("eu-6857", "un-sc-KPe.031", True, "Reconnaissance General Bureau (RGB): EU and UN KPe.031"),
    ("uk-DPR0141", "un-sc-KPe.034", True, "ILSIM INTERNATIONAL BANK, UK entry carries the UN reference"),
    ("eu-107842", "un-sc-KPe.023", True, "Daedong Credit Bank (DCB) / Taedong Credit Bank: the EU lists both spellings"),
    ("NK-2PacmNpiLUmoz4XD2mSt7A", "us-ofac-10391", True, "the OpenSanctions t1 sample's IRGC and OFAC's ISLAMIC REVOLUTIONARY GUARD CORPS (alias IRGC)"),
    ("eu-7236", "un-sc-KPe.018", True, "EU and UN Second Academy of Natural Sciences (Chayon Kwahak-Won); the UK's ANDS entry (KPe.021) lists the same name as an alias"),
    ("eu-107838", "uk-DPR0124", True, "Academy of National Defence Science, UK entry KPe.021"),
    ("eu-7236", "uk-DPR0124", False, "EU Second Academy of Natural Sciences vs UK Academy of National Defence Science: only an alias of the UK entry is shared"),
    ("eu-107814", "un-sc-KPi.018", True, "EU lists JON Myong Guk under his alias Yong Sang Jon; passport 4721202031 and birth date agree with UN KPi.018"),
    ("eu-107816", "us-ofac-19499", True, "KANG Mun-kil: OFAC gives no birth date; passport PS 472330208 is on OFAC, EU and UN KPi.019 (OFAC's loader kept only \"PS\" before this change)"),
    ("uk-DPR0267", "un-sc-KPi.077", True, "RI SONG HYOK, UK entry with UN reference KPi.077 (alias Li Cheng He)"),
    ("un-sc-QDe.001", "us-ofac-4695", False, "ABU SAYYAF GROUP vs HAMAS: they only share the generic alias words Harakat al-Islamiyya; unsure, never merged"),
    ("un-sc-QDe.118", "us-ofac-19949", False, "LASHKAR-E-TAYYIBA vs JAMA'AT UL DAWA AL-QU'RAN: the UN lists Jama'at-ud-Da'awa as an LeT alias, OFAC designates JDQ separately; unsure, never merged"),
    ("un1718-9066978", "us-ofac-17085", False, "PAEK MA (IMO 9066978) vs BAEK MA KANG (IMO 7944683): different IMO numbers, two ships"),
    ("un1718-7389704", "us-ofac-23184", False, "RYE SONG GANG 1 (IMO 7389704) vs KANG SONG 1 (IMO 6908096): different ships"),
    ("eu-105411", "un-sc-KPi.013", False, "two men named Choe Chun-sik: the EU's was born 1963-12-23, the UN's KPi.013 1954-10-12"),
    ("eu-5816", "un-sc-KPe.041", False, "Korea Daesong General Trading Corporation vs Korea Taesong Trading Company: the UN lists them apart (KPe.042 / KPe.041)"),
    ("NK-2PacmNpiLUmoz4XD2mSt7A", "us-ofac-10465", False, "IRGC vs IRGC-QODS FORCE: a branch, a separate OFAC entry"),
    ("eu-105403", "us-ofac-26944", False, "KIM Il Su born 1965-09-02 vs KIM Su Il born 1985-03-04: different people"),
]


def write_clusters(clusters: list[frozenset[str]], by_id: dict[str, Any],
                   dataset: dict[str, str], resolver: Any) -> None:
    """Every merge made: one row per cluster member (cluster id, schema, list, entity id,
    name), clusters in id order."""
    with CLUSTERS_OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["cluster_id", "schema", "dataset", "entity_id", "name"])
        for c in sorted(clusters, key=lambda c: resolver.canonical(min(c))):
            cid = resolver.canonical(min(c))
            for eid in sorted(c):
                e = by_id[eid]
                w.writerow([cid, e.schema.name, dataset[eid], eid, e.caption])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "sw.duckdb"
        t0 = time.perf_counter()
        with ListStore(store) as s:
            loads = s.load_many(LISTS)
            entities = s.entities()
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        run = resolve_store(store, DEFAULT_THRESHOLD, DEFAULT_UNSURE_THRESHOLD)
        t_resolve = time.perf_counter() - t0
        resolver = load_resolver(store)
    by_id = {e.id: e for e in entities}
    dataset = {e.id: e.context["datasets"][0] for e in entities}
    decisions = list(run.decisions)
    counts = run.counts()
    lines = [
        "# Cross-list resolution on the real lists",
        "",
        f"Command: `.venv/bin/python benchmarks/resolution.py` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"commit {git_commit()}, Python {sys.version.split()[0]}. Load {t_load:.1f} s, resolve "
        f"{t_resolve:.1f} s (one core, shared machine).",
        "",
        f"Settings: merge from score {DEFAULT_THRESHOLD} with an identifier (IMO, company IMO, UN "
        f"reference, document number) or, for a person, a birth date the same to the day, or, for "
        f"a vessel or organisation, names alone from {NAME_ONLY_THRESHOLD}; `unsure` from "
        f"{DEFAULT_UNSURE_THRESHOLD}; an identifier conflict is `negative` (docs/resolution.md).",
        "",
        "## Lists",
        "",
        "| list | list date | entities | by schema |",
        "|---|---|---|---|",
    ]
    for r in loads:
        lines.append(f"| {r.dataset} | {r.list_date} | {r.entities:,} | "
                     + ", ".join(f"{k} {v:,}" for k, v in r.counts.items()) + " |")
    clusters = resolver.clusters()
    write_clusters(clusters, by_id, dataset, resolver)
    by_schema: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
    combos: Counter[str] = Counter()
    for c in clusters:
        by_schema[by_id[min(c)].schema.name] += 1
        sizes[len(c)] += 1
        combos[" + ".join(sorted({dataset[x] for x in c}))] += 1
    pos_schema = Counter(by_id[d.left_id].schema.name for d in decisions if d.judgement == "positive")
    conflict_kinds: Counter[str] = Counter()
    for d in decisions:
        if d.judgement == "negative":
            why = d.explanation.split("conflict: ", 1)[1]
            conflict_kinds[why.split(" ", 1)[0] if not why.startswith("company") else "company IMO"] += 1
    lines += [
        "",
        "## Decisions and merges",
        "",
        f"{len(entities):,} entities in the store; xref recorded {len(decisions):,} decisions: "
        f"**{counts['positive']:,} positive**, {counts['unsure']:,} unsure, {counts['negative']:,} negative "
        f"(identifier conflicts: " + ", ".join(f"{k} {v}" for k, v in conflict_kinds.most_common()) + ").",
        "",
        f"They make **{len(clusters):,} clusters** of two or more entities (every one listed, "
        f"member by member, in `{CLUSTERS_OUT.name}`), "
        + ", ".join(f"{v:,} of {k}" for k, v in sorted(sizes.items())) + " entities.",
        "",
        "| schema | clusters | positive pairs |",
        "|---|---|---|",
    ]
    for schema in sorted(by_schema):
        lines.append(f"| {schema} | {by_schema[schema]:,} | {pos_schema[schema]:,} |")
    lines += ["", "Clusters by the lists they join:", "", "| lists | clusters |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in combos.most_common()]
    # checks against facts the lists state themselves
    un_imos = {e.id for e in entities if dataset[e.id] == "un_1718_vessels" and e.get("imoNumber", quiet=True)}
    ofac_imo = {i for e in entities if dataset[e.id] == "us_ofac_sdn" and e.schema.name == "Vessel" for i in e.get("imoNumber", quiet=True)}
    both = {x for x in un_imos if set(by_id[x].get("imoNumber", quiet=True)) & ofac_imo}
    joined = {x for x in both if any(dataset[y] == "us_ofac_sdn" for y in resolver.cluster(x))}
    uk_refs = [e for e in entities if dataset[e.id] == "gb_fcdo_sanctions" and e.schema.name == "Sanction" and e.get("unscId")]
    uk_apart = [(t, s.get("unscId")[0]) for s in uk_refs for t in s.get("entity")
                if not any(y.startswith("un-sc-") for y in resolver.cluster(t))]
    uk_joined = len(uk_refs) - len(uk_apart)
    uk_ships = [e.id for e in entities if dataset[e.id] == "gb_fcdo_sanctions" and e.schema.name == "Vessel"]
    uk_ships_joined = sum(1 for x in uk_ships if len(resolver.cluster(x)) > 1)
    lines += [
        "",
        "Checks against what the lists state themselves:",
        "",
        f"- UN 1718 vessels whose IMO OFAC 2021-07 also lists: {len(both)}; joined with the OFAC entry: **{len(joined)}**.",
        f"- UK entries carrying a UN reference: {len(uk_refs)}; joined with the UN entry: **{uk_joined}**"
        + ("; not joined: " + ", ".join(
            f"{t} {by_id[t].caption} ({ref}: "
            + (f"{by_id['un-sc-' + ref].caption}, " if 'un-sc-' + ref in by_id else "not in the UN list, ")
            + "; ".join(f"{d.judgement} {d.score:.2f}: {d.explanation}" for d in decisions if d.pair == tuple(sorted((t, 'un-sc-' + ref))))
            + ")" for t, ref in uk_apart) if uk_apart else "") + ".",
        f"- UK ships (the transcription has no IMO numbers): {len(uk_ships)}; joined with another list by name: **{uk_ships_joined}**.",
    ]
    unsure = [d for d in decisions if d.judgement == "unsure"]
    unsure_joined = sum(1 for d in unsure if d.right_id in resolver.cluster(d.left_id))
    lines.append(
        f"- Unsure pairs: {len(unsure):,}; of them {unsure_joined:,} end up in one cluster anyway "
        f"(through other lists, e.g. UK → UN by reference and UN → EU by birth date), "
        f"{len(unsure) - unsure_joined:,} stay apart for an analyst to decide.")
    # checked by hand
    lines += [
        "",
        "## Pairs checked by hand",
        "",
        "Each pair was read in the source records; *decision* is what this run decided (the judgement in force, score).",
        "",
        "| pair | names | same? | decision | agrees | why |",
        "|---|---|---|---|---|---|",
    ]
    agree = 0
    for a, b, same, why in CHECKED:
        d = resolver.latest(a, b)
        together = b in resolver.cluster(a)
        got = "not compared" if d is None else f"{d.judgement} {d.score:.2f}" if d.score is not None else d.judgement
        if d is None and together:
            got = "same cluster (through others)"
        ok = together == same
        agree += ok
        names = f"{by_id[a].caption} ({dataset[a]}) / {by_id[b].caption} ({dataset[b]})" if a in by_id and b in by_id else "?"
        lines.append(f"| {a} ~ {b} | {names} | {'yes' if same else 'no'} | {got} | {'yes' if ok else '**no**'} | {why} |")
    lines += ["", f"The resolver agrees with the hand verdict on **{agree} of {len(CHECKED)}** pairs "
              f"({sum(1 for c in CHECKED if c[2])} same, {sum(1 for c in CHECKED if not c[2])} different)."]
    # a seeded sample of merges and unsure pairs for review
    rng = random.Random(16)
    positives = [d for d in decisions if d.judgement == "positive"]
    lines += ["", "## Sample for review (random.Random(16))", "",
              "Positive decisions:", ""]
    for d in sorted(rng.sample(positives, min(20, len(positives))), key=lambda d: d.pair):
        lines.append(f"- {by_id[d.left_id].caption} ({dataset[d.left_id]}) ~ {by_id[d.right_id].caption} "
                     f"({dataset[d.right_id]}), {d.score:.2f}: `{d.explanation[:160]}`")
    lines += ["", "Unsure decisions:", ""]
    for d in sorted(rng.sample(unsure, min(12, len(unsure))), key=lambda d: d.pair):
        lines.append(f"- {by_id[d.left_id].caption} ({dataset[d.left_id]}) ~ {by_id[d.right_id].caption} "
                     f"({dataset[d.right_id]}), {d.score:.2f}: `{d.explanation[:160]}`")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
