"""Determinism as a property: any valid configuration, run twice in two separate processes,
gives byte-identical Parquet outputs and books that balance; random valid configurations
run without a crash.

Configurations are sampled from the schema itself (every numeric, boolean and choice field
of every section within its own bounds), with the cross-field rules (shares summing to 1,
ordered cut-offs and limits, shocks in force within 5 sd) met by construction.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import os
import tempfile
import time
import typing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limitlab.model.config import (
    HABITS,
    MAX_SHOCK_DEPTH,
    SCORE_FEATURES,
    ConfigError,
    ScenarioConfig,
    set_dotted,
    validate_config,
)
from pydantic import BaseModel

# keys the sampler sets itself (size, identity, outputs) or builds with their cross-field rules
SET_APART = {"name", "description", "months", "seed", "population.borrowers", "output",
             "population.habits", "channels.strategies", "economy.shocks",
             "lender.learning.features"}
# month counts drawn within the short horizon of a test run (still inside the schema's
# bounds), so that reviews, refits and recessions happen at all
WITHIN_HORIZON = {
    "lender.review.period_months": (0, 12),
    "lender.learning.refit_months": (0, 12),
    "lender.learning.first_refit_month": (13, 24),
    "lender.learning.min_defaults": (1, 50),
    "lender.learning.max_rows_per_month": (100, 5000),
    "economy.recession_start_month": (0, 24),
    "economy.recession_months": (1, 24),
    "economy.recession_depth": (0.0, MAX_SHOCK_DEPTH / 2),
}
STRATEGY_NAMES = ("single_channel", "diversified", "opportunistic")


class NumpyPicker:
    """Draws from a numpy generator (the many-configurations run)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def uniform(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def integer(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def boolean(self) -> bool:
        return bool(self.rng.random() < 0.5)

    def choice(self, options: tuple) -> Any:
        return options[int(self.rng.integers(len(options)))]


class HypothesisPicker:
    """Draws through hypothesis (shrinkable, derandomised in CI)."""

    def __init__(self, draw) -> None:
        self.draw = draw

    def uniform(self, lo: float, hi: float) -> float:
        return self.draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def boolean(self) -> bool:
        return self.draw(st.booleans())

    def choice(self, options: tuple) -> Any:
        return self.draw(st.sampled_from(options))


def _bounds(info) -> tuple[float | None, float | None, bool, bool]:
    lo = hi = None
    lo_open = hi_open = False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    return lo, hi, lo_open, hi_open


def _number(pick, key: str, info, integer: bool):
    if key in WITHIN_HORIZON:
        lo, hi = WITHIN_HORIZON[key]
        return pick.integer(lo, hi) if integer else pick.uniform(lo, hi)
    lo, hi, lo_open, hi_open = _bounds(info)
    step = next((m.multiple_of for m in info.metadata
                 if getattr(m, "multiple_of", None) is not None), None)
    if integer and step:  # a multiple of ``step`` (charge-off days: whole months)
        return step * pick.integer(-((-int(lo) - lo_open) // step), (int(hi) - hi_open) // step)
    if integer:
        return pick.integer(int(lo) + lo_open, int(hi) - hi_open)
    if lo_open or hi_open:  # an open end: stay a hair inside it
        span = hi - lo
        lo, hi = lo + 1e-6 * span * lo_open, hi - 1e-6 * span * hi_open
    if lo > 0 and hi / lo > 1e3:  # money and other wide ranges: log-uniform
        return min(max(math.exp(pick.uniform(math.log(lo), math.log(hi))), lo), hi)
    return pick.uniform(lo, hi)


def _walk(pick, model: type[BaseModel], prefix: str, out: dict[str, Any]) -> None:
    for name, info in model.model_fields.items():
        key = prefix + name
        if key in SET_APART:
            continue
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            _walk(pick, ann, key + ".", out)
        elif ann is bool:
            out[key] = pick.boolean()
        elif typing.get_origin(ann) is typing.Literal:
            out[key] = pick.choice(typing.get_args(ann))
        elif ann is int:
            out[key] = _number(pick, key, info, integer=True)
        elif ann is float:
            out[key] = _number(pick, key, info, integer=False)


def _shares(pick, names: tuple[str, ...]) -> dict[str, float]:
    raw = [pick.uniform(0.0, 1.0) for _ in names]
    if sum(raw) <= 0:
        raw = [1.0] + [0.0] * (len(raw) - 1)
    total = sum(raw)
    vals = [r / total for r in raw]
    vals[-1] = max(0.0, 1.0 - sum(vals[:-1]))
    return dict(zip(names, vals))


def sample_overrides(pick, *, borrowers: tuple[int, int] = (100, 300),
                     months: tuple[int, int] = (12, 24)) -> dict[str, Any]:
    """Dotted-key values for one valid configuration (validate with :func:`build`)."""
    out: dict[str, Any] = {}
    _walk(pick, ScenarioConfig, "", out)
    n_months = pick.integer(*months)
    out.update({"months": n_months, "population.borrowers": pick.integer(*borrowers),
                "seed": pick.integer(0, 2**32), "output.events": True,
                "output.borrowers": True, "output.figures": False, "output.twin": False,
                "population.habits": _shares(pick, HABITS),
                "channels.strategies": _shares(pick, STRATEGY_NAMES)})
    # a burn-in in some configurations, short enough to keep each example quick
    out["burn_in_months"] = pick.choice((0, pick.integer(1, 24)))
    # ordered cut-offs and limits
    cut, close = sorted((out["lender.cut_pd"], out["lender.close_pd"]))
    if cut == close:
        cut = close / 2
    out["lender.cut_pd"], out["lender.close_pd"] = cut, close
    lo, mid, hi = sorted((out["lender.min_limit"], out["lender.initial_limit"], out["lender.max_limit"]))
    out["lender.min_limit"], out["lender.initial_limit"], out["lender.max_limit"] = lo, mid, hi
    # a small business's first limit at least one cent
    out["lender.small_business_limit_multiplier"] = max(
        out["lender.small_business_limit_multiplier"], 0.02 / mid)
    features = [f for f in SCORE_FEATURES if pick.boolean()] or [pick.choice(SCORE_FEATURES)]
    out["lender.learning.features"] = features
    # up to two shocks of at most 1.25 sd each: with the recession (at most 2.5) what is in
    # force never passes 5 sd
    shocks = []
    sectors = out["economy.sectors"]
    for _ in range(pick.integer(0, 2)):
        start = pick.integer(0, n_months)
        shocks.append({"start_month": start, "end_month": pick.integer(start, n_months),
                       "depth": pick.uniform(-1.25, 1.25),
                       "sector": pick.choice((None, pick.integer(0, sectors - 1)))})
    out["economy.shocks"] = shocks
    # the far tail of income within int64 cents (ScenarioConfig's joint rule): a smaller
    # median where the spreads are wide
    while (kind := _kind_past_int64(out)) is not None:
        out[f"population.{kind}.median_monthly_income"] /= 10.0
    return out


def _kind_past_int64(overrides: dict[str, Any]) -> str | None:
    try:
        build(overrides)
    except ConfigError as exc:
        for kind in ("individual", "small_business"):
            key = f"population.{kind}.median_monthly_income"
            if str(exc).startswith(f"population.{kind}: a borrower's largest amount") \
                    and overrides[key] > 1.0:
                overrides[key] = max(overrides[key], 10.0)  # /10 keeps it at least 1
                return kind
        raise
    return None


def build(overrides: dict[str, Any]) -> ScenarioConfig:
    data: dict[str, Any] = {}
    for key, value in overrides.items():
        set_dotted(data, key, value)
    return validate_config(data)


@st.composite
def configurations(draw, borrowers=(100, 200), months=(12, 18), **fixed) -> dict[str, Any]:
    """Sampled dotted-key values; ``fixed`` (``channels__enabled=True``) pins some."""
    out = sample_overrides(HypothesisPicker(draw), borrowers=borrowers, months=months)
    out.update({k.replace("__", "."): v for k, v in fixed.items()})
    return out


# ---------------------------------------------------------------- running in a worker
def ledger_gaps(monthly) -> list[str]:
    """Each lender's identity outstanding(t) = outstanding(t-1) + disbursed - repaid -
    written off, to the cent, and the system row the sum of the lenders'."""
    gaps = []
    books = monthly[monthly["lender"] != "all"]
    for lender, g in books.groupby("lender", observed=True):
        g = g.sort_values("month")
        c = (g[["outstanding", "disbursed", "principal_repaid", "written_off"]] * 100).round()
        change = c["outstanding"].diff().iloc[1:]
        flows = (c["disbursed"] - c["principal_repaid"] - c["written_off"]).iloc[1:]
        if not (change == flows).all():
            gaps.append(f"{lender}: outstanding moves by other than its flows")
    if (monthly["lender"] == "all").any():
        parts = books.groupby("month")["outstanding"].sum()
        system = monthly[monthly["lender"] == "all"].set_index("month")["outstanding"]
        if not np.allclose(parts.loc[system.index], system, rtol=0, atol=0.005):
            gaps.append("all: not the sum of the lenders")
    return gaps


def run_and_hash(overrides: dict[str, Any]) -> dict[str, Any]:
    """Simulate in this process and return the SHA-256 of every Parquet output (written as
    ``limitlab run`` writes them), the summary and any gap in the books."""
    from limitlab.experiments.outputs import write_parquet
    from limitlab.model.run import simulate

    result = simulate(build(overrides))
    hashes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, df in result.tables.items():
            path = Path(tmp) / f"{name}.parquet"
            write_parquet(df, path)
            hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"hashes": hashes, "summary": repr(sorted(result.summary.items())), "pid": os.getpid(),
            "ledger_gaps": ledger_gaps(result.tables["monthly"])}


@pytest.fixture(scope="module")
def two_processes():
    """Two separate worker processes (spawned: their own interpreter, hash seed and
    compiled-kernel state), alive for the whole module so each example pays no start-up."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as a, ProcessPoolExecutor(1, mp_context=ctx) as b:
        yield a, b


@settings(max_examples=4, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(overrides=configurations(channels__enabled=True, adaptation__enabled=True))
def test_any_valid_configuration_gives_identical_outputs_in_two_processes(two_processes, overrides):
    # the other lenders and adaptive borrowers on: the widest code path (the many-configuration
    # run below also samples them off)
    a, b = two_processes
    ra, rb = a.submit(run_and_hash, overrides), b.submit(run_and_hash, overrides)
    ra, rb = ra.result(), rb.result()
    assert ra["pid"] != rb["pid"]
    assert ra["hashes"] == rb["hashes"]
    assert ra["summary"] == rb["summary"]
    assert ra["ledger_gaps"] == [] and rb["ledger_gaps"] == []


def random_configuration_count() -> int:
    """How many configurations the crash test runs: ``LIMITLAB_RANDOM_CONFIGS`` (the
    documented run sets 1000), else a small count that keeps ``make test`` short."""
    return int(os.environ.get("LIMITLAB_RANDOM_CONFIGS", "25"))


@pytest.mark.slow
def test_random_valid_configurations_run_without_a_crash():
    from limitlab.model.run import simulate

    n = random_configuration_count()
    rng = np.random.default_rng(20261203)
    start = time.perf_counter()
    for i in range(n):
        overrides = sample_overrides(NumpyPicker(rng), borrowers=(50, 200), months=(6, 24))
        try:
            result = simulate(build(overrides))
        except Exception as exc:  # report which configuration broke, to rerun it alone
            raise AssertionError(f"configuration {i} of {n}: {exc!r}\n{overrides!r}") from exc
        assert ledger_gaps(result.tables["monthly"]) == [], (i, overrides)
        assert all(not isinstance(v, float) or not math.isinf(v) for v in result.summary.values()), i
    print(f"\n{n} random configurations ran in {time.perf_counter() - start:.1f} s")
