"""``limitlab batch`` (replicates of one scenario) and ``limitlab sweep`` (a design over axes).

Both write the layout described in :mod:`limitlab.experiments.sweep` and accept the options of
``limitlab run`` plus ``--workers``, ``--dask``, ``--resume``, ``--retry-failed`` and ``--keep``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from limitlab.model.config import ConfigError


def _add_scale_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--replicates", type=int, default=None, metavar="R",
                   help="runs per design point, each with its own seed")
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="worker processes (default: every core; 0 = in this process)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run on Dask: tcp://HOST:8786 for a running scheduler, or local[:N] "
                        "to start N local workers")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted batch/sweep in --out: run only the missing runs")
    p.add_argument("--retry-failed", action="store_true",
                   help="rerun the runs recorded as failed (and any missing ones)")
    p.add_argument("--keep", default="", metavar="TABLES",
                   help="also write these per-run tables: borrowers,events (large)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the design's size and where it would be written, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary table")


def register(sub: argparse._SubParsersAction) -> None:
    from limitlab.experiments.cli import add_run_options

    b = sub.add_parser(
        "batch", help="replicates of one scenario",
        description="Run R replicates of one scenario (seeds spawned from the root seed) and "
                    "write runs.parquet, per-run tables and a manifest.",
    )
    b.add_argument("scenario", help="scenario TOML file, or a name from experiments/scenarios/")
    add_run_options(b, out_help="output directory (default results/<scenario>/)")
    _add_scale_options(b)
    b.set_defaults(func=cmd_batch)

    s = sub.add_parser(
        "sweep", help="a grid, Latin hypercube, Sobol or Morris design over parameters",
        description="Run a sweep file: a base scenario, axes (dotted keys) and a design "
                    "(grid, lhs, sobol, morris), with replicates per point. Sobol and Morris "
                    "designs also write sensitivity indices.",
    )
    s.add_argument("sweep", help="sweep TOML file, or a name from experiments/sweeps/")
    add_run_options(s, out_help="output directory (default results/<sweep name>/)")
    _add_scale_options(s)
    s.set_defaults(func=cmd_sweep)


def _keep(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def cmd_batch(args: argparse.Namespace) -> int:
    from limitlab.experiments.cli import overrides_from_args
    from limitlab.experiments.sweep import Design

    replicates = 10 if args.replicates is None else args.replicates
    design = Design.batch(args.scenario, replicates, overrides_from_args(args))
    return _run(design, args)


def cmd_sweep(args: argparse.Namespace) -> int:
    from limitlab.experiments.cli import overrides_from_args
    from limitlab.experiments.sweep import Design

    design = Design.from_toml(args.sweep, overrides_from_args(args), replicates=args.replicates)
    return _run(design, args)


def _run(design, args: argparse.Namespace) -> int:
    from limitlab.experiments.sweep import check_design, run_design

    out = Path(args.out) if args.out else Path("results") / design.name
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {str(out)!r} — exists and is not a directory; give a directory")
    if args.dry_run:
        base = design.base_config()
        check_design(design, base)
        n = len(design.points())
        print(f"{design.name}: {design.kind} design, {n:,} points × {design.replicates} "
              f"replicates = {n * design.replicates:,} runs → {out}")
        return 0
    from limitlab.experiments.outputs import say_if_compiling

    say_if_compiling(args.quiet)
    res = run_design(design, out, workers=args.workers, dask=args.dask, resume=args.resume,
                     retry_failed=args.retry_failed, keep=_keep(args.keep), progress=not args.quiet)
    if not args.quiet:
        print_summary(res)
        print_outcomes(res.path)
    n_failed, n_runs = len(res.failed), len(res.runs)
    if n_runs and n_failed == n_runs:
        # printed even with --quiet: a sweep that produced nothing must not look like success
        print(f"limitlab: error: all {n_runs:,} runs failed — first error: {_last_line(res)}; "
              f"tracebacks in {str(res.path / 'runs.parquet')!r} column 'error'", file=sys.stderr)
        return 1
    if n_failed and args.quiet:
        print(f"limitlab: warning: {n_failed:,} of {n_runs:,} runs failed; rerun them with "
              "--retry-failed", file=sys.stderr)
    return 0


MAX_POINTS_PRINTED = 12  # larger sweeps: `limitlab summary DIR` prints every point


def print_outcomes(path) -> None:
    """The key outcomes with their 95% intervals (``limitlab summary``'s table), so a user
    sees results without a browser; sweeps only up to :data:`MAX_POINTS_PRINTED` points."""
    from limitlab.experiments.summary import render, summarise_dir

    try:
        kind, rows = summarise_dir(path)
    except ConfigError:
        return  # nothing readable to summarise (e.g. every run failed)
    points = {r.get("point") for r in rows}
    if not rows:
        return
    if kind == "sweep" and len(points) > MAX_POINTS_PRINTED:
        print(f"{len(points)} design points: limitlab summary {path} prints each point's outcomes")
        return
    print(render(kind, rows, "text"), end="")


def _last_line(res) -> str:
    """The last line of the first failed run's traceback (the exception and its message)."""
    errors = [e for e in res.failed["error"].astype(str) if e.strip()]
    return errors[0].strip().splitlines()[-1] if errors else "unknown"


def print_summary(res) -> None:
    """The end-of-sweep table: runs done, failed, wall time, runs per second."""
    from rich.console import Console
    from rich.table import Table

    st = res.stats
    done = st["ok"] + st["failed"]
    table = Table(title=f"{res.manifest.get('name')}: {res.manifest.get('kind')} on {st['executor']}")
    table.add_column("")
    table.add_column("", justify="right")
    rows = [
        ("runs in the design", f"{st['runs']:,}"),
        ("already done (resumed)", f"{st['skipped']:,}"),
        ("run now", f"{done:,}"),
        ("  ok", f"{st['ok']:,}"),
        ("  failed", f"{st['failed']:,}"),
        ("failed in total", f"{len(res.failed):,}"),
        ("wall time", f"{st['wall_seconds']:.1f} s"),
        ("runs per second", f"{done / st['wall_seconds']:.2f}" if done and st["wall_seconds"] > 0
         else "n/a (nothing left to run)" if not done else "n/a"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    console = Console(stderr=False)
    console.print(table)
    for name, df in res.sensitivity.items():
        if name in ("sobol", "morris") and len(df):
            console.print(f"{name} indices: {res.path / 'sensitivity' / (name + '.parquet')}")
    skipped = (res.manifest.get("sensitivity_skipped") or {})
    for o, why in skipped.items():
        console.print(f"[yellow]sensitivity of {o} not computed: {why}[/yellow]")
    if len(res.failed):
        console.print(f"[yellow]{len(res.failed)} runs failed (tracebacks in runs.parquet 'error'); "
                      "rerun them with --retry-failed[/yellow]")
    console.print(f"results: {res.path}")
