"""``limitlab run`` (one scenario, one seed) and ``limitlab bench`` (the monthly loop's speed)."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from limitlab.experiments.catalog import load_scenario

# the outcomes of the terminal summary, in order (labels and number style:
# limitlab.experiments.outcomes)
SUMMARY_ROWS = (
    "annualised_default_rate", "loss_rate", "mean_utilisation", "closure_rate",
    "reopened_lower_share", "unmet_demand_share", "final_total_limit", "final_outstanding",
    "net_income",
)


def register(sub: argparse._SubParsersAction) -> None:
    from limitlab.experiments.cli import add_run_options

    p = sub.add_parser("run", help="run one scenario", description="Run one scenario once.")
    p.add_argument("scenario", help="scenario TOML file, or a name from experiments/scenarios/")
    add_run_options(p, out_help="output directory (default results/<scenario>/<run-id>/)")
    p.add_argument("--no-events", action="store_true", help="do not write events.parquet")
    p.add_argument("--figures", action="store_true",
                   help="also write figures/*.png (matplotlib: ~1-3 s more; `limitlab report` draws them "
                        "and more)")
    p.add_argument("--no-figures", action="store_true",
                   help="do not write figures/, even if the scenario's output.figures asks for them")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--overwrite", action="store_true",
                   help="write into a non-empty --out: replace only the files a previous run's "
                        "manifest lists, never any other file")
    # a run's files are complete when it returns: the process ends without tearing down
    # its modules (limitlab.experiments.cli.exit_at_once)
    p.set_defaults(func=cmd_run, exit_at_once=True)

    b = sub.add_parser("bench", help="borrower-months per second of the monthly loop")
    b.add_argument("--sizes", default="1000,10000,100000", help="comma-separated borrower counts")
    b.add_argument("--months", type=int, default=120)
    b.add_argument("--repeats", type=int, default=3, help="repetitions per size (median reported)")
    b.add_argument("--events", action="store_true", help="keep the full event log in memory too")
    b.set_defaults(func=cmd_bench)


def print_summary(summary: dict, title: str) -> None:
    from limitlab.experiments.outcomes import fmt, kind_of, label_of
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("value", justify="right")
    for key in SUMMARY_ROWS:
        table.add_row(label_of(key), fmt(summary.get(key), kind_of(key)))
    Console().print(table)


def cmd_run(args: argparse.Namespace) -> int:
    from limitlab.experiments.cli import overrides_from_args
    from limitlab.experiments.outputs import check_run_out, say_if_compiling, write_run
    from limitlab.model.run import simulate

    config = load_scenario(args.scenario, overrides_from_args(args))
    if args.no_events:
        config = config.model_copy(update={"output": config.output.model_copy(update={"events": False})})
    if args.out:
        out = Path(args.out)
    else:
        stem = Path("results") / config.name / f"run-{time.strftime('%Y%m%d-%H%M%S')}-s{config.seed}"
        out, n = stem, 1
        while out.exists():  # two runs in the same second get their own directories
            out, n = stem.with_name(f"{stem.name}-{n}"), n + 1
    # refused now (one line, exit 2), not after the whole simulation
    check_run_out(out, overwrite=args.overwrite)
    say_if_compiling(args.quiet)

    bar = None
    progress = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=config.months, unit="month", desc=config.name, delay=2.0, leave=False)

        def progress(month: int, end: int) -> None:
            bar.update(month - bar.n)

    try:
        result = simulate(config, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    write_run(result, out, figures=(args.figures or config.output.figures) and not args.no_figures, overwrite=args.overwrite)
    if not args.quiet:
        print_summary(result.summary, f"{config.name}: {config.population.borrowers:,} borrowers × "
                      f"{config.months} months, seed {config.seed} ({result.wall_seconds:.1f} s)")
        print(f"results: {out}")
    return 0


def bench_once(borrowers: int, months: int, events: bool = False) -> tuple[float, int, int]:
    """Seconds for the monthly loop of the baseline at this size (no file output), the
    row-months simulated (every applicant's row, live or not, every month) and the
    account-months (lines on the book — active, frozen or closed — at each month's start:
    the borrowers the month's rules ran for; the population grows with arrivals)."""
    from limitlab.model.config import ScenarioConfig
    from limitlab.model.credit_market import CreditMarketModel

    cfg = ScenarioConfig(months=months)
    cfg = cfg.model_copy(update={"population": cfg.population.model_copy(update={"borrowers": borrowers})})
    model = CreditMarketModel(cfg, create_agents=False, keep_events=events)
    rows = accounts = 0
    start = time.perf_counter()
    while model.month < months:
        model.step()
        rows += model.table.n
        accounts += model.live.size
    return time.perf_counter() - start, rows, accounts


def cmd_bench(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print("borrower-months = initial borrowers x months; account-months = lines on the book each")
    print("month (the population grows with arrivals); row-months also counts rejected and gone rows")
    print(f"{'borrowers':>10} {'months':>6} {'median s':>9} {'M borrower-months/s':>20} "
          f"{'M account-months/s':>19} {'M row-months/s':>15}")
    for n in sizes:
        runs = [bench_once(n, args.months, args.events) for _ in range(args.repeats)]
        med = statistics.median(r[0] for r in runs)
        rows, accounts = runs[0][1], runs[0][2]
        print(f"{n:>10,} {args.months:>6} {med:>9.2f} {n * args.months / med / 1e6:>20.2f} "
              f"{accounts / med / 1e6:>19.2f} {rows / med / 1e6:>15.2f}")
    return 0
