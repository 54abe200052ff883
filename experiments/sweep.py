"""Experiments at scale: designs, a runner over any ``concurrent.futures`` executor, storage
and resume.

A :class:`Design` names a base scenario, the axes (dotted keys of the scenario schema) and how
points are chosen over them (``batch``, ``grid``, ``lhs``, ``sobol``, ``morris``), plus a
number of replicates per point. :func:`run_design` runs every (point, replicate) on an
executor — in-process, a process pool or Dask — and streams each finished run to disk::

    from limitlab.experiments.sweep import Design, run_design

    design = Design.from_toml("experiments/sweeps/policy_grid.toml",
                              overrides={"population.borrowers": 500, "months": 24})
    res = run_design(design, out="results/policy_grid", workers=2)
    res.runs.groupby("lender.review.period_months")["loss_rate"].mean()
    monthly = res.table("monthly")        # every run's monthly series, with run_id

Layout of ``OUT/`` (read by reports and risk analytics):

- ``runs.parquet``: one row per run — ``run_id``, ``point``, ``replicate``, one column per axis
  (named by its dotted key), ``seed_entropy``, ``seed_spawn_key``, ``status`` (``ok`` or
  ``failed``), ``error`` (the traceback), then every summary outcome. Sorted by (point,
  replicate), so it is byte-identical whatever the executor or completion order.
- ``timings.parquet``: ``run_id``, ``wall_seconds``, ``worker`` (kept apart from runs).
- ``<table>/run_id=<run_id>/part-0.parquet``: every run's tables as hive-partitioned datasets
  (``borrowers`` and ``events`` only when asked for with ``keep``).
- ``design.parquet``, ``manifest.json``, and ``sensitivity/`` for Sobol and Morris designs.
- ``.runs/<run_id>.json``: the record that marks a run complete (written last, atomically).

Seeds: run (point, replicate) uses ``SeedSequence(root_seed, spawn_key=(point, replicate))``,
so results depend on nothing but the design. Workers only compute and return results (the
tables already encoded as Parquet bytes); the submitting process writes every file, each one
to a temporary name first and then renamed into place.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib
import itertools
import json
import math
import os
import random
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from limitlab.experiments.designs import (  # the designs, re-exported: part of this module's API
    DEFAULT_OUTCOMES,
    MODELS,
    OPTIONAL_TABLES,
    PER_RUN_TABLES,
    Design,
    check_design,
)
from limitlab.experiments.fileio import (
    TMP_MARK,  # noqa: F401 - temporary files are named with it (re-exported)
    atomic_write_bytes,
    check_output_dir,
    directory_lock,
    remove_stale_temporaries,
)
from limitlab.experiments.outputs import git_commit, versions, write_parquet
from limitlab.model.config import (
    ConfigError,
    ScenarioConfig,
    apply_overrides,
    validate_config,
)

RECORDS = ".runs"  # per-run completion records (hidden: never read as data)


# ------------------------------------------------------------------------ the workers
@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (small and picklable)."""

    run_id: str
    point: int
    replicate: int
    params: dict[str, Any]
    base: dict[str, Any] | None
    root_seed: int
    keep: tuple[str, ...]
    model: str

    @property
    def seed(self) -> np.random.SeedSequence:
        """This run's seed: spawned from the root by (point, replicate) alone."""
        return np.random.SeedSequence(self.root_seed, spawn_key=(self.point, self.replicate))

    def config(self) -> ScenarioConfig:
        """The base scenario with this point's parameters applied."""
        if self.base is None:
            raise ValueError("this run has no base scenario")
        return apply_overrides(self.base, self.params) if self.params else validate_config(self.base)


@dataclass
class RunOutput:
    """What a worker sends back: the summary and every table encoded as Parquet bytes."""

    run_id: str
    status: str
    error: str
    summary: dict[str, float]
    tables: dict[str, bytes]
    wall_seconds: float
    worker: str


ModelFunction = Callable[[RunTask], tuple[Mapping[str, float], Mapping[str, Any]]]


