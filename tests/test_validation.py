"""The model in the one-factor limit against closed forms (model/validation.py).

This is verification of the default mechanics' factor structure, not validation of the
model: the amount due is calibrated with the same inverse normal the closed form uses, so
the check confirms that income, billing, payment and charge-off implement a one-factor
Gaussian default model as written; it cannot show that such a model describes borrowers.

Statistical tests use a fixed seed and tolerances from the sampling error: quantiles must
lie in distribution-free order-statistic intervals (99.9% coverage each), means and
variances within 4 standard errors, and the KS p-value above 0.001.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from limitlab.model.config import apply_overrides
from limitlab.model.validation import (
    QRRE_CORRELATION,
    MixedBinomial,
    _OneMonthBook,
    compare_with_closed_form,
    irb_risk_weight,
    ks_discrete,
    order_statistic_ci,
    other_retail_correlation,
    run_one_month,
    sample_default_fractions,
    vasicek_cdf,
    vasicek_config,
    vasicek_quantile,
)
from scipy import stats

SEED = 20261129


# ------------------------------------------------------------------ the sampler's shape
def test_returns_float64_fractions_one_per_scenario():
    f = sample_default_fractions(pd=0.05, rho=0.1, n_borrowers=200, n_scenarios=37, seed=1)
    assert f.dtype == np.float64
    assert f.shape == (37,)
    assert ((f >= 0) & (f <= 1)).all()
    assert np.array_equal(f, np.round(f * 200) / 200)  # whole borrowers


def test_same_seed_same_fractions_and_different_seed_different():
    kw = dict(pd=0.03, rho=0.1, n_borrowers=300, n_scenarios=200)
    a = sample_default_fractions(seed=5, **kw)
    b = sample_default_fractions(seed=5, **kw)
    c = sample_default_fractions(seed=6, **kw)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_scenario_i_depends_only_on_seed_and_i():
    kw = dict(pd=0.03, rho=0.1, n_borrowers=300, seed=11)
    long = sample_default_fractions(n_scenarios=250, **kw)
    short = sample_default_fractions(n_scenarios=40, **kw)
    assert np.array_equal(long[:40], short)
    # how many scenarios run side by side does not matter either
    chunked = run_one_month(0.03, 0.1, 300, 250, 11, chunk_rows=7 * 300).default_fraction
    assert np.array_equal(long, chunked)


def test_restored_book_equals_a_fresh_one():
    """Chunks reuse one table: after a month and a restore it must be as new."""
    cfg = vasicek_config(0.1)
    fresh = _OneMonthBook(cfg, 0.1, 50, 4, 4321)
    used = _OneMonthBook(cfg, 0.1, 50, 4, 4321)
    used.run(seed=3, first=0)
    used.restore()
    for name in used.table.column_names():
        if name != "idio":  # redrawn every chunk
            assert np.array_equal(getattr(used.table, name), getattr(fresh.table, name)), name
    assert np.array_equal(used.table.plan_end, fresh.table.plan_end)
    assert np.array_equal(used.table.plan_rem, fresh.table.plan_rem)


# ------------------------------------------------------------------ it runs the model
def test_grace_amount_changes_the_sampler_output():
    """A grace amount is the model's default rule, not the formula's: fewer defaults."""
    kw = dict(pd=0.05, rho=0.1, n_borrowers=500, n_scenarios=300, seed=2)
    plain = sample_default_fractions(**kw)
    due_yuan = run_one_month(**kw).amount_due_cents / 100
    lenient = sample_default_fractions(
        config=apply_overrides(vasicek_config(0.1), {"lender.grace_amount": 0.1 * due_yuan}), **kw
    )
    assert (lenient <= plain).all()
    assert lenient.mean() < 0.8 * plain.mean()


def test_default_after_two_months_means_no_default_in_one_month():
    cfg = apply_overrides(vasicek_config(0.1), {"lender.charge_off_days": 60})
    f = sample_default_fractions(pd=0.2, rho=0.1, n_borrowers=100, n_scenarios=20, seed=1, config=cfg)
    assert (f == 0).all()


def test_loss_rate_is_written_off_net_of_recoveries_over_balances():
    cfg = apply_overrides(vasicek_config(0.1), {"lender.recovery_rate": 0.25})
    out = run_one_month(0.05, 0.1, 400, 50, 3, config=cfg)
    # defaulters still pay part of the bill from their income, so each loses less than
    # (1 - recovery) of its balance
    assert (out.loss_rate <= 0.75 * out.default_fraction + 1e-12).all()
    assert (out.loss_rate[out.default_fraction > 0] > 0).all()


# ------------------------------------------------------------------ errors name the argument
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(pd=0.0), r'"pd" must be in \(0, 1\), got 0.0'),
        (dict(pd=1.5), r'"pd" must be in \(0, 1\)'),
        (dict(pd=float("nan")), r'"pd" must be in'),
        (dict(pd="0.1"), r'"pd" must be a number'),
        (dict(rho=-0.1), r'"rho" must be a number in \[0, 0.99\]'),
        (dict(rho=1.0), r'"rho" must be a number in \[0, 0.99\]'),
        (dict(n_borrowers=0), r'"n_borrowers" must be an integer >= 1, got 0'),
        (dict(n_borrowers=10.0), r'"n_borrowers" must be an integer'),
        (dict(n_scenarios=-3), r'"n_scenarios" must be an integer >= 1'),
        (dict(n_scenarios=True), r'"n_scenarios" must be an integer'),
        (dict(seed=-1), r'"seed" must be an integer >= 0, got -1'),
        (dict(config={"lender": {}}), r'"config" must be a ScenarioConfig or None'),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, match):
    args = dict(pd=0.01, rho=0.1, n_borrowers=10, n_scenarios=10, seed=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sample_default_fractions(**args)


# ------------------------------------------------------------------ against closed forms
@pytest.mark.parametrize(
    ("pd", "rho", "n_borrowers", "n_scenarios"),
    [
        (0.01, QRRE_CORRELATION, 1000, 5000),
        (0.05, 0.15, 400, 5000),
        (0.002, 0.20, 2000, 4000),
    ],
)
def test_default_fraction_follows_the_mixed_binomial(pd, rho, n_borrowers, n_scenarios):
    f = sample_default_fractions(pd=pd, rho=rho, n_borrowers=n_borrowers, n_scenarios=n_scenarios, seed=SEED)
    res = compare_with_closed_form(f, n_borrowers, pd, rho, confidence=0.999)
    for row in res["quantiles"]:
        assert row["inside"], row
    assert res["ks"]["p_value"] > 1e-3
    assert abs(res["moments"]["mean_z"]) < 4
    assert abs(res["moments"]["variance_z"]) < 4


def test_rho_zero_gives_the_binomial():
    n, pd, m = 800, 0.02, 5000
    f = sample_default_fractions(pd=pd, rho=0.0, n_borrowers=n, n_scenarios=m, seed=SEED)
    k = np.rint(f * n).astype(np.int64)
    d, p = ks_discrete(k, stats.binom.cdf(np.arange(n + 1), n, pd))
    assert p > 1e-3, d
    assert abs(k.mean() - n * pd) < 4 * math.sqrt(n * pd * (1 - pd) / m)
    var = n * pd * (1 - pd)
    mu4 = var * (1 + 3 * (n - 2) * pd * (1 - pd))  # binomial fourth central moment
    assert abs(k.var(ddof=1) - var) < 4 * math.sqrt((mu4 - var**2) / m)
    x = np.sort(k)
    for q in (0.5, 0.9, 0.99, 0.999):
        lo, hi = order_statistic_ci(x, q, 0.999)
        assert lo <= stats.binom.ppf(q, n, pd) <= hi


def test_mixed_binomial_with_rho_zero_is_the_binomial():
    mb = MixedBinomial(300, 0.03, 0.0)
    assert np.allclose(mb.cdf(np.arange(301)), stats.binom.cdf(np.arange(301), 300, 0.03))


def test_mixed_binomial_moments_and_large_n_limit():
    mb = MixedBinomial(2000, 0.02, 0.1)
    assert mb.moments["mean"] == pytest.approx(0.02, rel=1e-9)
    assert mb.moments["variance"] == pytest.approx(mb.variance_exact(), rel=1e-6)
    assert mb.pmf().sum() == pytest.approx(1.0, abs=1e-12)
    # granularity vanishes: quantiles of K/N approach Vasicek's (within binomial noise)
    big = MixedBinomial(50_000, 0.02, 0.1)
    for q in (0.5, 0.9, 0.99, 0.999):
        assert float(big.quantile(q)) == pytest.approx(float(vasicek_quantile(q, 0.02, 0.1)), rel=0.01)


def test_vasicek_cdf_inverts_the_quantile():
    q = np.array([0.01, 0.5, 0.9, 0.999])
    assert np.allclose(vasicek_cdf(vasicek_quantile(q, 0.03, 0.12), 0.03, 0.12), q)
    # its mean is pd
    x = np.linspace(0, 1, 200_001)
    mean = np.trapezoid(1 - vasicek_cdf(x, 0.03, 0.12), x)
    assert mean == pytest.approx(0.03, rel=1e-3)


def test_order_statistic_interval_is_infinite_when_the_tail_is_too_thin():
    x = np.sort(np.random.default_rng(0).random(500))
    lo, hi = order_statistic_ci(x, 0.999, 0.95)
    assert math.isfinite(lo) and hi == math.inf
    lo, hi = order_statistic_ci(x, 0.5, 0.999)
    assert lo < 0.5 < hi
    assert lo <= np.median(x) <= hi


# ------------------------------------------------------------------ Basel IRB
# Basel II illustrative risk weights, qualifying revolving retail (R = 0.04)
QRRE_TABLE = [
    (0.001, 2.71, 5.12),
    (0.005, 10.04, 18.97),
    (0.01, 17.22, 32.53),
    (0.02, 28.92, 54.63),
]


@pytest.mark.parametrize(("pd", "rw45", "rw85"), QRRE_TABLE)
def test_qrre_risk_weights_match_the_basel_table(pd, rw45, rw85):
    assert round(100 * float(irb_risk_weight(pd, 0.45, QRRE_CORRELATION)), 2) == rw45
    assert round(100 * float(irb_risk_weight(pd, 0.85, QRRE_CORRELATION)), 2) == rw85


def test_other_retail_correlation_runs_from_16_to_3_percent():
    assert float(other_retail_correlation(0.0)) == pytest.approx(0.16)
    assert float(other_retail_correlation(1.0)) == pytest.approx(0.03)
    r = other_retail_correlation(np.array([0.001, 0.01, 0.05, 0.2]))
    assert (np.diff(r) < 0).all()


def test_model_999_quantile_brackets_the_mixed_binomial_capital():
    """The model's 99.9% default fraction at QRRE correlation gives IRB-like capital."""
    n, m, pd = 1000, 10_000, 0.01
    f = np.sort(sample_default_fractions(pd=pd, rho=QRRE_CORRELATION, n_borrowers=n, n_scenarios=m, seed=SEED))
    lo, hi = order_statistic_ci(f, 0.999, 0.999)
    theory = float(MixedBinomial(n, pd, QRRE_CORRELATION).quantile(0.999))
    assert lo <= theory <= hi
    # the granular (Vasicek) quantile is below the 1,000-borrower one
    assert float(vasicek_quantile(0.999, pd, QRRE_CORRELATION)) < theory


