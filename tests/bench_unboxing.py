"""What a month's compiled calls pay to unbox their arguments: every compiled call of one
month is recorded with its arguments, then a compiled no-op taking the same arguments is
timed (best of 5 x 200 calls): the dispatch and the unboxing of the named tuples of columns,
with no work; docs/performance.md.

    python -m tests.bench_unboxing --borrowers 1000

Also times a named tuple of 55 arrays against a numba structref holding the same 55
arrays (unboxed as one object), each passed to a no-op, and building either from 55 slices.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import pkgutil
import time
from collections import namedtuple

import numba as nb
import numpy as np
from numba.core import types
from numba.core.registry import CPUDispatcher
from numba.experimental import structref


def best_seconds(f, calls: int = 200, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            f()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


_NOOPS: dict[int, CPUDispatcher] = {}


def noop(arity: int) -> CPUDispatcher:
    if arity not in _NOOPS:
        names = ",".join(f"a{i}" for i in range(arity))
        scope: dict = {}
        exec(f"def f({names}):\n    return 0", scope)
        _NOOPS[arity] = nb.njit(scope["f"])
    return _NOOPS[arity]


def month_calls(borrowers: int) -> list[tuple[str, tuple]]:
    """Every compiled call of the 31st month of a baseline-default run (name, arguments)."""
    import limitlab.agents
    import limitlab.model
    from limitlab.model.config import ScenarioConfig
    from limitlab.model.credit_market import CreditMarketModel

    record: list | None = None

    def recorded(name, f):
        def call(*a, **k):
            if record is not None:
                record.append((name, a))
            return f(*a, **k)
        return call

    wrappers: dict[int, object] = {}
    for pkg in (limitlab.agents, limitlab.model):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            mod = importlib.import_module(info.name)
            for key, value in list(vars(mod).items()):
                if isinstance(value, CPUDispatcher):
                    name = f"{value.py_func.__module__.split('.')[-1]}.{value.__name__}"
                    wrappers.setdefault(id(value), recorded(name, value))
                    setattr(mod, key, wrappers[id(value)])
    cfg = ScenarioConfig(months=120)
    cfg = cfg.model_copy(update={"population": cfg.population.model_copy(update={"borrowers": borrowers})})
    model = CreditMarketModel(cfg, create_agents=False, keep_events=False)
    for _ in range(30):
        model.step()
    record = []
    model.step()
    return record


def bundle_against_tuple(columns: int = 55) -> dict[str, float]:
    names = [f"c{i}" for i in range(columns)]
    arrays = [np.zeros(1000, dtype=np.int64 if i % 2 else np.float32) for i in range(columns)]
    Columns = namedtuple("Columns", names)

    @structref.register
    class BundleType(types.StructRef):
        def preprocess_fields(self, fields):
            return tuple((n, types.unliteral(t)) for n, t in fields)

    class Bundle(structref.StructRefProxy):
        pass

    structref.define_proxy(Bundle, BundleType, names)
    as_tuple, as_bundle = Columns(*arrays), Bundle(*arrays)
    f = noop(1)
    f(as_tuple)
    f(as_bundle)
    return {
        f"no-op on a named tuple of {columns} arrays": best_seconds(lambda: f(as_tuple), 2000),
        f"no-op on a structref of {columns} arrays": best_seconds(lambda: f(as_bundle), 2000),
        f"building the named tuple of {columns} slices": best_seconds(
            lambda: Columns(*[a[:900] for a in arrays]), 2000),
        f"building the structref of {columns} slices": best_seconds(
            lambda: Bundle(*[a[:900] for a in arrays]), 200),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--borrowers", type=int, default=1000)
    args = ap.parse_args()
    calls = month_calls(args.borrowers)
    per: collections.Counter = collections.Counter()
    count: collections.Counter = collections.Counter()
    for name, a in calls:
        f = noop(len(a))
        f(*a)
        per[name] += best_seconds(lambda f=f, a=a: f(*a))
        count[name] += 1
    print(f"{args.borrowers:,} borrowers, month 31: a compiled no-op with each call's arguments")
    for name, s in per.most_common():
        print(f"  {s * 1e6:8.1f} us  {count[name]:3d} call(s)  {name}")
    print(f"  {sum(per.values()) * 1e6:8.1f} us  {len(calls):3d} compiled calls a month")
    for label, s in bundle_against_tuple().items():
        print(f"  {s * 1e6:8.2f} us  {label}")


if __name__ == "__main__":
    main()
