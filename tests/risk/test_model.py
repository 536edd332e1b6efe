"""Risk parameters, indicator results and the noisy-OR combination."""

from __future__ import annotations

import pytest

from sanctionwatch.risk import INDICATORS, IndicatorResult, RiskParams, combine


def test_combination_is_noisy_or_monotone_and_bounded() -> None:
    def r(score: float, weight: float = 0.5) -> IndicatorResult:
        return IndicatorResult("x", score, weight, "x")

    assert combine([]) == 0.0
    assert combine([r(1.0, 1.0)]) == 1.0  # one certain indicator decides
    assert combine([r(1.0), r(1.0)]) == pytest.approx(0.75)  # 1 - 0.5 * 0.5
    many = combine([r(0.2)] * 50)
    assert 0.99 < many < 1.0  # weak evidence accumulates, never certainty
    assert combine([r(0.5), r(0.6)]) > combine([r(0.5), r(0.5)])


def test_every_indicator_has_a_weight_parameter() -> None:
    assert {f"weight_{n}" for n in INDICATORS} <= set(RiskParams().to_dict())


@pytest.mark.parametrize("bad", [{"weight_designated": 1.5}, {"weight_spoofing": -0.1},
                                 {"min_gap_h": 0.0}, {"max_hops": 0},
                                 {"dark_full_h": float("nan")}, {"min_confidence": 2.0}])
def test_parameters_are_validated(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        RiskParams(**bad)  # type: ignore[arg-type]


def test_parameters_come_from_the_risk_table_of_a_toml_file(tmp_path) -> None:
    f = tmp_path / "run.toml"
    f.write_text('engine = "memory"\n[risk]\nweight_dprk_port_call = 0.9\nmin_gap_h = 12\n'
                 'fishing_ship_types = [30, 31]\nflags_of_convenience = ["TG", "SL"]\n')
    p = RiskParams.from_toml(f)
    assert (p.weight_dprk_port_call, p.min_gap_h) == (0.9, 12.0)
    assert p.fishing_ship_types == (30, 31) and p.flags_of_convenience == ("TG", "SL")
    assert p.weight_designated == RiskParams().weight_designated


def test_a_bad_risk_table_names_the_file_and_the_key(tmp_path) -> None:
    f = tmp_path / "run.toml"
    f.write_text("[risk]\nweight_nonsense = 1.0\n")
    with pytest.raises(ValueError, match=r"run\.toml.*weight_nonsense"):
        RiskParams.from_toml(f)
    f.write_text('[risk]\nmin_gap_h = "six"\n')
    with pytest.raises(ValueError, match="min_gap_h"):
        RiskParams.from_toml(f)


def test_an_indicator_score_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not in 0\.\.1"):
        IndicatorResult("x", 1.2, 1.0, "x")


def test_every_parameter_and_indicator_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "risk.md").read_text()
    for name in RiskParams().to_dict():
        assert f"`{name}`" in doc, name
    for name in INDICATORS:
        assert f"| `{name}` |" in doc, name
