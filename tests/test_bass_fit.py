import math

import numpy as np
import pandas as pd
import pytest

from hidsim import rules
from hidsim.analysis import BassFit, bass_table, fit_bass

P, Q, M = 0.03, 0.38, 1000.0
YEARS = np.arange(21.0)


def synthetic(replications=20, noise=10.0, seed=1):
    """Bass curves in adopters plus independent noise of sd 1% of m."""
    rng = np.random.default_rng(seed)
    curve = M * rules.continuous_bass(P, Q, YEARS)
    return curve + rng.normal(0.0, noise, size=(replications, YEARS.size))


def test_recovers_known_coefficients_from_replications():
    fit = fit_bass(synthetic(), t=YEARS)
    # 10% relative tolerance: with noise sd 1% of m the estimates land within ~2%
    # of the truth; 10% still catches a wrong time unit or a swapped p and q.
    assert fit.p == pytest.approx(P, rel=0.10)
    assert fit.q == pytest.approx(Q, rel=0.10)
    assert fit.m == pytest.approx(M, rel=0.10)
    assert fit.r2 > 0.99
    assert fit.n_replications == 20
    # Percentile intervals from 20 replications covered the truth in ~92% of 40
    # noise seeds (measured), close to the nominal 95%; the seed is fixed, so this
    # check is deterministic rather than flaky.
    for truth, (low, high) in [(P, fit.p_ci), (Q, fit.q_ci), (M, fit.m_ci)]:
        assert low <= truth <= high


def test_single_run_uses_residual_bootstrap():
    fit = fit_bass(synthetic(replications=1)[0], t=YEARS, bootstrap=100)
    assert fit.n_replications == 1
    assert fit.p == pytest.approx(P, rel=0.10)
    assert fit.q == pytest.approx(Q, rel=0.10)
    assert fit.p_ci[0] < fit.p < fit.p_ci[1]
    assert fit.q_ci[0] < fit.q < fit.q_ci[1]


def test_same_seed_same_intervals():
    data = synthetic(replications=5)
    assert fit_bass(data, bootstrap=30, rng=4) == fit_bass(data, bootstrap=30, rng=4)


def test_accepts_dataframe_and_new_adopters_per_period():
    cumulative = M * rules.continuous_bass(P, Q, YEARS)
    new = np.diff(cumulative, prepend=0.0)
    fit = fit_bass(pd.DataFrame([new, new]), t=YEARS, cumulative=False, bootstrap=0)
    assert (fit.p, fit.q, fit.m) == pytest.approx((P, Q, M), rel=1e-4)
    assert math.isnan(fit.p_ci[0])


@pytest.mark.parametrize("flat", [np.zeros(21), np.full((3, 21), 7.0)])
def test_flat_series_gives_nans(flat):
    fit = fit_bass(flat)
    assert all(math.isnan(v) for v in (fit.p, fit.q, fit.m, fit.r2, *fit.p_ci))


def test_to_dict_is_flat():
    fit = BassFit(0.1, 0.2, 3.0, 0.9, (0.0, 0.2), (0.1, 0.3), (2.0, 4.0), 5)
    assert fit.to_dict() == {
        "p": 0.1,
        "q": 0.2,
        "m": 3.0,
        "r2": 0.9,
        "p_low": 0.0,
        "p_high": 0.2,
        "q_low": 0.1,
        "q_high": 0.3,
        "m_low": 2.0,
        "m_high": 4.0,
        "n_replications": 5,
    }


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="time points"):
        fit_bass([1.0, 2.0])
    with pytest.raises(ValueError, match="t has shape"):
        fit_bass(np.arange(5.0), t=np.arange(4))
    with pytest.raises(ValueError, match="NaN"):
        fit_bass([0.0, np.nan, 1.0])


def test_bass_table_fits_each_group():
    rows = []
    for district, p in [("Kalasatama", 0.02), ("Otaniemi", 0.06)]:
        for replication in range(3):
            curve = 500 * rules.continuous_bass(p, 0.4, YEARS) + replication
            rows += [
                {
                    "district": district,
                    "service": "ebike",
                    "replication": replication,
                    "year": year,
                    "adopters": value,
                }
                for year, value in zip(YEARS, curve, strict=True)
            ]
    table = bass_table(pd.DataFrame(rows), bootstrap=20)
    assert table["district"].tolist() == ["Kalasatama", "Otaniemi"]
    assert table["p"].tolist() == pytest.approx([0.02, 0.06], rel=0.05)
    assert {"q_low", "m_high", "r2", "n_replications"} <= set(table.columns)
    with pytest.raises(ValueError, match="same 'year' twice"):
        bass_table(pd.concat([pd.DataFrame(rows)] * 2), bootstrap=0)
