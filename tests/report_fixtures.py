"""Results directories for report tests, written from real (short) runs.

A single run uses ``limitlab.experiments.outputs.write_run``; batches and sweeps are written in the
layout of ``limitlab batch``/``limitlab sweep``: ``runs.parquet``,
``design.parquet``, ``manifest.json`` and hive-partitioned per-run tables
``<table>/run_id=<id>/part-0.parquet``. Sweeps also get a Sobol sensitivity table.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.outputs import write_parquet, write_run
from limitlab.model.run import simulate

PER_RUN_TABLES = ("monthly", "segments", "reasons", "vintages", "roll_rates", "reviews")


def write_run_dir(out: Path, *, borrowers: int = 300, months: int = 24, seed: int = 1) -> Path:
    """A single run's directory (figures off to keep it quick)."""
    config = load_scenario("baseline", {"population.borrowers": borrowers, "months": months})
    return write_run(simulate(config, seed), out, figures=False)


def write_runs_dir(out: Path, points: list[dict], *, replicates: int, borrowers: int = 300,
                   months: int = 24, kind: str = "batch", workers: int = 1) -> Path:
    """A batch (one point) or sweep (several) directory from real runs.

    Args:
        out: Directory to create.
        points: One dict of dotted-key overrides per design point (``[{}]`` for a batch).
        replicates: Replicates per point (seeds 1000 + replicate).
        borrowers: Applicants per run.
        months: Months per run.
        kind: ``"batch"`` or ``"sweep"`` (written to ``manifest.json``).
        workers: Processes to run the simulations in.

    Returns:
        ``out``.
    """
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(p, r, overrides, borrowers, months)
            for (p, overrides), r in itertools.product(enumerate(points), range(replicates))]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_one_run, jobs))
    else:
        results = [_one_run(j) for j in jobs]
    axes = sorted({k for p in points for k in p})
    rows = []
    for run_id, ((p, r, overrides, *_), (summary, tables)) in enumerate(zip(jobs, results)):
        rows.append({"run_id": run_id, "point": p, "replicate": r,
                     **{a: overrides.get(a) for a in axes}, "status": "ok", **summary})
        for name in PER_RUN_TABLES:
            d = out / name / f"run_id={run_id}"
            d.mkdir(parents=True, exist_ok=True)
            write_parquet(tables[name], d / "part-0.parquet")
    runs = pd.DataFrame(rows)
    write_parquet(runs, out / "runs.parquet")
    write_parquet(runs[["point", *axes]].drop_duplicates("point"), out / "design.parquet")
    manifest = {"kind": kind, "axes": axes, "replicates": replicates,
                "config": {"months": months, "population": {"borrowers": borrowers}},
                "scenario": "baseline"}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    if kind == "sweep" and axes:
        sens = out / "sensitivity"
        sens.mkdir(exist_ok=True)
        rng = np.random.default_rng(0)
        s1 = rng.uniform(0.0, 0.5, len(axes))
        write_parquet(pd.DataFrame({
            "outcome": "loss_rate", "parameter": axes, "S1": s1, "S1_conf": s1 / 5,
            "ST": s1 + 0.1, "ST_conf": s1 / 4,
        }), sens / "sobol.parquet")
    return out


def _one_run(job):
    p, r, overrides, borrowers, months = job
    config = load_scenario("baseline", {"population.borrowers": borrowers, "months": months,
                                        **overrides})
    result = simulate(config, 1000 + r, borrowers=False, events=False)
    return result.summary, result.tables


def write_batch_dir(out: Path, *, replicates: int = 4, borrowers: int = 300, months: int = 24,
                    workers: int = 1) -> Path:
    """A batch: ``replicates`` runs of the baseline."""
    return write_runs_dir(out, [{}], replicates=replicates, borrowers=borrowers, months=months,
                          kind="batch", workers=workers)


SWEEP_AXES = {
    "lender.review.period_months": [3, 6],
    "lender.review.tightening_strength": [0.2, 0.5],
}


def write_sweep_dir(out: Path, *, replicates: int = 2, borrowers: int = 200, months: int = 18) -> Path:
    """A 2×2 grid sweep over the review period and tightening strength."""
    keys = list(SWEEP_AXES)
    points = [dict(zip(keys, values)) for values in itertools.product(*SWEEP_AXES.values())]
    return write_runs_dir(out, points, replicates=replicates, borrowers=borrowers, months=months,
                          kind="sweep")
