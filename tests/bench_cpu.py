"""CPU and wall seconds of ``limitlab bench``'s monthly loop (the baseline, no events).

    python -m tests.bench_cpu BORROWERS MONTHS REPEATS   # prints: median CPU s, median wall s

CPU time (``time.process_time``) is steadier than wall time on a shared machine.
"""
import statistics
import sys
import time

from limitlab.model.config import ScenarioConfig
from limitlab.model.credit_market import CreditMarketModel

borrowers, months, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = []
for _ in range(repeats):
    cfg = ScenarioConfig(months=months)
    cfg = cfg.model_copy(update={"population": cfg.population.model_copy(update={"borrowers": borrowers})})
    model = CreditMarketModel(cfg, create_agents=False, keep_events=False)
    c0, w0 = time.process_time(), time.perf_counter()
    while model.month < months:
        model.step()
    out.append((time.process_time() - c0, time.perf_counter() - w0))
    del model
print(f"{statistics.median(c for c, _ in out):.3f} {statistics.median(w for _, w in out):.3f}")