# ------------------------------------------------------------------ limitlab validate
def test_limitlab_validate_prints_the_tables_and_writes_figures(tmp_path, capsys):
    from limitlab.experiments.cli import main

    out = tmp_path / "validation"
    code = main(["validate", "--scenarios", "400", "--borrowers", "300", "--out", str(out)])
    assert code in (0, 1)  # 1 would mean a failed check: see validation.json
    text = capsys.readouterr().out
    assert "Basel IRB risk weights" in text and "mixed binomial" in text
    summary = __import__("json").loads((out / "validation.json").read_text())
    assert summary["n_scenarios"] == 400 and len(summary["pairs"]) == 5
    for name in ("default_fraction_tails.png", "quantiles.png", "irb.png"):
        assert (out / "figures" / name).stat().st_size > 10_000
    import pandas as pd

    irb = pd.read_parquet(out / "validation_irb.parquet")
    qrre = irb[(irb["portfolio"] == "qrre") & (irb["lgd"] == 0.45)].sort_values("pd")
    assert np.round(100 * qrre["irb_risk_weight"].to_numpy(), 2).tolist() == [2.71, 10.04, 17.22, 28.92]


@pytest.mark.parametrize(
    ("args", "match"),
    [(["--scenarios", "10"], "--scenarios 10 must be >= 100"),
     (["--borrowers", "0"], "--borrowers 0 must be >= 1"),
     (["--baseline", "no/such/batch"], "results directory 'no/such/batch' does not exist")],
)
def test_limitlab_validate_bad_input_is_one_line_exit_2(args, match, tmp_path, capsys):
    from limitlab.experiments.cli import main

    assert main(["validate", *args, "--out", str(tmp_path / "v")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err
    assert not (tmp_path / "v").exists()


def test_plot_functions_draw_on_a_given_ax_and_return_its_figure():
    import pandas as pd
    from limitlab.experiments import validation_plots as vp
    from matplotlib.figure import Figure

    f = sample_default_fractions(pd=0.02, rho=0.1, n_borrowers=200, n_scenarios=300, seed=1)
    samples = pd.DataFrame({"pd": 0.02, "rho": 0.1, "n_borrowers": 200, "default_fraction": f})
    fig = Figure()
    ax = fig.subplots()
    assert vp.plot_default_fraction_cdf(samples, 0.02, 0.1, ax=ax) is fig
    assert len(ax.lines) == 3  # model, mixed binomial, Vasicek
    cmp = compare_with_closed_form(f, 200, 0.02, 0.1)
    quantiles = pd.DataFrame([{"pd": 0.02, "rho": 0.1, **q} for q in cmp["quantiles"]])
    assert isinstance(vp.plot_quantile_check(quantiles), Figure)
    losses = pd.DataFrame({"annual_loss_rate": np.random.default_rng(0).gamma(2, 0.01, 40)})
    fig2 = vp.plot_loss_distribution(losses, irb_capital=0.05)
    assert len(fig2.axes[0].patches) > 0
