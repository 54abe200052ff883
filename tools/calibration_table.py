"""The calibration table: each target of a targets file against the model, as Markdown.

    .venv/bin/python tools/calibration_table.py                      # baseline, primary targets
    .venv/bin/python tools/calibration_table.py --replicates 4 --borrowers 5000

Runs ``--replicates`` runs of the scenario (seeds spawned from its seed, as ``limitlab
batch`` spawns them), measures every selected target the model measures over the last
``--window`` months of each run (``limitlab.experiments.calibration.targets.MEASURES``) and
prints one row per target: the published value and its uncertainty, the model's mean and
range over the runs, and whether the mean lies within the target's uncertainty. The README's
calibration table and docs/calibration.md's are this script's output, pasted unedited.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    from limitlab.experiments.calibration.targets import (
        MEASURES,
        load_targets,
        measure_all,
        select,
        shipped_targets,
        split_measured,
    )
    from limitlab.experiments.catalog import load_scenario
    from limitlab.model.config import apply_overrides
    from limitlab.model.run import simulate

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--targets", default=None, help="targets TOML (default: the shipped file)")
    ap.add_argument("--which", default="primary", help="primary, all or NAME,NAME,...")
    ap.add_argument("--replicates", type=int, default=4)
    ap.add_argument("--borrowers", type=int, default=None)
    ap.add_argument("--months", type=int, default=None)
    ap.add_argument("--window", type=int, default=12, help="months the measures average over")
    ap.add_argument("--compact", action="store_true",
                    help="four columns (target, published, model mean, within): the README's table")
    args = ap.parse_args(argv)

    cfg = load_scenario(args.scenario)
    over = {k: v for k, v in (("population.borrowers", args.borrowers), ("months", args.months))
            if v is not None}
    cfg = apply_overrides(cfg, over) if over else cfg
    targets = load_targets(args.targets or shipped_targets())
    chosen = select(targets, args.which)
    runs = [simulate(cfg, np.random.SeedSequence(cfg.seed, spawn_key=(0, r)),
                     borrowers=False, events=False).tables for r in range(args.replicates)]
    measured, skipped = split_measured(chosen, set(runs[0]["segments"].columns))
    values = [measure_all(measured, tables, args.window) for tables in runs]

    def fmt(v: float, kind: str) -> str:
        if not np.isfinite(v):
            return "n/a"
        return f"{v:.2%}" if kind == "share" else f"{v:,.0f}"

    print(f"Scenario `{cfg.name}` ({cfg.population.borrowers:,} borrowers, {cfg.months} months "
          f"after a {cfg.burn_in_months}-month burn-in, {args.replicates} runs; measures over the "
          f"last {args.window} months). Targets: `{targets.path.name}` ({args.which}).")
    print()
    if args.compact:
        print("| target | published | model | within |")
        print("|---|---|---|---|")
    else:
        print("| target | segment | measure | published ± uncertainty | model: mean (range over runs) | within |")
        print("|---|---|---|---|---|---|")
    for t in measured:
        kind = MEASURES[t.measure].kind
        v = np.array([x[t.name] for x in values], dtype=float)
        mean = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
        within = "yes" if abs(mean - t.value) <= t.uncertainty else "no"
        if args.compact:
            print(f"| {t.name} | {fmt(t.value, kind)} ± {fmt(t.uncertainty, kind)} | "
                  f"{fmt(mean, kind)} | {within} |")
            continue
        print(f"| {t.name} | {t.segment} | {t.measure} | {fmt(t.value, kind)} ± "
              f"{fmt(t.uncertainty, kind)} | {fmt(mean, kind)} ({fmt(np.nanmin(v), kind)}–"
              f"{fmt(np.nanmax(v), kind)}) | {within} |")
    for t, why in [] if args.compact else skipped:
        print(f"| {t.name} | {t.segment} | — | {t.value:g} | not measured: {why} | — |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