def credit_model(task: RunTask) -> tuple[dict[str, float], dict[str, Any]]:
    """The credit-line model: simulate the point's scenario from the run's seed.

    Returns the run's summary outcomes and its tables (``borrowers``/``events`` only when
    they are in ``task.keep``).
    """
    from limitlab.model.run import simulate

    result = simulate(task.config(), seed=task.seed, borrowers="borrowers" in task.keep,
                      events="events" in task.keep)
    tables = {k: v for k, v in result.tables.items() if k not in OPTIONAL_TABLES or k in task.keep}
    return result.summary, tables


def ishigami(task: RunTask) -> tuple[dict[str, float], dict[str, Any]]:
    """The Ishigami function (a = 7, b = 0.1) of axes ``x1``, ``x2``, ``x3`` over [-pi, pi].

    Its Sobol indices are known (S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244), which is
    how the runner and the sensitivity analysis are tested end to end.
    """
    x1, x2, x3 = (float(task.params[k]) for k in ("x1", "x2", "x3"))
    y = math.sin(x1) + 7.0 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)
    return {"y": y}, {}


def resolve_model(path: str) -> ModelFunction:
    """Import ``module:function`` (or a name in :data:`MODELS`)."""
    module, _, attr = MODELS.get(path, path).partition(":")
    return getattr(importlib.import_module(module), attr)


def check_model(path: str) -> None:
    """:class:`ConfigError` unless ``path`` names an importable, callable model function
    (checked in the submitting process, before anything is written)."""
    full = MODELS.get(path, path)
    module, _, attr = full.partition(":")
    allowed = f"give 'module:function' of an importable module, or one of {', '.join(MODELS)}"
    if not module or not attr:
        raise ConfigError(f"model: {path!r} — {allowed}")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        raise ConfigError(f"model: {path!r} — cannot import {module!r} ({exc}); {allowed}") from None
    except AttributeError:
        raise ConfigError(f"model: {path!r} — module {module!r} has no {attr!r}; {allowed}") from None
    except Exception as exc:  # the module raised while being imported
        raise ConfigError(f"model: {path!r} — importing {module!r} failed "
                          f"({type(exc).__name__}: {exc}); {allowed}") from None
    if not callable(fn):
        raise ConfigError(f"model: {path!r} — {attr!r} is not a function; {allowed}")


def parquet_bytes(table: pd.DataFrame | pa.Table) -> bytes:
    """A table as the exact bytes :func:`limitlab.experiments.outputs.write_parquet` would write."""
    sink = pa.BufferOutputStream()
    write_parquet(table, sink)
    return sink.getvalue().to_pybytes()


def _worker_name() -> str:
    if "distributed" in sys.modules:
        with contextlib.suppress(Exception):
            from distributed import get_worker

            return str(get_worker().address)
    return f"{socket.gethostname()}:{os.getpid()}"


def execute(task: RunTask) -> RunOutput:
    """Run one task in a worker; an exception is caught and returned as a failed run."""
    start = time.perf_counter()
    try:
        summary, tables = resolve_model(task.model)(task)
        out = RunOutput(task.run_id, "ok", "", {k: float(v) for k, v in summary.items()},
                        {k: parquet_bytes(v) for k, v in tables.items()}, 0.0, "")
    except Exception:
        out = RunOutput(task.run_id, "failed", traceback.format_exc(), {}, {}, 0.0, "")
    out.wall_seconds = time.perf_counter() - start
    out.worker = _worker_name()
    return out


def execute_many(tasks: Sequence[RunTask]) -> list[RunOutput]:
    """Run several tasks one after another in one worker call: a worker task of a few
    seconds rather than one small run (each run is exactly what it gives alone)."""
    return [execute(task) for task in tasks]


# seconds a worker task should take: long enough that submitting, pickling and scheduling
# (a few ms a task in a process pool, more on Dask) are a small share, short enough that
# the slots stay balanced and results come back steadily
TASK_SECONDS = 2.0
# a conservative worker speed for sizing tasks: borrower-months per second, plus a run's
# fixed cost (its tables and their Parquet encoding)
SIZING_RATE = 2.0e6
SIZING_FIXED_SECONDS = 0.05


