"""Experiment designs: a base scenario, axes over the scenario schema and how points are chosen.

A :class:`Design` names a base scenario, the axes (dotted keys of the scenario schema) and how
points are chosen over them (``batch``, ``grid``, ``lhs``, ``sobol``, ``morris``), plus a
number of replicates per point; a sweep file (TOML) is read into one. Every check of a design
(axis values against the schema, sizes, integer bounds) happens here, before anything runs.
:mod:`limitlab.experiments.sweep` runs a design.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from limitlab.experiments.catalog import load_scenario
from limitlab.model.config import (
    ConfigError,
    ScenarioConfig,
    apply_overrides,
    field_bounds,
    field_info,
    read_toml,
)

KINDS = ("batch", "grid", "lhs", "sobol", "morris")
SAMPLED_KINDS = ("lhs", "sobol", "morris")  # axes are ranges, not value lists
#: tables every credit-model run writes (plus the extra tables the model may add)
PER_RUN_TABLES = ("monthly", "segments", "reasons", "vintages", "roll_rates", "reviews")
#: tables written only on request (``keep``): large at scale
OPTIONAL_TABLES = ("borrowers", "events")
DEFAULT_OUTCOMES = (
    "loss_rate", "mean_default_rate", "final_total_limit", "closure_rate",
    "unmet_demand_share", "net_income",
)
#: short names for the model functions that ship with limitlab
MODELS = {
    "credit": "limitlab.experiments.sweep:credit_model",
    "ishigami": "limitlab.experiments.sweep:ishigami",
}
SWEEP_DIR = Path(__file__).resolve().parent / "sweeps"
#: at most this many runs (points × replicates) in one design, and points in a sampled one:
#: beyond, the task list alone would exhaust memory
MAX_RUNS = 1_000_000
#: integer axes of sampled designs: bounds must be exact in a float and fit an int64
MAX_INTEGER_BOUND = 2**53


# ---------------------------------------------------------------------------- designs
@dataclass(frozen=True)
class Axis:
    """One swept parameter: a dotted key with listed ``values`` (grid) or a ``low``–``high``
    range (lhs, sobol, morris). ``integer`` axes (integer fields of the schema) have their
    sampled values rounded."""

    key: str
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False

    def spec(self) -> dict[str, Any]:
        """JSON form (for the manifest)."""
        if self.values:
            return {"key": self.key, "values": list(self.values)}
        return {"key": self.key, "low": self.low, "high": self.high, "integer": self.integer}


@dataclass(frozen=True)
class Design:
    """What to run: a base scenario, axes, a design kind and replicates per point.

    Attributes:
        name: Name of the sweep (the default output directory is ``results/<name>``).
        kind: ``batch`` (one point, no axes), ``grid``, ``lhs``, ``sobol`` or ``morris``.
        scenario: Base scenario (file or name in ``experiments/scenarios``); ``None`` for
            model functions that take no scenario (e.g. ``ishigami``).
        axes: The swept parameters.
        replicates: Runs per design point (different seeds).
        overrides: Dotted-key overrides applied to the base scenario (``seed`` sets the
            root seed).
        samples: ``lhs``: number of points; ``sobol``: base sample N (a power of 2; N·(D+2)
            points, N·(2D+2) with second order); ``morris``: number of trajectories.
        second_order: ``sobol``: also compute second-order indices.
        levels: ``morris``: grid levels.
        sampler_seed: Seed of the lhs/sobol/morris sampler (not of the runs).
        outcomes: Outcomes analysed for sensitivity and shown in summaries.
        model: Model function, ``"module:function"`` or a name in :data:`MODELS`.
        description: Free text.
    """

    name: str
    kind: str = "batch"
    scenario: str | None = "baseline"
    axes: tuple[Axis, ...] = ()
    replicates: int = 1
    overrides: Mapping[str, Any] = field(default_factory=dict)
    samples: int = 0
    second_order: bool = False
    levels: int = 4
    sampler_seed: int = 1
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
    model: str = "credit"
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"design = {self.kind!r}: unknown; allowed: {', '.join(KINDS)}")
        if not isinstance(self.replicates, int) or self.replicates < 1:
            raise ConfigError(f"replicates = {self.replicates!r}: must be an integer >= 1")
        if self.kind == "batch" and self.axes:
            raise ConfigError("a batch has no axes; use design = \"grid\" to sweep them")
        if self.kind != "batch" and not self.axes:
            raise ConfigError(f"design = {self.kind!r} needs at least one axis under [axes]")
        keys = [a.key for a in self.axes]
        for a in self.axes:
            if self.kind == "grid" and not a.values:
                raise ConfigError(f"axes.{a.key}: a grid axis needs a list of values, e.g. [1, 2, 3]")
            if self.kind in SAMPLED_KINDS and (a.low is None or a.high is None or not a.low < a.high):
                raise ConfigError(
                    f"axes.{a.key}: a {self.kind} axis needs a range with low < high, "
                    "e.g. {low = 0.1, high = 0.5} or [0.1, 0.5]"
                )
            clash = [k for k in self.overrides if k == a.key or k.startswith(a.key + ".")]
            if clash:
                raise ConfigError(f"{clash[0]}: set both as an override and as an axis; drop one")
        if len(set(keys)) != len(keys):
            raise ConfigError(f"axes: a key is listed twice ({', '.join(keys)})")
        if self.kind in SAMPLED_KINDS and (not isinstance(self.samples, int) or self.samples < 1):
            raise ConfigError(f"samples = {self.samples!r}: a {self.kind} design needs samples >= 1")
        if self.kind == "sobol" and self.samples & (self.samples - 1):
            raise ConfigError(f"samples = {self.samples}: Sobol' sequences need a power of 2 (e.g. 64, 128)")
        if self.kind == "morris" and self.levels < 2:
            raise ConfigError(f"levels = {self.levels}: Morris needs at least 2 levels")
        if self.model not in MODELS and ":" not in self.model:
            raise ConfigError(
                f"model = {self.model!r}: give 'module:function' or one of {', '.join(MODELS)}"
            )
        if self.model_path == MODELS["credit"] and self.scenario is None:
            raise ConfigError("scenario: the credit model needs a base scenario")
        if self.kind in SAMPLED_KINDS and self.samples > MAX_RUNS:
            raise ConfigError(f"samples: {self.samples} — at most {MAX_RUNS:,} design points; "
                              "split the design into several sweeps")
        n_runs = self.n_points * self.replicates
        if n_runs > MAX_RUNS:
            raise ConfigError(f"replicates: {self.replicates} — {self.n_points:,} points × "
                              f"{self.replicates:,} replicates = {n_runs:,} runs; at most "
                              f"{MAX_RUNS:,} runs in one design")

    @property
    def n_points(self) -> int:
        """The number of design points (known before sampling them)."""
        d = len(self.axes)
        if self.kind == "batch":
            return 1
        if self.kind == "grid":
            return math.prod(len(a.values) for a in self.axes)
        if self.kind == "lhs":
            return self.samples
        if self.kind == "sobol":
            return self.samples * ((2 * d + 2) if self.second_order else (d + 2))
        return self.samples * (d + 1)  # morris: trajectories × (D + 1)

    # -- construction
    @classmethod
    def batch(cls, scenario: str, replicates: int, overrides: Mapping[str, Any] | None = None,
              name: str | None = None) -> Design:
        """``replicates`` runs of one scenario (named after the scenario unless ``name``)."""
        overrides = dict(overrides or {})
        if name is None:
            name = load_scenario(scenario, overrides).name
        return cls(name=name, kind="batch", scenario=str(scenario), replicates=replicates,
                   overrides=overrides, outcomes=DEFAULT_OUTCOMES)

    @classmethod
    def from_toml(cls, path: str | Path, overrides: Mapping[str, Any] | None = None,
                  replicates: int | None = None) -> Design:
        """Read a sweep file (a path, or a name in ``experiments/sweeps/``).

        Args:
            path: The sweep file.
            overrides: Dotted-key overrides laid over the file's ``[set]`` table.
            replicates: Replaces the file's ``replicates`` when given.

        Raises:
            ConfigError: One line naming the file and the offending key.
        """
        p = resolve_sweep_path(path)
        data = read_toml(p, what="sweep")
        try:
            return cls.from_dict(data, overrides=overrides, replicates=replicates,
                                 default_name=p.stem, base_dir=p.parent)
        except ConfigError as exc:
            raise ConfigError(f"sweep file {str(p)!r}: {exc}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, overrides: Mapping[str, Any] | None = None,
                  replicates: int | None = None, default_name: str = "sweep",
                  base_dir: Path | None = None) -> Design:
        """Build a design from the parsed contents of a sweep file (see :meth:`from_toml`)."""
        allowed = {"name", "description", "scenario", "design", "replicates", "seed", "samples",
                   "second_order", "levels", "sampler_seed", "outcomes", "model", "axes", "set"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(f"{unknown[0]}: unknown key; allowed: {', '.join(sorted(allowed))}")
        kind = data.get("design", "grid")
        if not isinstance(kind, str):
            raise ConfigError(f"design = {kind!r}: give one of {', '.join(KINDS[1:])} as a string")
        model = _typed(data, "model", str, "credit")
        scenario = data.get("scenario", "baseline" if model == "credit" else None)
        if scenario is not None:
            scenario = str(scenario)
            if base_dir is not None and (base_dir / scenario).is_file():
                scenario = str(base_dir / scenario)  # relative to the sweep file
        sets = data.get("set", {})
        if not isinstance(sets, Mapping):
            raise ConfigError("set: must be a table of dotted keys, e.g. [set] \"months\" = 24")
        ov = _flatten(sets)
        if "seed" in data:
            ov["seed"] = _typed(data, "seed", int, 0)
        ov.update(overrides or {})
        axes_raw = data.get("axes", {})
        if not isinstance(axes_raw, Mapping):
            raise ConfigError("axes: must be a table, e.g. [axes] \"economy.rho\" = [0.05, 0.1]")
        # with a scenario, axes are keys of its schema (checked now, before any run)
        axes = tuple(_axis(k, v, kind, scenario is not None)
                     for k, v in _flatten(axes_raw, leaf=_is_axis_leaf).items())
        credit = MODELS.get(model, model) == MODELS["credit"]
        outcomes = data.get("outcomes", list(DEFAULT_OUTCOMES))
        if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes) or not outcomes:
            raise ConfigError(f"outcomes = {outcomes!r}: give a list of outcome names, e.g. [\"loss_rate\"]")
        if credit:
            from limitlab.model.run import OUTCOMES

            bad = [o for o in outcomes if o not in OUTCOMES]
            if bad:
                raise ConfigError(f"outcomes: {bad[0]!r} is not an outcome; allowed: {', '.join(OUTCOMES)}")
        name = _typed(data, "name", str, default_name)
        return cls(
            name=name,
            kind=kind,
            scenario=scenario,
            axes=axes,
            replicates=replicates if replicates is not None else _typed(data, "replicates", int, 1),
            overrides=ov,
            samples=_typed(data, "samples", int, 0),
            second_order=_typed(data, "second_order", bool, False),
            levels=_typed(data, "levels", int, 4),
            sampler_seed=_typed(data, "sampler_seed", int, 1),
            outcomes=tuple(outcomes),
            model=model,
            description=_typed(data, "description", str, ""),
        )

    # -- derived
    @property
    def model_path(self) -> str:
        """The model function as ``module:function``."""
        return MODELS.get(self.model, self.model)

    @property
    def is_credit_model(self) -> bool:
        return self.model_path == MODELS["credit"]

    @property
    def axis_keys(self) -> list[str]:
        return [a.key for a in self.axes]

    def base_config(self) -> ScenarioConfig | None:
        """The validated base scenario with the overrides applied (None without a scenario)."""
        if self.scenario is None:
            return None
        return load_scenario(self.scenario, {k: v for k, v in self.overrides.items()})

    def root_seed(self, base: ScenarioConfig | None = None) -> int:
        """The root of every run's seed: the base scenario's ``seed`` (after overrides)."""
        if self.scenario is None:
            return int(self.overrides.get("seed", 0))
        base = base if base is not None else self.base_config()
        return int(base.seed)

    def problem(self) -> dict[str, Any]:
        """The SALib problem (names and bounds of the axes)."""
        return {"num_vars": len(self.axes), "names": self.axis_keys,
                "bounds": [[float(a.low), float(a.high)] for a in self.axes]}

    def sample_matrix(self) -> np.ndarray:
        """The sampler's rows (unrounded) for lhs/sobol/morris, one per design point."""
        d = len(self.axes)
        if self.kind == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=d, seed=self.sampler_seed).random(self.samples)
            return qmc.scale(unit, [a.low for a in self.axes], [a.high for a in self.axes])
        if self.kind == "sobol":
            from SALib.sample import sobol

            return sobol.sample(self.problem(), self.samples, calc_second_order=self.second_order,
                                seed=self.sampler_seed)
        if self.kind == "morris":
            from SALib.sample import morris

            return morris.sample(self.problem(), self.samples, num_levels=self.levels,
                                 seed=self.sampler_seed)
        raise ValueError(f"a {self.kind} design has no sample matrix")

    def points(self) -> pd.DataFrame:
        """The design points: ``point`` and one column per axis, in the sampler's row order."""
        keys = self.axis_keys
        if self.kind == "batch":
            return pd.DataFrame({"point": np.zeros(1, dtype=np.int64)})
        if self.kind == "grid":
            rows = list(itertools.product(*(a.values for a in self.axes)))
            df = pd.DataFrame(rows, columns=keys)
        else:
            df = pd.DataFrame(self.sample_matrix(), columns=keys)
            for a in self.axes:
                if a.integer:
                    df[a.key] = np.rint(df[a.key]).astype(np.int64)
        df.insert(0, "point", np.arange(len(df), dtype=np.int64))
        return df

    def spec(self) -> dict[str, Any]:
        """The design as JSON (stored in the manifest; a resume must match it)."""
        return {
            "name": self.name, "kind": self.kind, "scenario": self.scenario,
            "axes": [a.spec() for a in self.axes], "replicates": self.replicates,
            "overrides": dict(self.overrides), "samples": self.samples,
            "second_order": self.second_order, "levels": self.levels,
            "sampler_seed": self.sampler_seed, "outcomes": list(self.outcomes),
            "model": self.model_path, "description": self.description,
        }


