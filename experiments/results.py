"""What a results directory holds (a run, a batch, a sweep or a study), read lazily.

:func:`load_results` opens a directory written by ``limitlab run``, ``batch``, ``sweep`` or a
study; :class:`Results` reads each per-run table only when asked, and only the columns the
report's figures and tables use. The report, the comparison and the risk analysis read
results through it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from limitlab.experiments import plots
from limitlab.experiments.fileio import read_parquet, unreadable_parquet_error
from limitlab.model.config import ConfigError
from limitlab.model.economics import ECONOMICS_COLUMNS

PER_RUN_TABLES = ("monthly", "segments", "reasons", "vintages", "roll_rates", "reviews")

# columns read per table (anything else in the files is never loaded)
COLUMNS: dict[str, list[str]] = {
    "monthly": sorted({"month", "lender", *(c for c, *_ in plots.PORTFOLIO_PANELS),
                       *(c for c, _ in plots.FUNNEL_STAGES),
                       "limit_multiplier", "score_auc", "score_psi",
                       # the stationarity panel (report_scenario.stationarity)
                       "active_accounts", "frozen_accounts", "dpd30_rate", "dpd90_rate",
                       *ECONOMICS_COLUMNS}),
    "segments": ["month", "kind", "habit", "total_limit", "outstanding", "active_accounts",
                 "frozen_accounts", "closed_accounts", "accounts_with_balance", "new_accounts", "new_defaults", "closures",
                 "demand", "unmet_demand", "losses", "net_income", "economic_profit"],
    "reasons": ["month", "actor", "action", "reason", "count"],
    "vintages": ["opened_month", "months_on_book", "accounts", "cumulative_defaults"],
    "roll_rates": ["from_bucket", "to_bucket", "count"],
    "reviews": ["month", "realised_default_rate", "risk_appetite", "direction",
                "limit_multiplier_before", "limit_multiplier_after", "limits_cut",
                "accounts_closed"],
    "borrowers": ["limit_before_last_closure", "limit_after_last_reopen"],
    "calibration_by_type": ["score_month", "kind", "band", "accounts", "expected_defaults",
                            "defaults", "squared_error", "binomial_variance"],
}


@dataclass
class Results:
    """What a results directory holds, read lazily and only as far as needed.

    Attributes:
        path: The results directory.
        kind: ``"run"``, ``"batch"`` or ``"sweep"``.
        manifest: Parsed ``manifest.json`` (empty when absent).
        runs: ``runs.parquet`` restricted to successful runs (batches and sweeps), else None.
        failed: Number of failed runs in ``runs.parquet``.
    """

    path: Path
    kind: str
    manifest: dict
    runs: pd.DataFrame | None = None
    failed: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def axes(self) -> list[str]:
        """Sweep axes (dotted keys) that are columns of ``runs``."""
        axes = self.manifest.get("axes") or []
        if isinstance(axes, dict):
            axes = list(axes)
        names = [a if isinstance(a, str) else a.get("key", a.get("name")) for a in axes]
        return [a for a in names if self.runs is not None and a in self.runs.columns]

    def has(self, table: str) -> bool:
        """Whether the per-run table exists in this directory."""
        if self.kind == "run":
            return (self.path / f"{table}.parquet").is_file()
        return (self.path / table).is_dir()

    def table(self, name: str) -> pd.DataFrame | None:
        """A per-run table (with ``run_id`` for batches/sweeps), only the report's columns."""
        if name not in self._cache:
            try:
                self._cache[name] = self._read(name) if self.has(name) else None
            except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
                where = self.path / (f"{name}.parquet" if self.kind == "run" else name)
                raise unreadable_parquet_error(where, exc) from None
        return self._cache[name]

    def _read(self, name: str) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        wanted = COLUMNS[name]
        if self.kind == "run":
            f = self.path / f"{name}.parquet"
            cols = [c for c in wanted if c in pq.read_schema(f).names]
            return pq.read_table(f, columns=cols).to_pandas()
        # only the partitions of successful runs; hidden/temporary files are never read
        base = self.path / name
        ok = set(self.runs["run_id"].astype(str))
        files = sorted(str(f) for f in base.glob("run_id=*/*.parquet")
                       if f.parent.name.removeprefix("run_id=") in ok
                       and not f.name.startswith((".", "_")))
        if not files:
            return pd.DataFrame(columns=[*wanted, "run_id"])
        names = pq.read_schema(files[0]).names
        cols = [c for c in wanted if c in names]
        try:
            if "run_id" in names:  # the writer kept run_id in the files too
                dataset = ds.dataset(files, format="parquet")
            else:
                part = ds.partitioning(pa.schema([("run_id", pa.string())]), flavor="hive")
                dataset = ds.dataset(files, format="parquet", partitioning=part,
                                     partition_base_dir=str(base))
            df = dataset.to_table(columns=[*cols, "run_id"]).to_pandas()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            # files whose schemas do not merge (e.g. an empty table written with null
            # columns): read them one by one
            frames = []
            for f in files:
                t = pq.read_table(f, columns=[c for c in cols if c in pq.read_schema(f).names])
                frames.append(t.to_pandas().assign(run_id=Path(f).parent.name.removeprefix("run_id=")))
            df = pd.concat(frames, ignore_index=True)
        df["run_id"] = df["run_id"].astype(str)
        return df


