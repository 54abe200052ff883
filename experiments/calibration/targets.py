"""Calibration targets and the measures they are compared with.

A targets file (``targets.toml`` beside this module is the shipped one) holds one table per
target under ``[targets]``: ``value``, ``uncertainty``, ``segment``, its source, and what in
the model's outputs it is compared with. That last is either a ``compare`` key naming a measure
of :data:`MEASURES` (checked: an unknown name is an error) or, in the shipped file, the
``model_output`` sentence, whose leading phrase (before the first comma) is looked up in
:data:`OUTPUT_PHRASES`. A target whose phrase names no measure, or whose measure needs a column
the model does not write yet (``dpd30_rate`` and ``dpd90_rate`` before they are added to the
monthly and segment tables), is "not measured": listed, warned about and left out of the
distance.

Every measure is a function of a run's tables for one segment (``individuals``,
``small_businesses`` or ``all``), averaged over the last ``window`` months of the run (the
published figures describe a seasoned book, not its first months).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from limitlab.model.config import ConfigError, read_toml

SEGMENTS = {"individuals": "individual", "small_businesses": "small_business", "all": None}
CREDIT_LINE = "credit_line"  # the lender the targets describe (other channels are context)
DEFAULT_WINDOW = 12  # months at the end of the run the measures average over


def shipped_targets() -> Path:
    return Path(__file__).with_name("targets.toml")


# ------------------------------------------------------------------------------ measures
def _segment_rows(tables: Mapping[str, pd.DataFrame], segment: str, window: int) -> pd.DataFrame:
    """The segment table's rows of the credit line for ``segment`` in the last ``window``
    months, summed over habits (one row per month)."""
    seg = tables["segments"]
    if "lender" in seg.columns and (seg["lender"] == CREDIT_LINE).any():
        seg = seg[seg["lender"] == CREDIT_LINE]
    kind = SEGMENTS[segment]
    if kind is not None:
        seg = seg[seg["kind"] == kind]
    last = int(seg["month"].max()) if len(seg) else 0
    seg = seg[seg["month"] > last - window]
    numeric = seg.drop(columns=[c for c in ("lender", "kind", "habit") if c in seg.columns])
    if "dpd30_rate" in numeric.columns or "dpd90_rate" in numeric.columns:
        numeric = numeric.copy()
        for col in ("dpd30_rate", "dpd90_rate"):  # balance-weighted: sum balances, not rates
            if col in numeric.columns:
                numeric[col] = numeric[col].fillna(0.0) * numeric["outstanding"]
    return numeric.groupby("month").sum(numeric_only=True)


def _ratio(num: pd.Series, den: pd.Series) -> float:
    """Mean over months of num / den (months with den = 0 left out; NaN when none is left)."""
    ok = den > 0
    return float((num[ok] / den[ok]).mean()) if ok.any() else math.nan


def _utilisation(rows: pd.DataFrame, window: int) -> float:
    return _ratio(rows["outstanding"], rows["total_limit"])


def _average_outstanding(rows: pd.DataFrame, window: int) -> float:
    return _ratio(rows["outstanding"], rows["accounts_with_balance"].astype(float))


def _average_line(rows: pd.DataFrame, window: int) -> float:
    return _ratio(rows["total_limit"], (rows["active_accounts"] + rows["frozen_accounts"]).astype(float))


def _closure_rate(rows: pd.DataFrame, window: int) -> float:
    if not len(rows) or rows["active_accounts"].iloc[0] <= 0:
        return math.nan
    return float(rows["closures"].sum() / rows["active_accounts"].iloc[0] * 12.0 / len(rows))


def _dpd(col: str) -> Callable[[pd.DataFrame, int], float]:
    def measure(rows: pd.DataFrame, window: int) -> float:
        return _ratio(rows[col], rows["outstanding"])  # rows[col] holds balances past due

    return measure


def _peak(col: str) -> Callable[[pd.DataFrame, int], float]:
    def measure(rows: pd.DataFrame, window: int) -> float:
        ok = rows["outstanding"] > 0  # rows[col] holds balances past due
        return float((rows[col][ok] / rows["outstanding"][ok]).max()) if ok.any() else math.nan

    return measure


@dataclass(frozen=True)
class Measure:
    """What in a run's outputs a target is compared with."""

    name: str
    description: str
    kind: str  # "share" or "yuan" or "per_year" (number formats in the report)
    columns: tuple[str, ...]  # segment-table columns it needs
    fn: Callable[[pd.DataFrame, int], float]

    def of(self, tables: Mapping[str, pd.DataFrame], segment: str, window: int) -> float:
        return self.fn(_segment_rows(tables, segment, window), window)


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("utilisation", "outstanding / total limit, mean over the window's months", "share",
            ("outstanding", "total_limit"), _utilisation),
    Measure("average_outstanding", "outstanding / accounts with a balance (yuan)", "yuan",
            ("outstanding", "accounts_with_balance"), _average_outstanding),
    Measure("average_line", "total limit / (active + frozen accounts) (yuan)", "yuan",
            ("total_limit", "active_accounts", "frozen_accounts"), _average_line),
    Measure("closure_rate", "closures in the window / active accounts at its start, per year",
            "per_year", ("closures", "active_accounts"), _closure_rate),
    Measure("dpd30_rate", "balances 30+ days past due / outstanding (balance-weighted)", "share",
            ("dpd30_rate", "outstanding"), _dpd("dpd30_rate")),
    Measure("dpd90_rate", "balances 90+ days past due / outstanding (balance-weighted)", "share",
            ("dpd90_rate", "outstanding"), _dpd("dpd90_rate")),
    Measure("peak_dpd30_rate", "the highest month's balances 30+ days past due / outstanding "
            "in the window (e.g. a recession's peak)", "share", ("dpd30_rate", "outstanding"),
            _peak("dpd30_rate")),
)}

