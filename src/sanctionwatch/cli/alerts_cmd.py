"""``sanctionwatch alerts``: vessels ranked by sanctions-evasion risk, and with ``--kind`` the
crypto wallets and card accounts of stored traces and cash-out alerts (registered in
``cli/app.py``). Holds no logic: it calls :func:`sanctionwatch.findings.rank_vessels` and
:func:`sanctionwatch.finance.alerts.rank_finance` and prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch.cli.consoles import StoreOpt, data_text, err_console, fail, out_console


def alerts(
    store: StoreOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON: a list of vessels, highest risk first, each "
                           "with mmsi, imo, name, flag, score, confidence, reasons, indicators.")
    ] = False,
    limit: Annotated[int, typer.Option(help="Show at most this many vessels.")] = 20,
    min_score: Annotated[
        float, typer.Option("--min-score", help="Show only vessels scoring at least this "
                            "(0-1).")
    ] = 0.0,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML file whose [risk] table sets weights "
                                  "and thresholds (docs/risk.md), and whose [finance_alerts] "
                                  "table sets those of wallets and accounts (docs/crypto.md).")
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="What to rank: vessel (default), wallet (addresses of "
                          "stored crypto traces), account (card accounts of stored cash-out "
                          "alerts) or all (docs/crypto.md, docs/cashout.md).")
    ] = "vessel",
) -> None:
    """Rank the store's vessels by sanctions-evasion risk, with the reasons for each score
    (with --kind, the traced crypto wallets and cash-out card accounts too)."""
    from sanctionwatch.findings import rank_vessels
    from sanctionwatch.risk import RiskParams
    from sanctionwatch.store import DuckDBStore, default_store_path

    path = store or default_store_path()
    if limit < 1:
        raise fail(f"--limit must be at least 1, got {limit}")
    if not 0.0 <= min_score <= 1.0:
        raise fail(f"--min-score must be between 0 and 1, got {min_score:g}")
    if kind not in ("vessel", "wallet", "account", "all"):
        raise fail(f"--kind must be vessel, wallet, account or all, got {kind!r}")
    if kind != "vessel":
        _finance_alerts(path, kind, as_json, limit, min_score, config)
        return
    try:
        params = RiskParams.from_toml(config) if config is not None else RiskParams()
        with DuckDBStore(path, read_only=True) as st:
            n_events = st.count_events() if st.event_types() else 0
            n_identities = st.vessel_identities().height
        if n_events == 0 and n_identities == 0:
            raise fail(f"{path}: the store holds no events and no vessels: run "
                       "`sanctionwatch detect FILES --store ...` first")
        risks = rank_vessels(path, params)
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    shown = [r for r in risks if r.score >= min_score][:limit]
    if as_json:
        text = json.dumps([r.to_dict() for r in shown], indent=2, ensure_ascii=False,
                          default=str)
        from sanctionwatch.export.inert import json_text

        sys.stdout.write(json_text(text) + "\n")
        return
    if not shown:
        err_console.print(f"No vessel scores {min_score:g} or more ({len(risks)} vessels "
                          "scored).")
        return
    table = Table("rank", "MMSI", "IMO", "name", "flag", "score", "conf.", "reasons",
                  title=f"Vessels by risk ({len(shown)} of {len(risks)})", show_lines=True)
    for i, r in enumerate(shown, 1):
        reasons = "\n".join(f"- {x}" for x in r.reasons) or "no indicator scored"
        table.add_row(str(i), str(r.mmsi), "" if r.imo is None else str(r.imo),
                      data_text(r.name), data_text(r.flag), f"{r.score:.3f}",
                      f"{r.confidence:.2f}", data_text(reasons))
    out_console.print(table)
    low = [r for r in shown if r.confidence < 1.0]
    if low:
        err_console.print(f"{len(low)} of these have a confidence below 1 (data-quality "
                          "findings or poor reception): `--json` gives the notes.")


def _finance_alerts(path: Path, kind: str, as_json: bool, limit: int, min_score: float,
                    config: Path | None) -> None:
    """``alerts --kind wallet|account|all``: finance alerts (and vessels with ``all``)."""
    from sanctionwatch.finance.alerts import FinanceAlertParams, rank_finance
    from sanctionwatch.findings import entity_graph, rank_vessels
    from sanctionwatch.risk import RiskParams

    rows: list[tuple[float, str, str, str, str, list[str], dict[str, object]]] = []
    try:
        fparams = (FinanceAlertParams.from_toml(config) if config is not None
                   else FinanceAlertParams())
        if not path.exists():
            raise fail(f"{path}: no store here (run `sanctionwatch trace ... --store` or "
                       "`sanctionwatch cashout ... --store` first)")
        graph = entity_graph(path)
        kinds = ("wallet", "account") if kind == "all" else (kind,)
        for a in rank_finance(path, kinds, fparams, graph=graph):
            rows.append((a.score, a.kind, a.key, a.label, "", a.reasons, a.to_dict()))
        if kind == "all":
            params = RiskParams.from_toml(config) if config is not None else RiskParams()
            for r in rank_vessels(path, params, graph):
                rows.append((r.score, "vessel", str(r.mmsi), r.name or "", f"{r.confidence:.2f}",
                             r.reasons, {"kind": "vessel", **r.to_dict()}))
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    rows.sort(key=lambda t: -t[0])  # stable: ties keep rank_finance's order
    total = len(rows)
    shown = [r for r in rows if r[0] >= min_score][:limit]
    if as_json:
        from sanctionwatch.export.inert import json_text

        text = json.dumps([r[6] for r in shown], indent=2, ensure_ascii=False, default=str)
        sys.stdout.write(json_text(text) + "\n")
        return
    if not shown:
        err_console.print(f"No {kind if kind != 'all' else 'subject'} scores {min_score:g} or "
                          f"more ({total} scored; `trace --store` and `cashout --store` store "
                          "wallets and accounts).")
        return
    table = Table("rank", "kind", "subject", "label", "score", "reasons",
                  title=f"Alerts by score, {kind} ({len(shown)} of {total})", show_lines=True)
    for i, (score, k, key, label, _, reasons, _) in enumerate(shown, 1):
        why = "\n".join(f"- {x}" for x in reasons) or "no indicator scored"
        table.add_row(str(i), k, data_text(key), data_text(label), f"{score:.3f}",
                      data_text(why))
    out_console.print(table)