def _runs_per_task(points: pd.DataFrame, base: ScenarioConfig | None, runs: int, slots: int) -> int:
    """How many runs go into one worker task: about :data:`TASK_SECONDS` of work at the
    design's largest book (``points``: the design's points, whose axes may set the book's
    size), and at least two tasks per slot (so no slot idles while another finishes)."""
    if runs <= 0:
        return 1
    if base is None:  # a model without a scenario (e.g. Ishigami): microseconds a run
        seconds = 0.001
    else:
        def largest(key: str, default: int) -> float:
            return float(max(default, points[key].max())) if key in points and len(points) else default

        book = largest("population.borrowers", base.population.borrowers) * largest("months", base.months)
        seconds = book / SIZING_RATE + SIZING_FIXED_SECONDS
    per_task = max(1, int(TASK_SECONDS / seconds))
    return max(1, min(per_task, math.ceil(runs / (2 * slots))))


# ------------------------------------------------------------------------- executors
class InProcessExecutor(cf.Executor):
    """Runs each task at submission, in this process (for debugging and notebooks)."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: B036 - handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


@dataclass
class ExecutorInfo:
    """An executor, how many runs it does at once, and a description for the summary."""

    executor: cf.Executor
    slots: int
    description: str


def _process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A process pool whose workers fork from a server that has imported the model once.

    Not plain ``fork``: the submitting process may have threads (tqdm's monitor, a Dask
    client, Arrow's pool), and forking a threaded process can deadlock. As with ``spawn``,
    a script that starts a sweep must guard it with ``if __name__ == "__main__":``.
    """
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["limitlab.experiments.sweep", "limitlab.model.run"])
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


MAX_WORKERS = 4096


def check_executor_args(workers: int | None, dask: str | None) -> None:
    """:class:`ConfigError` for a bad ``--workers`` or ``--dask`` (checked before anything is
    written; reaching a Dask scheduler is checked when it is opened)."""
    if workers is not None and not 0 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers: {workers} — from 0 (in this process) to {MAX_WORKERS}")
    if dask is None:
        return
    if dask == "local" or dask.startswith("local:"):
        n_text = dask.partition(":")[2]
        if dask.startswith("local:") and not (n_text.isdigit() and 1 <= int(n_text) <= MAX_WORKERS):
            raise ConfigError(f"--dask: {dask!r} — local or local:N with N from 1 to {MAX_WORKERS}, "
                              "e.g. local:4")
    else:
        scheme, sep, rest = dask.partition("://")
        if not sep or scheme not in ("tcp", "tls", "inproc", "ucx", "ws", "wss") or not rest:
            raise ConfigError(f"--dask: {dask!r} — give tcp://HOST:PORT of a running scheduler, "
                              "or local[:N]")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ConfigError("--dask: needs Dask — pip install 'limitlab[dask]'") from None


@contextlib.contextmanager
def open_executor(workers: int | None = None, dask: str | None = None) -> Iterator[ExecutorInfo]:
    """An executor for :func:`run_design`, closed on exit.

    Args:
        workers: ``0`` runs in this process; ``None`` (default) a process pool on every core;
            ``n`` a pool of ``n`` processes (or ``n`` Dask workers for ``dask="local"``).
        dask: ``"tcp://host:8786"`` for an existing Dask scheduler, ``"local"`` or
            ``"local:N"`` to start a local cluster of N single-threaded worker processes.

    Raises:
        ConfigError: Dask is not installed, or the address is malformed or unreachable.
    """
    check_executor_args(workers, dask)
    if dask:
        from distributed import Client, LocalCluster

        cluster = None
        if dask == "local" or dask.startswith("local:"):
            n_text = dask.partition(":")[2]
            n = int(n_text) if n_text else (workers or os.cpu_count() or 1)
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            try:
                client = Client(dask, timeout="20s")
            except (OSError, ValueError, TypeError) as exc:
                raise ConfigError(f"--dask: {dask!r} — cannot reach the scheduler ({exc}); give "
                                  "the address of a running scheduler, e.g. tcp://HOST:8786") from None
        try:
            slots = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()) or 1
            # pure=False: Dask must never merge two submissions into one task
            yield ExecutorInfo(client.get_executor(pure=False), slots, f"dask {dask} ({slots} threads)")
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if workers == 0:
        yield ExecutorInfo(InProcessExecutor(), 1, "in-process")
        return
    n = workers or os.cpu_count() or 1
    pool = _process_pool(n)
    try:
        yield ExecutorInfo(pool, n, f"process pool ({n} workers)")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------- storage