# the leading phrase of a target's ``model_output`` sentence -> the measure it names
OUTPUT_PHRASES: dict[str, str] = {
    "dpd30_rate": "dpd30_rate",
    "dpd90_rate": "dpd90_rate",
    "dpd90_rate (proxy)": "dpd90_rate",
    "peak dpd30_rate": "peak_dpd30_rate",
    "utilisation": "utilisation",
    "utilisation (outstanding / total_limit)": "utilisation",
    "outstanding / accounts_with_balance": "average_outstanding",
    "total_limit / (active_accounts + frozen_accounts)": "average_line",
    "sum of closures over 12 months / active_accounts at the start": "closure_rate",
}


# ------------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class Target:
    name: str
    value: float
    uncertainty: float
    segment: str
    primary: bool
    measure: str | None  # None: no measure in the registry names it
    unit: str
    source: str

    @property
    def kind(self) -> str:
        return MEASURES[self.measure].kind if self.measure else "number"


@dataclass(frozen=True)
class TargetSet:
    path: Path
    sha256: str
    targets: dict[str, Target]


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _measure_of(name: str, table: Mapping[str, Any]) -> str | None:
    if "compare" in table:
        m = table["compare"]
        if m not in MEASURES:
            raise ConfigError(f"TARGETS: target {name!r} compare = {m!r} — an unknown target "
                              f"measure; known: {', '.join(MEASURES)}")
        return m
    phrase = str(table.get("model_output", "")).split(",")[0].strip()
    return OUTPUT_PHRASES.get(phrase)


def load_targets(path: str | Path) -> TargetSet:
    """Read and check a targets file (:class:`ConfigError` for anything malformed)."""
    p = Path(path)
    data = read_toml(p, what="targets")
    table = data.get("targets")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"TARGETS: {str(p)!r} — no [targets.NAME] tables; see "
                          "experiments/calibration/targets.toml")
    out: dict[str, Target] = {}
    for name, t in table.items():
        if not isinstance(t, dict):
            raise ConfigError(f"TARGETS: targets.{name} — a table with value, uncertainty, segment")
        try:
            value, unc = float(t["value"]), float(t["uncertainty"])
            segment = str(t["segment"])
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"TARGETS: targets.{name} — needs a numeric value and uncertainty "
                              "and a segment") from None
        if segment not in SEGMENTS:
            raise ConfigError(f"TARGETS: targets.{name}.segment = {segment!r} — one of "
                              f"{', '.join(SEGMENTS)}")
        if not (math.isfinite(value) and math.isfinite(unc) and unc >= 0):
            raise ConfigError(f"TARGETS: targets.{name} — value and uncertainty must be finite, "
                              "uncertainty >= 0")
        out[name] = Target(name, value, unc, segment, bool(t.get("primary", False)),
                           _measure_of(name, t), str(t.get("unit", "")), str(t.get("source", "")))
    return TargetSet(p, file_sha256(p), out)


def select(targets: TargetSet, which: str) -> list[Target]:
    """``primary`` (default), ``all``, or a comma-separated list of target names."""
    if which == "primary":
        return [t for t in targets.targets.values() if t.primary]
    if which == "all":
        return list(targets.targets.values())
    names = [n.strip() for n in which.split(",") if n.strip()]
    unknown = [n for n in names if n not in targets.targets]
    if unknown or not names:
        raise ConfigError(f"--targets: {which!r} — primary, all, or names from the targets file "
                          f"(unknown: {', '.join(unknown) or 'none given'})")
    return [targets.targets[n] for n in names]


def split_measured(chosen: list[Target], columns: set[str]) -> tuple[list[Target], list[tuple[Target, str]]]:
    """(targets the model measures, [(target, why not)]) given the segment table's columns.

    A zero uncertainty cannot standardise a distance: such targets (e.g. hard caps) are left out
    too."""
    measured, not_measured = [], []
    for t in chosen:
        if t.measure is None:
            not_measured.append((t, "no measure in the registry names its model output"))
        elif missing := [c for c in MEASURES[t.measure].columns if c not in columns]:
            not_measured.append((t, f"the model does not write {', '.join(missing)} yet"))
        elif t.uncertainty <= 0:
            not_measured.append((t, "uncertainty 0: a bound, not a figure to fit"))
        else:
            measured.append(t)
    return measured, not_measured


def measure_all(targets: list[Target], tables: Mapping[str, pd.DataFrame], window: int) -> dict[str, float]:
    """Each target's model value from one run's tables."""
    return {t.name: MEASURES[t.measure].of(tables, t.segment, window) for t in targets}


def standardised_distance(sim: Mapping[str, float], obs: Mapping[str, float],
                          uncertainty: Mapping[str, float]) -> float:
    """sqrt(sum(((model - target) / uncertainty)^2)); infinite when a measure is undefined."""
    z = np.array([(sim[k] - obs[k]) / uncertainty[k] for k in obs], dtype=float)
    return float(np.sqrt(np.sum(z * z))) if np.all(np.isfinite(z)) else math.inf