def detect(path: str | Path) -> str:
    """The kind of results directory: ``"run"``, ``"batch"`` or ``"sweep"``.

    Raises:
        ConfigError: When ``path`` is not a directory of limitlab results.
    """
    p = Path(path)
    if not p.is_dir():
        raise ConfigError(f"RESULTS_DIR {str(p)!r} is not a directory; give the output "
                          "directory of 'limitlab run', 'batch' or 'sweep'")
    for marker, study in STUDY_MARKERS.items():
        if (p / marker).is_file():
            return study
    if (p / "runs.parquet").is_file():
        kind = _manifest(p).get("kind")
        if kind in ("batch", "sweep"):
            return kind
        return "sweep" if _manifest(p).get("axes") else "batch"
    if (p / "monthly.parquet").is_file():
        return "run"
    raise ConfigError(f"RESULTS_DIR {str(p)!r} holds neither monthly.parquet (a run) nor "
                      "runs.parquet (a batch or sweep); give the output directory of "
                      "'limitlab run', 'batch' or 'sweep'")


# directories written by the studies (limitlab advice / diversification / validate)
STUDY_MARKERS = {
    "advice.json": "advice",
    "diversification.json": "diversification",
    "validation.json": "validation",
}


def _manifest(p: Path) -> dict:
    f = p / "manifest.json"
    if not f.is_file():
        return {}
    try:
        return json.loads(f.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{f}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{f}: not valid JSON (not UTF-8 text)") from None


def load_results(path: str | Path) -> Results:
    """Open a results directory (only ``manifest.json`` and ``runs.parquet`` are read now).

    Raises:
        ConfigError: Not a results directory, or a batch/sweep without a successful run.
    """
    p = Path(path)
    kind = detect(p)
    res = Results(path=p, kind=kind, manifest=_manifest(p))
    if kind in STUDY_MARKERS.values():
        return res
    if kind != "run":
        runs = read_parquet(p / "runs.parquet")
        if "status" in runs.columns:
            ok = runs["status"].astype(str) == "ok"
            res.failed = int((~ok).sum())
            runs = runs[ok].reset_index(drop=True)
        if runs.empty:
            raise ConfigError(f"{p / 'runs.parquet'}: no successful run to report on "
                              f"({res.failed} failed); rerun with --retry-failed")
        res.runs = runs
    return res


# ---------------------------------------------------------------- provenance checks


def current_version() -> str:
    """The installed limitlab version."""
    from importlib import metadata

    try:
        return metadata.version("limitlab")
    except metadata.PackageNotFoundError:
        return "unknown"


def recorded_hash(manifest: dict) -> str | None:
    """The configuration hash a manifest records, or (for manifests written without one)
    the hash of the configuration it holds; None without either."""
    if manifest.get("config_hash"):
        return str(manifest["config_hash"])
    cfg = manifest.get("config")
    if isinstance(cfg, dict):
        from limitlab.model.config import ScenarioConfig

        try:
            return ScenarioConfig.model_validate(cfg).config_hash()
        except Exception:  # a configuration this schema no longer accepts
            return None
    return None


def provenance_warnings(manifest: dict, where: str = "these results") -> list[str]:
    """What a reader should know before trusting ``where``: written by another limitlab
    version, or a configuration whose hash this version computes differently (the schema
    changed since: defaults or fields differ)."""
    out = []
    version = (manifest.get("versions") or {}).get("limitlab")
    now = current_version()
    if version and version != now:
        out.append(f"{where} were written by limitlab {version}; this is limitlab {now}: a "
                   "fresh run may differ")
    cfg, stored = manifest.get("config"), manifest.get("config_hash")
    if isinstance(cfg, dict) and stored:
        from limitlab.model.config import ScenarioConfig

        try:
            again = ScenarioConfig.model_validate(cfg).config_hash()
        except Exception:
            again = None
        if again != stored:
            out.append(f"the configuration of {where} (hash {stored}) "
                       + ("is no longer valid in this limitlab version"
                          if again is None else f"hashes to {again} in this limitlab version")
                       + ": the parameter schema has changed since they were written")
    return out


def warn(message: str) -> None:
    """One line on stderr: ``limitlab: warning: …``."""
    import sys

    print(f"limitlab: warning: {' '.join(message.split())}", file=sys.stderr)
