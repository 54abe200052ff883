"""The engine's edges: configurations that are valid but unusual run, compiled rules never
read outside their arrays, and the schema refuses values the integer-cent books cannot carry."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments.cli import main
from limitlab.experiments.sweep import Design, check_design
from limitlab.model.config import (
    MAX_MEDIAN_MONTHLY_INCOME,
    ConfigError,
    ScenarioConfig,
    apply_overrides,
    parse_set_options,
)
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate

from tests.conftest import small_config

NO_SECTOR_EFFECTS = {
    "channels.enabled": True, "economy.sector_effects": False, "economy.sectors": 44,
    "channels.strategies": {"single_channel": 0, "diversified": 1, "opportunistic": 0},
}


def test_without_sector_effects_every_sector_gets_the_neutral_factor():
    cfg = small_config("baseline", 200, 6, **NO_SECTOR_EFFECTS)
    m = CreditMarketModel(cfg, rng=3, create_agents=False)
    while m.month < cfg.months:
        m.step()
    assert (m.table.sector >= 0).any()
    for ln in m.channels.lenders:
        factors_ext = ln._size_terms(m.channels.view, m.economy, m.month)[6]
        # one factor per sector and the neutral one sector -1 (individuals) picks: all 0
        assert factors_ext.size == cfg.economy.sectors + 1, ln.name
        assert not factors_ext.any(), ln.name


def test_without_sector_effects_the_same_seed_gives_the_same_run():
    cfg = small_config("baseline", 200, 24, **NO_SECTOR_EFFECTS)
    a, b = simulate(cfg, seed=11), simulate(cfg, seed=11)
    for name in ("monthly", "positions", "borrowers"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


def test_channels_on_with_no_member_runs():
    cfg = small_config(
        "baseline", 200, 12, **{
            "channels.enabled": True, "population.small_business_share": 0.0,
            "population.habits": {"prudent": 0.55, "revolver": 0.2, "tester": 0.08,
                                  "early_repayer": 0.1, "multi_lender": 0.0, "late_payer": 0.07},
        })
    r = simulate(cfg, seed=1)
    m = r.tables["monthly"]
    for lender in ("bank", "supply_chain", "other_online"):
        g = m[m["lender"] == lender]
        assert len(g) == cfg.months + 1 or len(g) == cfg.months
        assert (g["outstanding"] == 0).all()
    assert np.isfinite(r.summary["loss_rate"])


# ------------------------------------------------------------------ the schema's bounds
@pytest.mark.parametrize("income", [1e16, 1e300, MAX_MEDIAN_MONTHLY_INCOME * 1.01])
def test_incomes_the_cent_arithmetic_cannot_carry_are_refused(income):
    key = "population.individual.median_monthly_income"
    with pytest.raises(ConfigError, match=rf"^{re.escape(key)} = .*less than or equal to 1000000$"):
        apply_overrides(ScenarioConfig(), {key: income})


@pytest.mark.parametrize(("median", "shocks"), [
    (1e5, []), (10.0, [{"start_month": 1, "end_month": 12, "depth": -5.0}]),
], ids=["large-median", "favourable-shock"])
def test_the_widest_tails_allowed_keep_every_amount_exact(median, shocks):
    """With the widest spreads the schema allows and a median it accepts with them, incomes
    stay positive and the books (checked to the cent every month) balance."""
    cfg = small_config("baseline", 300, 12, **{
        "population.individual.median_monthly_income": median,
        "population.small_business.median_monthly_income": median,
        "population.individual.income_dispersion": 2.0,
        "population.small_business.income_dispersion": 2.0,
        "population.individual.income_volatility": 2.0,
        "population.small_business.income_volatility": 2.0,
        "economy.shocks": shocks,
        "lender.max_limit": 1e8, "lender.initial_limit": 1e6, "lender.income_multiple": 50.0,
    })
    m = CreditMarketModel(cfg, rng=5, create_agents=False)
    while m.month < cfg.months:
        m.step()  # the ledger raises LedgerError on a one-cent gap
        n = m.table.n
        assert (m.table.base_income_cents[:n] >= 100).all()
        assert (m.table.savings_cents[:n] > -(2**62)).all()
    monthly = simulate(cfg, seed=5).tables["monthly"]
    assert (monthly["demand"] >= 0).all()


def test_an_income_whose_far_tail_passes_int64_cents_is_refused():
    tails = {"population.individual.median_monthly_income": MAX_MEDIAN_MONTHLY_INCOME,
             "population.individual.income_dispersion": 2.0,
             "population.individual.income_volatility": 2.0}
    with pytest.raises(ConfigError, match=r"^population\.individual: a borrower's largest amount "
                       r"could reach .* cents, beyond what int64 cents carry"):
        apply_overrides(ScenarioConfig(), tails)
    # each alone is fine, and so is the widest spread at a smaller median
    for key in tails:
        apply_overrides(ScenarioConfig(), {key: tails[key]})
    apply_overrides(ScenarioConfig(), {**tails, "population.individual.median_monthly_income": 1e5})


def test_overlapping_shocks_beyond_five_sd_are_refused():
    shocks = [{"start_month": 1, "end_month": 5, "depth": -4.0},
              {"start_month": 3, "end_month": 4, "depth": -3.0}]
    with pytest.raises(ConfigError, match=r"month 3 shift the common factor by -7 sd"):
        apply_overrides(ScenarioConfig(), {"economy.shocks": shocks})
    apply_overrides(ScenarioConfig(), {"economy.shocks": shocks[:1]})  # one at a time is fine


@pytest.mark.parametrize(("key", "value", "pattern"), [
    ("months", True, r"whole number"),
    ("months", "12", r"whole number"),
    ("months", 12.5, r"whole number"),
    ("lender.initial_limit", True, r"must be a number"),
    ("lender.initial_limit", "500", r"must be a number"),
    ("economy.cycle", 1, r"true or false"),
    ("lender.initial_limit", 1e-9, r"greater than or equal to 0\.01"),
    ("lender.min_limit", 0.001, r"greater than or equal to 0\.01"),
    ("seed", 2**64, r"less than or equal to 9223372036854775807"),
])
def test_values_of_the_wrong_type_or_below_a_cent_are_refused(key, value, pattern):
    with pytest.raises(ConfigError, match=rf"^{re.escape(key)} = .*{pattern}") as exc:
        apply_overrides(ScenarioConfig(), {key: value})
    assert "\n" not in str(exc.value)


def test_a_small_business_first_limit_below_a_cent_is_refused():
    with pytest.raises(ConfigError, match=r"^lender = .*first limit must be at least 0\.01 yuan"):
        apply_overrides(ScenarioConfig(), {"lender.small_business_limit_multiplier": 1e-9})


def test_numbers_from_set_toml_and_numpy_still_validate():
    cfg = apply_overrides(ScenarioConfig(), parse_set_options(["months=12", "lender.initial_limit=500"]))
    assert (cfg.months, cfg.lender.initial_limit) == (12, 500.0)
    cfg = apply_overrides(ScenarioConfig(), {"months": np.int64(7), "economy.rho": np.float64(0.1),
                                             "economy.cycle": np.bool_(False)})
    assert (cfg.months, cfg.economy.rho, cfg.economy.cycle) == (7, 0.1, False)
    assert type(cfg.months) is int


def test_a_sweep_axis_of_booleans_for_a_number_is_refused_before_any_run():
    design = Design.from_dict({"axes": {"lender.initial_limit": [True, False]}})
    with pytest.raises(ConfigError, match=r"axes\.lender\.initial_limit = True: .*must be a number"):
        check_design(design, ScenarioConfig())


def test_cli_refuses_a_boolean_month_count_in_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "baseline", "--borrowers", "50", "--quiet", "--no-figures",
                 "--set", "months=true", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("limitlab: error: months = True: ")
    assert not out.exists()


def test_mean_utilisation_is_zero_when_no_line_is_ever_open():
    r = simulate(small_config("baseline", 100, 6, **{"lender.approval_pd": 1e-6}), seed=1)
    assert r.summary["accounts_opened"] == 0
    assert r.summary["mean_utilisation"] == 0.0
    assert r.tables["monthly"]["utilisation"].isna().all()  # no month has a limit on offer


def test_mean_utilisation_averages_the_months_with_a_limit():
    r = simulate(small_config("baseline", 200, 6), seed=1)
    m = r.tables["monthly"]
    m = m[m["month"] > 0]
    assert r.summary["mean_utilisation"] == float(m["utilisation"].dropna().mean()) > 0


# ------------------------------------------------------------ numba bounds checking
# The compiled kernels do not check array bounds: a bad index reads (or writes) whatever
# lies past the array, silently. Here the real model runs with NUMBA_BOUNDSCHECK=1 in a
# subprocess, so an index outside an array raises IndexError instead. numba's on-disk cache
# key ignores that variable, so the checked build gets a cache directory of its own (under
# pytest's cache, so only the first run pays the compilation).
CHECKED_CONFIGS = [
    {"lender.review.period_months": 3, "lender.risk_appetite": 0.005,
     "economy.shocks": [{"start_month": 4, "end_month": 9, "depth": 2.0},
                        {"start_month": 2, "end_month": 6, "depth": 1.5, "sector": 2}]},
    {"lender.learning.refit_months": 3, "lender.learning.first_refit_month": 13,
     "lender.learning.min_defaults": 1, "adaptation.enabled": True},
    {"channels.enabled": True, "population.small_business_share": 0.6,
     "channels.strategies": {"single_channel": 0.2, "diversified": 0.4, "opportunistic": 0.4},
     **{k: v for k, v in NO_SECTOR_EFFECTS.items() if k.startswith("economy.")}},
]
CHECKED_RANDOM = 3  # random valid configurations (tests.test_determinism's sampler)

CHECKED_SCRIPT = """
import sys, numba, numpy as np
assert numba.config.BOUNDSCHECK == 1, numba.config.BOUNDSCHECK

