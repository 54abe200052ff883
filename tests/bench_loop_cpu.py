"""The baseline's monthly loop in CPU time (``time.process_time``), which other jobs on a
shared machine disturb far less than wall time: medians over runs after a first one that
loads the kernels (docs/performance.md).

    python -m tests.bench_loop_cpu --borrowers 1000 --months 120 --runs 7

Two sizes split a month into a fixed cost and a cost per borrower (docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from limitlab.model.config import ScenarioConfig
from limitlab.model.credit_market import CreditMarketModel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--borrowers", type=int, default=1000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    cfg = ScenarioConfig(months=args.months)
    cfg = cfg.model_copy(update={"population": cfg.population.model_copy(
        update={"borrowers": args.borrowers})})
    cpu = []
    for i in range(args.runs + 1):
        model = CreditMarketModel(cfg, rng=i, create_agents=False, keep_events=False)
        start = time.process_time()
        model.run()
        if i:  # the first run loads the kernels
            cpu.append(time.process_time() - start)
    med = statistics.median(cpu)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{args.borrowers:,} x {args.months}: CPU median of {args.runs} runs {med:.3f} s, "
          f"{med / args.months * 1e3:.3f} ms a month, "
          f"{args.borrowers * args.months / med / 1e6:.2f} M borrower-months/s (load average {load})")


if __name__ == "__main__":
    main()
