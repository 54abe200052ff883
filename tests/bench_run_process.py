"""Where a ``limitlab run`` process's time goes, whole process: the imports, numba loading
its cached kernels, the burn-in, the months, the tables, each output file and the manifest;
docs/performance.md.

    python -m tests.bench_run_process baseline --borrowers 10000 --months 120 [--set K=V ...]

Runs ``limitlab run SCENARIO ... --out TMP --quiet`` in this process (the same code path as
the command) with wrappers around the functions that do each part, and prints each part's
CPU time (``time.process_time``: other jobs on a shared machine disturb it far less than
wall time) and wall time. The process's start (Python, before this module runs) is not
timed here: compare with ``python -c pass``; nor is Python's teardown at exit, which
``limitlab run`` skips (the last line says how to see it). Parts nest: numba's cache loads happen inside
the first month and the burn-in; the table says which part holds which.
"""

from __future__ import annotations

import collections
import functools
import sys
import tempfile
import time

T0 = (time.process_time(), time.perf_counter())


def main() -> None:
    cpu: collections.Counter = collections.Counter()
    wall: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    order: list[str] = []

    def add(label: str, c: float, w: float) -> None:
        if label not in cpu:
            order.append(label)
        cpu[label] += c
        wall[label] += w
        calls[label] += 1

    def wrap(owner, name: str, label: str) -> None:
        f = getattr(owner, name)

        @functools.wraps(f)
        def timed(*a, **k):
            c, w = time.process_time(), time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                add(label, time.process_time() - c, time.perf_counter() - w)

        setattr(owner, name, timed)

    c, w = time.process_time(), time.perf_counter()
    import numpy  # noqa: F401

    add("import numpy", time.process_time() - c, time.perf_counter() - w)
    c, w = time.process_time(), time.perf_counter()
    import mesa  # noqa: F401

    add("import mesa (its own dependencies included)", time.process_time() - c, time.perf_counter() - w)
    c, w = time.process_time(), time.perf_counter()
    from limitlab.experiments import cli, cmd_run  # noqa: F401

    add("import limitlab's command line and `run` command", time.process_time() - c, time.perf_counter() - w)
    c, w = time.process_time(), time.perf_counter()
    from limitlab.experiments import catalog, outputs  # noqa: F401
    from limitlab.model import run

    add("import limitlab.model.run, experiments.outputs, catalog", time.process_time() - c,
        time.perf_counter() - w)

    from limitlab.model import credit_market, tradeoff
    from limitlab.model.credit_market import CreditMarketModel
    from numba.core import caching

    load = caching.Cache.load_overload

    def load_overload(self, *a, **k):  # the first load also starts numba's compiler context
        c, w = time.process_time(), time.perf_counter()
        try:
            return load(self, *a, **k)
        finally:
            first = "  numba's start and its first cached kernel (inside month 0)"
            label = first if first not in cpu else "  numba: the other cached kernels (inside the parts below)"
            add(label, time.process_time() - c, time.perf_counter() - w)

    caching.Cache.load_overload = load_overload
    wrap(cmd_run, "load_scenario", "scenario loaded and validated")
    wrap(credit_market, "seasoned_book", "burn-in (seasoned book, months before month 0)")
    wrap(CreditMarketModel, "_adopt", "the run's copy of the seasoned book")
    wrap(CreditMarketModel, "_open", "month 0 (a book opened)")
    wrap(CreditMarketModel, "run", "the reported months (monthly loop)")
    wrap(tradeoff, "run_twin", "the trade-off's twin run")
    wrap(run, "collect_tables", "tables (collect_tables)")
    wrap(run, "borrowers_table", "  of which the borrowers table")
    wrap(run, "events_arrow", "  of which the events table")
    wrap(run, "summarise", "summary")
    wrap(run, "release_model", "freeing the model")
    wrap(outputs, "write_parquet", "Parquet files")
    wrap(outputs, "versions", "manifest: package versions")
    wrap(outputs, "git_commit", "manifest: git commit")
    wrap(outputs, "write_run", "writing the run (Parquet and manifest)")
    # the borrowers' and events' files on their own lines
    parquet = outputs.write_parquet

    def write_parquet(df, path):
        c, w = time.process_time(), time.perf_counter()
        try:
            return parquet(df, path)
        finally:
            if path.stem in ("events", "borrowers"):
                add(f"  of which {path.name}", time.process_time() - c, time.perf_counter() - w)

    outputs.write_parquet = write_parquet

    out = tempfile.mkdtemp(prefix="limitlab-bench-run-")
    c, w = time.process_time(), time.perf_counter()
    rc = cli.main(["run", *sys.argv[1:], "--out", f"{out}/run", "--quiet"])
    add("limitlab run (cli.main, after the imports)", time.process_time() - c, time.perf_counter() - w)
    total = (time.process_time() - T0[0], time.perf_counter() - T0[1])
    print(f"{'part':<62} {'CPU s':>7} {'wall s':>7} {'calls':>6}")
    for label in order:
        print(f"{label:<62} {cpu[label]:>7.3f} {wall[label]:>7.3f} {calls[label]:>6}")
    print(f"{'all of the above (this module, from its start)':<62} {total[0]:>7.3f} {total[1]:>7.3f}")
    import os
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    t = os.times()
    print(f"this process's CPU before its exit (os.times, Python's start included): {t.user + t.system:.3f} s;"
          " the whole process's CPU (/usr/bin/time) less this is Python's teardown at exit, which"
          " `limitlab run` skips (limitlab.experiments.cli.exit_at_once)")
    sys.exit(rc)


if __name__ == "__main__":
    main()
