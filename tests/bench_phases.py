"""Where a small run's time goes: a month's parts and a run's fixed costs, by perf_counter
wrappers around the functions that do them: CPU time of this process (``time.process_time``,
which other jobs on a shared machine disturb far less than wall time), medians over runs;
docs/performance.md.

    python -m tests.bench_phases --borrowers 1000 --months 120 --runs 7

Run from the repository; ``--before DIR`` measures an earlier source tree instead (DIR holds
its ``limitlab`` package, see tests/test_bench_targets.py). Functions missing from a tree are
left out of its table.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import statistics
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--borrowers", type=int, default=1000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--before", default=None)
    args = ap.parse_args()
    if args.before:
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
        sys.path.insert(0, args.before)

    from limitlab.agents.lender import appeals, applications, restrictions, review
    from limitlab.agents.lender import month as lender_month
    from limitlab.experiments import sweep
    from limitlab.model import recorder, run, score_quality, tradeoff
    from limitlab.model.config import ScenarioConfig
    from limitlab.model.credit_market import CreditMarketModel
    from limitlab.model.economy import Economy
    from limitlab.model.ledger import Ledger

    cur: collections.Counter = collections.Counter()

    def wrap(owner, name: str, label: str) -> None:
        f = getattr(owner, name, None)
        if f is None:
            return

        @functools.wraps(f)
        def timed(*a, **k):
            t = time.process_time()
            try:
                return f(*a, **k)
            finally:
                cur[label] += time.process_time() - t

        setattr(owner, name, timed)

    month_parts = [
        (CreditMarketModel, "step", "month (model.step, all)"),
        (CreditMarketModel, "credit_line_month", "borrowers' passes + books (compiled)"),
        (lender_month, "apply_rules", "lender rules (compiled) + their events"),
        (applications, "decide", "applications"),
        (CreditMarketModel, "arrive", "arrivals (new rows)"),
        (restrictions, "end", "restrictions that end"),
        (appeals, "hear", "appeals"),
        (review, "review", "system review"),
        (Economy, "advance", "economy"),
        (recorder.Recorder, "collect", "recorder (with score quality)"),
        (score_quality.ScoreQuality, "collect", "  of which score quality"),
        (CreditMarketModel, "customers_leave", "customers leave"),
        (Ledger, "close_month", "ledger"),
    ]
    run_parts = [
        (run, "simulate", "simulate (all)"),
        (CreditMarketModel, "__init__", "model init"),
        (CreditMarketModel, "run", "monthly loop"),
        (run, "collect_tables", "tables (collect_tables)"),
        (tradeoff, "attach", "  trade-off columns and tables"),
        (run, "summarise", "summary"),
        (run, "_free_finished_model", "freeing the model (gc.collect)"),
        (run, "release_model", "freeing the model (release)"),
        (run, "release_free_memory", "malloc_trim"),
    ]
    for owner, name, label in month_parts + run_parts:
        wrap(owner, name, label)

    cfg = ScenarioConfig(months=args.months)
    cfg = cfg.model_copy(update={"population": cfg.population.model_copy(update={"borrowers": args.borrowers})})
    per_run: dict[str, list[float]] = collections.defaultdict(list)
    for i in range(args.runs + 2):
        cur.clear()
        res = run.simulate(cfg, seed=i, borrowers=False, events=False)  # as a batch runs it
        t = time.process_time()
        for df in res.tables.values():
            sweep.parquet_bytes(df)
        cur["Parquet bytes of the tables (worker)"] += time.process_time() - t
        if i >= 2:  # the first runs load the kernels and warm the caches
            for k, v in cur.items():
                per_run[k].append(v)
    tree = "earlier tree" if args.before else "this tree"
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{tree}: {args.borrowers:,} borrowers x {args.months} months, CPU time, medians of "
          f"{args.runs} runs (load average {load})")
    print("per month (ms CPU):")
    for _, _, label in month_parts:
        if label in per_run:
            print(f"  {label:44s} {statistics.median(per_run[label]) / args.months * 1e3:7.3f}")
    print("per run (ms CPU):")
    for label in [lab for _, _, lab in run_parts] + ["Parquet bytes of the tables (worker)"]:
        if label in per_run:
            print(f"  {label:44s} {statistics.median(per_run[label]) * 1e3:7.1f}")


if __name__ == "__main__":
    main()