def resolve_sweep_path(path: str | Path) -> Path:
    """A path as given, or a bare name looked up in ``experiments/sweeps/``."""
    p = Path(path)
    if p.exists() or p.parent != Path("."):
        return p
    cand = SWEEP_DIR / (p.name if p.suffix == ".toml" else f"{p.name}.toml")
    return cand if cand.exists() else p


def _typed(data: Mapping[str, Any], key: str, typ: type, default: Any) -> Any:
    value = data.get(key, default)
    ok = isinstance(value, typ) and not (typ is int and isinstance(value, bool))
    if not ok:
        raise ConfigError(f"{key} = {value!r}: must be {'an' if typ is int else 'a'} {typ.__name__}")
    return value


def _is_axis_leaf(value: Any) -> bool:
    return not isinstance(value, Mapping) or bool({"low", "high", "values"} & set(value))


def _flatten(data: Mapping[str, Any], prefix: str = "", leaf: Callable[[Any], bool] | None = None) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``, so quoted and nested TOML keys both work."""
    leaf = leaf or (lambda v: not isinstance(v, Mapping))
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        items = {key: v} if leaf(v) else _flatten(v, key + ".", leaf)
        for kk, vv in items.items():
            if kk in out:
                raise ConfigError(f"{kk}: given twice (as a quoted dotted key and as a nested "
                                  "table); keep one")
            out[kk] = vv
    return out


def _axis(key: str, raw: Any, kind: str, schema: bool) -> Axis:
    integer = False
    if schema:
        info, annotation = field_info(key)  # ConfigError for unknown keys
        integer = annotation is int
        lo_b, hi_b = field_bounds(key)
    else:
        lo_b = hi_b = None
    if isinstance(raw, Mapping):
        bad = sorted(set(raw) - {"low", "high", "values", "num"})
        if bad:
            raise ConfigError(f"axes.{key}.{bad[0]}: unknown; allowed: high, low, num, values")
        if "values" in raw:
            raw = raw["values"]
        elif kind == "grid":
            if "num" not in raw:
                raise ConfigError(f"axes.{key}: a grid range needs num, e.g. {{low = 0, high = 1, num = 5}}")
            num = raw["num"]
            if not isinstance(num, int) or isinstance(num, bool) or not 1 <= num <= MAX_RUNS:
                raise ConfigError(f"axes.{key}.num: {num!r} — an integer from 1 to {MAX_RUNS:,}")
            for end in ("low", "high"):
                v = raw.get(end)
                if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                    raise ConfigError(f"axes.{key}.{end}: {v!r} — a grid range needs finite numbers "
                                      "low and high, e.g. {low = 0, high = 1, num = 5}")
            vals = np.linspace(raw["low"], raw["high"], num)
            raw = [int(round(v)) for v in vals] if integer else [float(v) for v in vals]
        else:
            raw = [raw.get("low"), raw.get("high")]
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"axes.{key} = {raw!r}: give a list of values or {{low = ..., high = ...}}")
    if kind == "batch":
        raise ConfigError("a batch has no axes; use design = \"grid\" to sweep them")
    if kind in SAMPLED_KINDS:
        if len(raw) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw):
            raise ConfigError(f"axes.{key} = {raw!r}: a {kind} axis is a range [low, high] of numbers")
        low, high = float(raw[0]), float(raw[1])
        if not low < high:
            raise ConfigError(f"axes.{key} = {raw!r}: low must be < high")
        for v, name in ((low, "low"), (high, "high")):
            if not math.isfinite(v):
                raise ConfigError(f"axes.{key}.{name}: {v!r} — must be a finite number")
            if (lo_b is not None and v < lo_b) or (hi_b is not None and v > hi_b):
                raise ConfigError(f"axes.{key}.{name} = {v:g}: outside the schema's range [{lo_b}, {hi_b}]")
            if integer and abs(v) > MAX_INTEGER_BOUND:
                raise ConfigError(f"axes.{key}.{name}: {v:g} — an integer axis needs bounds within "
                                  f"±2**53 ({MAX_INTEGER_BOUND:,})")
        return Axis(key=key, low=low, high=high, integer=integer)
    if len(set(map(repr, raw))) != len(raw):
        raise ConfigError(f"axes.{key} = {raw!r}: a value is listed twice")
    return Axis(key=key, values=tuple(raw), integer=integer)


def check_design(design: Design, base: ScenarioConfig | None) -> None:
    """Every axis value (grid) or range end (sampled designs) must give a valid scenario.

    Checked one axis at a time, so a bad value is reported before any run starts; combinations
    that break cross-field rules are caught inside the run and recorded as failed.
    """
    if base is None:
        return
    for a in design.axes:
        ends = a.values or ((int(round(a.low)), int(round(a.high))) if a.integer else (a.low, a.high))
        for v in ends:
            try:
                apply_overrides(base, {a.key: v})
            except ConfigError as exc:
                raise ConfigError(f"axes.{a.key} = {v!r}: {exc}") from None