def run_id_of(point: int, replicate: int) -> str:
    """``p0003-r0012``."""
    return f"p{point:04d}-r{replicate:04d}"


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_bytes(path, data)


def _atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def _atomic_parquet(df: pd.DataFrame | pa.Table, path: Path) -> None:
    _atomic_write_bytes(path, parquet_bytes(df))


def _partition_file(out: Path, table: str, run_id: str) -> Path:
    return out / table / f"run_id={run_id}" / "part-0.parquet"


def _write_output(out: Path, output: RunOutput) -> dict[str, Any]:
    """Write one finished run: its tables first, then its record (which marks it complete)."""
    for name, blob in output.tables.items():
        f = _partition_file(out, name, output.run_id)
        f.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_bytes(f, blob)
    record = {"run_id": output.run_id, "status": output.status, "error": output.error,
              "summary": output.summary, "tables": sorted(output.tables),
              "wall_seconds": output.wall_seconds, "worker": output.worker}
    _atomic_write_text(out / RECORDS / f"{output.run_id}.json", json.dumps(record))
    return record


def _read_records(out: Path) -> dict[str, dict[str, Any]]:
    """Completion records whose tables are all present (a torn run is treated as missing)."""
    d = out / RECORDS
    records = {}
    if not d.is_dir():
        return records
    for f in d.glob("p*.json"):
        try:
            rec = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if all(_partition_file(out, t, rec["run_id"]).is_file() for t in rec.get("tables", ())):
            records[rec["run_id"]] = rec
    return records


def _remove_temporaries(out: Path) -> int:
    """Delete temporary files left by interrupted writers (never a live process's); returns
    how many."""
    return remove_stale_temporaries(out)


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, Mapping):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): d}


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    a, b = _flat(old), _flat(new)
    return sorted(k for k in set(a) | set(b) if a.get(k, "<absent>") != b.get(k, "<absent>"))