@numba.njit
def at(a, i):
    return a[i]

try:
    at(np.zeros(3), 3)
except IndexError:
    pass
else:
    sys.exit("canary: an index past the end did not raise IndexError")
print("canary: IndexError raised")

import json
from limitlab.model.config import apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from tests.conftest import small_config
from tests.test_determinism import NumpyPicker, build, sample_overrides

fixed, n_random = json.loads(sys.argv[1]), int(sys.argv[2])
configs = [small_config("baseline", 200, 18, **o) for o in fixed]
rng = np.random.default_rng(7)
configs += [build(sample_overrides(NumpyPicker(rng), borrowers=(150, 200), months=(12, 18)))
            for _ in range(n_random)]
for i, cfg in enumerate(configs):
    m = CreditMarketModel(cfg, create_agents=False)
    m.run()
    print(f"config {i}: {cfg.months} months, {m.table.n} rows, in bounds")
"""


def _checked_env(cache_dir: Path) -> dict[str, str]:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(cache_dir)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def boundscheck_cache(request, tmp_path_factory) -> Path:
    cache = getattr(request.config, "cache", None)
    return cache.mkdir("numba-boundscheck") if cache is not None else tmp_path_factory.mktemp("nb")


def test_the_model_stays_in_bounds_with_numba_bounds_checking(boundscheck_cache):
    root = Path(__file__).resolve().parent.parent
    res = subprocess.run(
        [sys.executable, "-c", CHECKED_SCRIPT, json.dumps(CHECKED_CONFIGS), str(CHECKED_RANDOM)],
        cwd=root, env=_checked_env(boundscheck_cache), capture_output=True, text=True, timeout=900,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "canary: IndexError raised" in res.stdout
    assert res.stdout.count("in bounds") == len(CHECKED_CONFIGS) + CHECKED_RANDOM
