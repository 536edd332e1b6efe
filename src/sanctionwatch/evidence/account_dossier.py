"""The evidence dossier of one card account of the stored ATM cash-out alerts (``sanctionwatch
report account``): its alert score, every stored alert naming it (rule, window, countries,
authorisations, amount, the transaction ids), the accounts alerted with it and any path to a
designated entity; every value cited ``[n]`` to the stored alert and the authorisation log it
came from, as the vessel and wallet dossiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sanctionwatch.evidence.dossier import Cited, Fact, Provenance, cited
from sanctionwatch.evidence.wallet_dossier import CitedPath

if TYPE_CHECKING:
    from sanctionwatch.finance.alerts import FinanceAlertParams
    from sanctionwatch.linking.graph import EntityGraph


class AccountNotFound(LookupError):
    """No stored cash-out alert names the account asked for."""


@dataclass(frozen=True)
class AccountDossier:
    """Everything shown in an account dossier, each value :class:`Cited`."""

    key: str
    """``<bin>:<account>``."""
    title: Cited
    generated_at: str
    score: Cited
    indicators: list[tuple[Cited, Cited, Cited]]
    alerts: list[dict[str, Any]]
    """One row per stored alert naming the account (values :class:`Cited`; ``transactions``
    the alert's transaction ids)."""
    co_accounts: list[Cited]
    """Other accounts the same alerts name."""
    designation: list[CitedPath]
    facts: list[Fact]
    notes: list[str] = field(default_factory=list)


def _t(v: Any) -> str:
    return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(v, datetime) else ""


def _parse(key: str, alerts: pl.DataFrame) -> tuple[str, str]:
    """(bin, account) of ``BIN:ACCOUNT``, or of a bare account id one BIN's alerts name."""
    text = key.strip()
    if ":" in text:
        bin_, account = text.split(":", 1)
        return bin_, account
    bins = sorted({r["bin"] for r in alerts.iter_rows(named=True) if text in r["accounts"]})
    if len(bins) > 1:
        raise ValueError(f"account {text!r} is alerted under several BINs ({', '.join(bins)}): "
                         "give BIN:ACCOUNT")
    if not bins:
        raise AccountNotFound(f"no stored cash-out alert names account {text!r} (run "
                              "`sanctionwatch cashout ... --store` first)")
    return bins[0], text


def build_account_dossier(
    key: str,
    alerts: pl.DataFrame,
    graph: EntityGraph | None = None,
    params: FinanceAlertParams | None = None,
) -> AccountDossier:
    """The dossier of account ``key`` (``BIN:ACCOUNT``, or ``ACCOUNT`` when one BIN's alerts
    name it) from the stored ``cashout_alerts`` rows and, when given, the entity graph (its
    paths to designated entities). :class:`AccountNotFound` when no alert names it."""
    from sanctionwatch.finance.alerts import account_alerts

    bin_, account = _parse(key, alerts)
    mine = alerts.filter((pl.col("bin") == bin_)
                         & pl.col("accounts").list.contains(pl.lit(account)))
    if mine.height == 0:
        raise AccountNotFound(f"no stored cash-out alert names account {account!r} of BIN "
                              f"{bin_!r} (run `sanctionwatch cashout ... --store` first)")
    prov = Provenance()
    refs: dict[tuple[str, str], int] = {}
    rows: list[dict[str, Any]] = []
    others: dict[str, int] = {}
    for r in mine.sort("start_time", "run_id", "alert_id").iter_rows(named=True):
        ids = tuple(x for x in r["transaction_ids"].split(";") if x)
        ref = prov.cite(f"{r['rule']} alert {r['alert_id']} on BIN {r['bin']}: {r['explanation']}",
                        r["source_file"], f"cashout_alerts run {r['run_id']}, alert "
                        f"{r['alert_id']}", tuple(f"transaction {x}" for x in ids))
        refs[(r["run_id"], r["alert_id"])] = ref
        rows.append({
            "alert": Cited(r["alert_id"], ref), "run": Cited(r["run_id"], ref),
            "rule": Cited(r["rule"], ref), "start": Cited(_t(r["start_time"]), ref),
            "end": Cited(_t(r["end_time"]), ref),
            "countries": Cited(", ".join(r["countries"]), ref),
            "n": cited(r["n_transactions"], ref, ","),
            "amount": cited(r["amount_usd"], ref, ",.2f"),
            "explanation": Cited(r["explanation"], ref), "transactions": ids})
        for other in r["accounts"]:
            if other != account:
                others.setdefault(other, ref)
    alert = next(a for a in account_alerts(mine, params) if a.key == f"{bin_}:{account}")
    sref = prov.cite(f"alert score of account {account} of BIN {bin_} (noisy-OR of the "
                     "indicators, sanctionwatch.finance.alerts)", "cashout_alerts (store)",
                     "alerts " + ", ".join(alert.facts["alerts"]))
    indicators = [(Cited(i.name, sref), cited(i.contribution, sref, ".3f"),
                   Cited(i.explanation, sref))
                  for i in sorted(alert.indicators, key=lambda i: -i.contribution) if i.score > 0]
    designation: list[CitedPath] = []
    node = f"account:{bin_}:{account}"
    notes: list[str] = []
    if graph is not None and node in graph.graph:
        for p in graph.paths_to_designated(node, 3):
            prefs = [prov.cite(f"{lk.source} {lk.relation} {lk.target}", lk.source_file
                               or lk.dataset or lk.origin, lk.provenance()) for lk in p.links]
            designation.append(CitedPath(p.explain(), tuple(dict.fromkeys(prefs))))
    if not designation:
        notes.append("No path to a designated entity: no data ties a BIN or a card account to a "
                     "listed bank or person (docs/cashout.md).")
    co = [Cited(f"account {a} (BIN {bin_})", r) for a, r in sorted(others.items())]
    title = Cited(f"account {account} (BIN {bin_})", rows[0]["alert"].ref)
    return AccountDossier(f"{bin_}:{account}", title,
                          datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                          cited(alert.score, sref, ".3f"), indicators, rows, co, designation,
                          prov.facts, notes)


def account_dossier(store_path: str | Path, key: str, *, graph: EntityGraph | None = None,
                    params: FinanceAlertParams | None = None) -> AccountDossier:
    """The dossier of account ``key`` from the store (:func:`build_account_dossier`), with the
    store's entity graph (built when not given)."""
    from sanctionwatch.linking.graph_build import read_crypto

    path = Path(store_path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no store here")
    _, _, alerts = read_crypto(path, None)
    if graph is None:
        from sanctionwatch.findings import entity_graph

        graph = entity_graph(path)
    return build_account_dossier(key, alerts, graph, params)


def render_account_html(d: AccountDossier) -> str:
    """The account dossier as one self-contained HTML document (no script, nothing loaded)."""
    from sanctionwatch import __version__
    from sanctionwatch.evidence.render import _env

    return _env().get_template("account_dossier.html.j2").render(d=d, version=__version__)


def write_account_dossier(d: AccountDossier, out: Path, *, pdf: bool = False) -> list[Path]:
    """Write ``out`` (HTML) atomically and, with ``pdf``, the PDF beside it; the paths."""
    from sanctionwatch.atomic import atomic_path
    from sanctionwatch.evidence.render import chromium, render_pdf

    if pdf:
        chromium()
    with atomic_path(out) as tmp:
        tmp.write_text(render_account_html(d), encoding="utf-8")
    written = [Path(out)]
    if pdf:
        written.append(render_pdf(out, Path(out).with_suffix(".pdf")))
    return written


__all__ = ["AccountDossier", "AccountNotFound", "account_dossier", "build_account_dossier",
           "render_account_html", "write_account_dossier"]