# ---------------------------------------------------------------------------- results
@dataclass
class SweepResults:
    """A finished (or partly finished) batch or sweep on disk, as tidy DataFrames.

    Attributes:
        path: The output directory.
        manifest: Parsed ``manifest.json``.
        runs: ``runs.parquet`` (one row per run; ``status`` says ok or failed).
        timings: ``timings.parquet``.
        design: ``design.parquet`` (one row per design point).
        sensitivity: Sensitivity tables by file stem (``sobol``, ``sobol_s2``, ``morris``).
        stats: Counts of the session that produced this object (when it ran one).
    """

    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    timings: pd.DataFrame
    design: pd.DataFrame
    sensitivity: dict[str, pd.DataFrame] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, path: str | Path) -> SweepResults:
        """Open a results directory written by :func:`run_design`."""
        p = Path(path)
        if not (p / "manifest.json").is_file():
            raise ConfigError(f"{str(p)!r}: no manifest.json; not the output of a batch or sweep")
        manifest = json.loads((p / "manifest.json").read_text())

        def read(name: str) -> pd.DataFrame:
            f = p / name
            return pd.read_parquet(f) if f.is_file() else pd.DataFrame()

        sens = {f.stem: pd.read_parquet(f) for f in sorted((p / "sensitivity").glob("*.parquet"))}
        return cls(p, manifest, read("runs.parquet"), read("timings.parquet"),
                   read("design.parquet"), sens)

    @property
    def ok(self) -> pd.DataFrame:
        """The successful runs."""
        return self.runs[self.runs["status"] == "ok"] if len(self.runs) else self.runs

    @property
    def failed(self) -> pd.DataFrame:
        """The failed runs (with their tracebacks in ``error``)."""
        return self.runs[self.runs["status"] == "failed"] if len(self.runs) else self.runs

    def table(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Every run's ``name`` table stacked, with a ``run_id`` column (a string)."""
        d = self.path / name
        if not d.is_dir():
            raise ConfigError(f"{name}: no such table in {self.path} (kept: "
                              f"{', '.join(sorted(x.name for x in self.path.iterdir() if x.is_dir() and not x.name.startswith(('.', 'sensitivity'))))})")
        df = pd.read_parquet(d, columns=list(columns) + ["run_id"] if columns else None)
        df["run_id"] = df["run_id"].astype(str)
        return df

    def by_point(self, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
        """Mean, standard deviation and count of each outcome per design point (ok runs)."""
        outcomes = list(outcomes or self.manifest.get("outcomes") or DEFAULT_OUTCOMES)
        outcomes = [o for o in outcomes if o in self.runs.columns]
        keys = ["point", *self.manifest.get("axes", [])]
        return self.ok.groupby(keys)[outcomes].agg(["mean", "std", "count"])


def _summary_columns(records: Sequence[dict[str, Any]]) -> list[str]:
    """Summary keys: those of the first ok run (by point, replicate), then any others sorted."""
    cols: list[str] = []
    for rec in records:
        if rec["status"] == "ok" and not cols:
            cols = list(rec["summary"])
    extra = sorted({k for r in records for k in r["summary"]} - set(cols))
    return cols + extra


def _assemble(out: Path, design_df: pd.DataFrame, axes: list[str], root_seed: int,
              records: Mapping[str, dict[str, Any]], replicates: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``runs`` and ``timings`` from the completion records, sorted by (point, replicate)."""
    order = []
    for rec in records.values():
        p, r = rec["run_id"][1:].split("-r")
        order.append((int(p), int(r), rec))
    order.sort(key=lambda t: t[:2])
    recs = [t[2] for t in order]
    cols = _summary_columns(recs)
    points = design_df.set_index("point")
    data: dict[str, Any] = {
        "run_id": [r["run_id"] for r in recs],
        "point": np.array([t[0] for t in order], dtype=np.int64),
        "replicate": np.array([t[1] for t in order], dtype=np.int64),
    }
    for a in axes:
        data[a] = points.loc[data["point"], a].to_numpy() if len(recs) else points[a].iloc[:0].to_numpy()
    data["seed_entropy"] = [str(root_seed)] * len(recs)
    data["seed_spawn_key"] = [f"{p},{r}" for p, r, _ in order]
    data["status"] = [r["status"] for r in recs]
    data["error"] = [r["error"] for r in recs]
    for c in cols:
        data[c] = np.array([r["summary"].get(c, math.nan) for r in recs], dtype=np.float64)
    runs = pd.DataFrame(data)
    timings = pd.DataFrame({
        "run_id": data["run_id"],
        "wall_seconds": np.array([r["wall_seconds"] for r in recs], dtype=np.float64),
        "worker": [r["worker"] for r in recs],
    })
    return runs, timings


# ------------------------------------------------------------------------ sensitivity
def analyse(design: Design, runs: pd.DataFrame, *, seed: int = 12345,
            conf_level: float = 0.95) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Sobol or Morris indices for each of the design's outcomes (SALib analysers).

    The output of a design point is the mean of its successful replicates. An outcome with a
    point that has no successful run, or a NaN value, is not analysed: it is listed under
    ``skipped`` with the reason (NaN would silently poison every index).

    Returns:
        Tables by file stem (``sobol``, ``sobol_s2``, ``morris``) and a JSON-able report.
    """
    if design.kind not in ("sobol", "morris"):
        return {}, {}
    n_points = len(design.points())
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    names = design.axis_keys
    rows, s2_rows = [], []
    report: dict[str, Any] = {"method": design.kind, "n_points": n_points,
                              "replicates": design.replicates, "conf_level": conf_level,
                              "seed": seed, "outcomes": {}, "skipped": {}}
    for o in design.outcomes:
        if o not in ok.columns:
            report["skipped"][o] = "no successful run reported this outcome"
            continue
        y = ok.groupby("point")[o].mean().reindex(range(n_points))
        missing = np.flatnonzero(~np.isfinite(y.to_numpy(dtype=float)))
        if missing.size:
            shown = ", ".join(f"p{i:04d}" for i in missing[:5]) + (" ..." if missing.size > 5 else "")
            report["skipped"][o] = (f"{missing.size} of {n_points} design points have no successful "
                                    f"run or a NaN value ({shown}); rerun with --retry-failed")
            continue
        Y = y.to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if design.kind == "sobol":
                from SALib.analyze import sobol

                si = sobol.analyze(design.problem(), Y, calc_second_order=design.second_order,
                                   conf_level=conf_level, seed=seed, print_to_console=False)
                cols = ("S1", "S1_conf", "ST", "ST_conf")
                if design.second_order:
                    for i, j in itertools.combinations(range(len(names)), 2):
                        s2_rows.append({"outcome": o, "parameter_1": names[i], "parameter_2": names[j],
                                        "S2": float(si["S2"][i, j]), "S2_conf": float(si["S2_conf"][i, j])})
            else:
                from SALib.analyze import morris

                si = morris.analyze(design.problem(), design.sample_matrix(), Y,
                                    conf_level=conf_level, num_levels=design.levels, seed=seed)
                cols = ("mu", "mu_star", "mu_star_conf", "sigma")
        for i, p in enumerate(names):
            rows.append({"outcome": o, "parameter": p, **{c: float(si[c][i]) for c in cols}})
        report["outcomes"][o] = {c: dict(zip(names, map(float, si[c]))) for c in cols}
        if design.kind == "sobol" and design.second_order:
            report["outcomes"][o]["S2"] = [r for r in s2_rows if r["outcome"] == o]
    tables = {design.kind: pd.DataFrame(rows)}
    if s2_rows:
        tables["sobol_s2"] = pd.DataFrame(s2_rows)
    return tables, report


# ------------------------------------------------------------------------ the runner
def _manifest(design: Design, base: ScenarioConfig | None, root_seed: int, keep: tuple[str, ...],
              n_points: int) -> dict[str, Any]:
    return {
        "kind": "batch" if design.kind == "batch" else "sweep",
        "name": design.name,
        "design": design.spec(),
        "scenario": base.name if base is not None else None,
        "config": base.to_dict() if base is not None else None,
        "config_hash": base.config_hash() if base is not None else None,
        "root_seed": root_seed,
        "replicates": design.replicates,
        "axes": design.axis_keys,
        "outcomes": list(design.outcomes),
        "keep": list(keep),
        "n_points": n_points,
        "n_runs": n_points * design.replicates,
        "versions": versions(),
        "git_commit": git_commit(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }


# a resume must match these manifest entries exactly
FINGERPRINT = ("design", "config", "root_seed", "replicates", "axes", "keep", "n_points")


def _prepare_out(out: Path, manifest: dict[str, Any], resume: bool, write: bool = True) -> None:
    """Check that ``out`` may receive this design (a resume must match the manifest there) and,
    with ``write``, create it and write ``manifest.json``."""
    f = out / "manifest.json"
    if f.is_file():
        if not resume:
            raise ConfigError(f"{str(out)!r} already holds a batch or sweep; pass --resume to "
                              "finish it, or --out to write elsewhere")
        try:
            old = json.loads(f.read_bytes())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            old = None
        if not isinstance(old, dict):
            raise ConfigError(f"--resume: {str(f)!r} — not a readable manifest (JSON object); "
                              "cannot resume: write to a new --out") from None
        changed = changed_keys({k: old.get(k) for k in FINGERPRINT},
                               {k: manifest.get(k) for k in FINGERPRINT})
        if changed:
            shown = ", ".join(changed[:8]) + (f" (+{len(changed) - 8} more)" if len(changed) > 8 else "")
            raise ConfigError(f"cannot resume {str(out)!r}: the configuration changed ({shown}); "
                              "undo the change or write to a new --out")
        return
    # other things may live there (``limitlab run`` puts run-*/ under results/<scenario>/),
    # but nothing with a name of this layout
    ours = {"runs.parquet", "timings.parquet", "design.parquet", "sensitivity", RECORDS,
            *PER_RUN_TABLES, *OPTIONAL_TABLES}
    clash = sorted(p.name for p in out.iterdir() if p.name in ours) if out.is_dir() else []
    if clash:
        raise ConfigError(f"--out {str(out)!r}: holds {clash[0]} but no manifest.json; "
                          "choose another directory")
    if write:
        out.mkdir(parents=True, exist_ok=True)
        _atomic_write_text(f, json.dumps(manifest, indent=2, default=str))


def run_design(
    design: Design,
    out: str | Path | None = None,
    *,
    executor: cf.Executor | None = None,
    workers: int | None = None,
    dask: str | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    keep: Sequence[str] = (),
    progress: bool = True,
    shuffle: int | None = None,
    max_in_flight: int | None = None,
    runs_per_task: int | None = None,
) -> SweepResults:
    """Run every (point, replicate) of ``design`` and write the results to ``out``.

    Args:
        design: What to run.
        out: Output directory (default ``results/<design.name>``).
        executor: Any ``concurrent.futures.Executor`` (left open); default: one from
            :func:`open_executor` with ``workers`` and ``dask``.
        workers: ``0`` in-process, ``None`` every core, ``n`` processes.
        dask: Dask scheduler address or ``local[:N]`` (see :func:`open_executor`).
        resume: Continue an interrupted run in ``out``: only missing runs are run.
        retry_failed: Also rerun the runs recorded as failed (implies ``resume``).
        keep: Optional tables to write too: ``borrowers``, ``events``.
        progress: Show a progress bar with ETA.
        shuffle: Submit runs in an order shuffled with this seed (results do not change).
        max_in_flight: Worker tasks submitted but not yet written, at most (default 2 per
            slot): bounds memory whatever the number of runs.
        runs_per_task: Runs in one worker task (default: about :data:`TASK_SECONDS` of work,
            at least two tasks per slot; 1 in-process). Results do not depend on it.

    Returns:
        The results, read back from ``out``.

    Raises:
        ConfigError: A bad design, an output directory holding something else, or a resume
            whose configuration differs (the message names the changed keys).
    """
    keep = tuple(sorted(set(keep)))
    bad = [k for k in keep if k not in OPTIONAL_TABLES]
    if bad:
        raise ConfigError(f"--keep {bad[0]!r}: allowed: {', '.join(OPTIONAL_TABLES)}")
    # everything a user can get wrong is checked before manifest.json exists
    if executor is None:
        check_executor_args(workers, dask)
    check_model(design.model_path)
    base = design.base_config()
    check_design(design, base)
    root_seed = design.root_seed(base)
    design_df = design.points()
    out = Path(out) if out is not None else Path("results") / design.name
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {str(out)!r} — exists and is not a directory; give a directory")
    manifest = _manifest(design, base, root_seed, keep, len(design_df))
    resume = resume or retry_failed
    _prepare_out(out, manifest, resume, write=False)
    check_output_dir(out)
    base_dict = base.to_dict() if base is not None else None
    axes = design.axis_keys
    param_rows = design_df[axes].to_dict("records") if axes else [{}] * len(design_df)

    with contextlib.ExitStack() as stack:
        if executor is None:
            info = stack.enter_context(open_executor(workers, dask))
        else:
            info = ExecutorInfo(executor, workers or os.cpu_count() or 1, type(executor).__name__)
        out.mkdir(parents=True, exist_ok=True)
        # one writer per directory: a second sweep or --resume is refused while this one runs
        stack.enter_context(directory_lock(out, "batch or sweep"))
        _prepare_out(out, manifest, resume)
        _remove_temporaries(out)
        (out / RECORDS).mkdir(exist_ok=True)
        _atomic_parquet(design_df, out / "design.parquet")

        records = _read_records(out)
        redo = {k for k, r in records.items() if r["status"] == "failed"} if retry_failed else set()

        def tasks() -> Iterator[RunTask]:
            pairs = itertools.product(range(len(design_df)), range(design.replicates))
            if shuffle is not None:
                pairs = list(pairs)
                random.Random(shuffle).shuffle(pairs)
            for p, r in pairs:
                rid = run_id_of(p, r)
                if rid in records and rid not in redo:
                    continue
                params = {k: _plain(v) for k, v in param_rows[p].items()}
                yield RunTask(rid, p, r, params, base_dict, root_seed, keep, design.model_path)

        todo = len(design_df) * design.replicates - (len(records) - len(redo))
        stats = {"runs": len(design_df) * design.replicates, "skipped": len(records) - len(redo),
                 "submitted": todo, "ok": 0, "failed": 0, "wall_seconds": 0.0,
                 "executor": info.description}
        limit = max_in_flight or 2 * info.slots
        if runs_per_task is not None:
            per_task = runs_per_task
        elif isinstance(info.executor, InProcessExecutor):
            per_task = 1
        else:
            per_task = _runs_per_task(design_df, base, todo, info.slots)
        stats["runs_per_task"] = per_task
        bar = None
        if progress and todo:
            from tqdm import tqdm

            bar = stack.enter_context(tqdm(total=todo, unit="run", desc=design.name, smoothing=0.1,
                                           dynamic_ncols=True))
        start = time.perf_counter()
        pending: dict[cf.Future, list[RunTask]] = {}
        source = tasks()
        try:
            while True:
                while len(pending) < limit:
                    chunk = list(itertools.islice(source, per_task))
                    if not chunk:
                        break
                    pending[info.executor.submit(execute_many, chunk)] = chunk
                if not pending:
                    break
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: pending[f][0].run_id):
                    chunk = pending.pop(fut)
                    try:
                        outputs = fut.result()
                    except cf.process.BrokenProcessPool:
                        raise ConfigError(
                            "a worker process died (out of memory, killed, or a script without "
                            "an 'if __name__ == \"__main__\":' guard); the finished runs are "
                            f"saved in {str(out)!r}: rerun with --resume") from None
                    except Exception:
                        # the worker could not return a result (e.g. it could not unpickle it)
                        error = traceback.format_exc()
                        outputs = [RunOutput(t.run_id, "failed", error, {}, {}, 0.0, "") for t in chunk]
                    for output in outputs:
                        rec = _write_output(out, output)
                        records[rec["run_id"]] = rec
                        stats[output.status] += 1
                    if bar is not None:
                        bar.update(len(outputs))
                        if stats["failed"]:
                            bar.set_postfix(failed=stats["failed"], refresh=False)
        except BaseException as exc:
            for fut in pending:
                fut.cancel()
            stats["wall_seconds"] = time.perf_counter() - start
            # save what finished; on a full disk this can fail too: the first error is reported
            with contextlib.suppress(OSError) if isinstance(exc, OSError) else contextlib.nullcontext():
                _finalise(out, design, design_df, root_seed, records, complete=False)
            raise
        stats["wall_seconds"] = time.perf_counter() - start
        results = _finalise(out, design, design_df, root_seed, records, complete=True)
    results.stats = stats
    return results


def _plain(v: Any) -> Any:
    """numpy scalars → Python numbers (what the schema and JSON expect)."""
    return v.item() if isinstance(v, np.generic) else v


def _finalise(out: Path, design: Design, design_df: pd.DataFrame, root_seed: int,
              records: Mapping[str, dict[str, Any]], complete: bool) -> SweepResults:
    """Write ``runs.parquet``, ``timings.parquet``, the indices and the manifest's status."""
    runs, timings = _assemble(out, design_df, design.axis_keys, root_seed, records, design.replicates)
    _atomic_parquet(runs, out / "runs.parquet")
    _atomic_parquet(timings, out / "timings.parquet")
    sens: dict[str, pd.DataFrame] = {}
    skipped: dict[str, str] = {}
    n_expected = len(design_df) * design.replicates
    if design.kind in ("sobol", "morris") and complete and len(runs) == n_expected:
        sens, report = analyse(design, runs)
        d = out / "sensitivity"
        d.mkdir(exist_ok=True)
        for stem, df in sens.items():
            _atomic_parquet(df, d / f"{stem}.parquet")
        _atomic_write_text(d / f"{design.kind}.json", json.dumps(report, indent=2))
        skipped = report["skipped"]
    mf = out / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["status"] = {
        "complete": bool(complete and len(runs) == n_expected),
        "runs_written": len(runs),
        "ok": int((runs["status"] == "ok").sum()) if len(runs) else 0,
        "failed": int((runs["status"] == "failed").sum()) if len(runs) else 0,
    }
    if design.kind in ("sobol", "morris"):
        manifest["sensitivity_skipped"] = skipped
    _atomic_write_text(mf, json.dumps(manifest, indent=2, default=str))
    return SweepResults(out, manifest, runs, timings, design_df, sens)

