"""The card-account dossier (``sanctionwatch report account``) on a generated authorisation log
with two planted FASTCash cash-outs, stored by ``cashout --store``: the alerts naming the
account, the accounts alerted with it, and every number cited to a stored alert."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctionwatch.cli import EXIT_INPUT, EXIT_OK, run
from sanctionwatch.evidence.account_dossier import (
    AccountNotFound,
    account_dossier,
    render_account_html,
)
from sanctionwatch.finance.alerts import rank_finance
from sanctionwatch.simulate.authlog import write_authlog
from tests.evidence.pictures import check_provenance


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("account-dossier")
    res = write_authlog(work / "log", 5, 30_000, n_cashouts=2)
    path = work / "sw.duckdb"
    assert run(["cashout", "--input", str(res.path), "--out", str(work / "alerts.csv"),
                "--store", str(path)]) == EXIT_OK
    return path


def test_top_account_dossier(store: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    top = rank_finance(store, ["account"])[0]
    d = account_dossier(store, top.key)
    assert d.key == top.key and d.score.text == f"{top.score:.3f}"
    assert {a["rule"].text for a in d.alerts} == set(top.facts["rules"])
    assert len(d.co_accounts) >= 2  # a cash-out runs on many accounts of one BIN
    for a in d.alerts:
        fact = d.facts[a["n"].ref - 1]
        assert fact.source.endswith("authorisations.csv")
        assert fact.record == f"cashout_alerts run {a['run'].text}, alert {a['alert'].text}"
        assert len(fact.evidence) == int(a["n"].text.replace(",", "")) == len(a["transactions"])
    assert any("No path to a designated entity" in n for n in d.notes)
    c = check_provenance(render_account_html(d))
    assert len(c.fact_ids) == len(d.facts)
    bare = top.key.split(":", 1)[1]
    out = tmp_path / "account.html"
    assert run(["report", "account", bare, "--out", str(out), "--store", str(store)]) == EXIT_OK
    assert f"account {bare} (BIN {top.facts['bin']})" in out.read_text()
    capsys.readouterr()
    assert run(["report", "account", "nope", "--out", str(out), "--store",
                str(store)]) == EXIT_INPUT
    assert "no stored cash-out alert names account 'nope'" in capsys.readouterr().err
    with pytest.raises(AccountNotFound):
        account_dossier(store, "000000:" + bare)
