"""ABC-SMC over limitlab's executors, reproducible from the seed whatever the worker count.

pyabc's :class:`~pyabc.ABCSMC` proposes parameters, the model simulates them and a particle is
accepted when its standardised distance to the targets is under the generation's threshold
(the median distance of the previous generation). Three choices make the result depend on the
seed alone:

- static scheduling: :class:`SeededMappingSampler` is pyabc's ``MappingSampler`` (one task per
  particle, results in task order) over an executor's ``map``; never "first finished";
- seeds: particle ``i`` of generation ``t`` draws its proposals from
  ``SeedSequence(seed, spawn_key=(0, t + 1, i))`` and its ``k``-th simulation runs from
  ``SeedSequence(seed, spawn_key=(1, t + 1, i, k))`` (``t = -1`` is the prior sample that sets
  the first threshold); pyabc's own sampler reseeds from the operating system instead;
- a fixed population per generation and a fixed number of generations, each generation run
  from the history database alone (:func:`run_generations` loads it before every generation),
  so that a run resumed after an interruption takes exactly the path of one never interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from limitlab.experiments.calibration.targets import Target, measure_all, standardised_distance
from limitlab.model.config import ConfigError, apply_overrides, field_bounds, field_info
from pyabc import ABCSMC, RV, Distribution, History
from pyabc.epsilon import QuantileEpsilon
from pyabc.populationstrategy import ConstantPopulationSize
from pyabc.sampler import MappingSampler

MAX_ATTEMPTS = 500  # proposals one particle may make before the run is declared stuck


class StuckError(RuntimeError):
    """A particle found no acceptable proposal in :data:`MAX_ATTEMPTS` tries."""


# --------------------------------------------------------------------------------- levers
@dataclass(frozen=True)
class Lever:
    key: str  # dotted schema key
    low: float
    high: float
    integer: bool

    @property
    def name(self) -> str:
        """The parameter's name inside pyabc's database (no dots)."""
        return self.key.replace(".", "__")

    def value(self, x: float) -> float | int:
        return int(round(x)) if self.integer else float(x)


def parse_lever(text: str) -> Lever:
    """``lender.cut_pd=0.05:0.2`` -> :class:`Lever` (:class:`ConfigError` if not a numeric
    schema key or not a range inside its bounds)."""
    key, sep, rng = text.partition("=")
    key = key.strip()
    low_t, sep2, high_t = rng.partition(":")
    if not sep or not sep2:
        raise ConfigError(f"--params: {text!r} — give LEVER=LOW:HIGH, e.g. lender.cut_pd=0.05:0.2")
    try:
        _, annotation = field_info(key)
    except ConfigError as exc:
        raise ConfigError(f"--params: {key!r} — unknown lever ({exc})") from None
    if annotation not in (int, float):
        raise ConfigError(f"--params: {key!r} — not a numeric parameter; give a number-valued key "
                          "(see limitlab params)")
    try:
        low, high = float(low_t), float(high_t)
    except ValueError:
        raise ConfigError(f"--params: {text!r} — LOW and HIGH must be numbers") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ConfigError(f"--params: {text!r} — a range with LOW < HIGH, both finite")
    lo_b, hi_b = field_bounds(key)
    if (lo_b is not None and low < lo_b) or (hi_b is not None and high > hi_b):
        raise ConfigError(f"--params: {text!r} — outside the parameter's bounds "
                          f"[{lo_b if lo_b is not None else '-inf'}, {hi_b if hi_b is not None else 'inf'}]")
    return Lever(key, low, high, annotation is int)


def prior(levers: list[Lever]) -> Distribution:
    """Uniform on each lever's range (pyabc's ``uniform`` is loc, scale)."""
    return Distribution(**{lv.name: RV("uniform", lv.low, lv.high - lv.low) for lv in levers})


# ------------------------------------------------------------------------- seeded sampler
_context = threading.local()  # the particle being simulated in this worker: (seed, t, i, k)


def _particle_task(sampler: SeededMappingSampler, simulate_one_bytes: bytes, task: tuple[int, int]):
    """One particle: propose from its own stream until one proposal is accepted."""
    t, i = task
    simulate_one = sampler.unpickle(simulate_one_bytes)
    state = np.random.SeedSequence(sampler.seed, spawn_key=(0, t + 1, i)).generate_state(4)
    np.random.seed(state)  # pyabc draws from the prior / transition with numpy's global state
    random.seed(int(state[0]))
    sample = sampler._create_empty_sample()
    for k in range(MAX_ATTEMPTS):
        _context.key = (sampler.seed, t, i, k)
        new = simulate_one()
        sample.append(new)
        if new.accepted:
            return sample, k + 1
    raise StuckError(f"particle {i} of generation {t} found no accepted proposal in {MAX_ATTEMPTS} "
                     "simulations")


class _Interrupts:
    """Ctrl-C while particles are simulated stops the calibration at once; while pyabc writes
    its history it waits until the write is done, so the database is never left with a
    half-written transaction (the generations stored stay usable by ``--resume``)."""

    def __init__(self) -> None:
        self.simulating = False
        self.pending = False

    def handler(self, signum, frame) -> None:
        if self.simulating:
            raise KeyboardInterrupt
        self.pending = True

    def check(self) -> None:
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self):
        """The handler, in the main thread only (signals are delivered there)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        self.pending = self.simulating = False
        previous = signal.signal(signal.SIGINT, self.handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    @contextlib.contextmanager
    def simulating_now(self):
        self.check()
        self.simulating = True
        try:
            yield
        finally:
            self.simulating = False


_INTERRUPTS = _Interrupts()


class SeededMappingSampler(MappingSampler):
    """pyabc's static-scheduling ``MappingSampler`` with per-particle seeds (see module doc)."""

    def __init__(self, map_: Callable, seed: int):
        super().__init__(map_=map_)
        self.seed = int(seed)

    def __getstate__(self):
        return (*super().__getstate__(), self.seed)

    def __setstate__(self, state):
        super().__setstate__(state[:-1])
        self.seed = state[-1]

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                ana_vars=None):
        fn = functools.partial(_particle_task, self, self.pickle(simulate_one))
        with _INTERRUPTS.simulating_now():
            results = list(self.map_(fn, [(t, i) for i in range(n)]))  # in task order
        self.nr_evaluations_ = sum(k for _, k in results)
        sample = self._create_empty_sample()
        for s, _ in results:
            sample += s
        return sample


def simulation_seed() -> np.random.SeedSequence:
    """The seed of the simulation being made for the current particle proposal."""
    seed, t, i, k = _context.key
    return np.random.SeedSequence(seed, spawn_key=(1, t + 1, i, k))


# ---------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class ParticleModel:
    """The simulation behind one proposal: the base scenario with the levers set, run from the
    proposal's seed, measured against the targets (picklable, for process pools and Dask)."""

    base: dict[str, Any]
    levers: tuple[Lever, ...]
    targets: tuple[Target, ...]
    window: int

    def __call__(self, pars: dict[str, float]) -> dict[str, float]:
        from limitlab.model.run import simulate

        overrides = {lv.key: lv.value(pars[lv.name]) for lv in self.levers}
        try:
            config = apply_overrides(self.base, overrides)
        except ConfigError:  # a combination the schema refuses: never accepted
            return {t.name: math.nan for t in self.targets}
        result = simulate(config, seed=simulation_seed(), borrowers=False, events=False)
        return measure_all(list(self.targets), result.tables, self.window)


@dataclass(frozen=True)
class Distance:
    """Standardised distance: each target's gap divided by its uncertainty."""

    uncertainty: dict[str, float]

    def __call__(self, x: dict, x_0: dict) -> float:
        return standardised_distance(x, {k: x_0[k] for k in self.uncertainty}, self.uncertainty)


# ------------------------------------------------------------------------------- driver
def db_url(path: Path) -> str:
    return "sqlite:///" + str(Path(path).resolve())


def completed_generations(db: Path) -> int:
    """Generations stored in the history database (0 when there is none)."""
    if not Path(db).exists():
        return 0
    h = History(db_url(db), _id=1)
    try:
        return int(h.max_t) + 1 if h.n_populations > 0 else 0
    except Exception:  # no calibration stored in it yet
        return 0


def run_generations(*, db: Path, model: ParticleModel, levers: list[Lever], targets: list[Target],
                    population: int, generations: int, seed: int, map_: Callable,
                    on_generation: Callable[[int, float, int, int], None] | None = None) -> History:
    """Run until ``generations`` generations are stored in ``db`` (continuing what is there)."""
    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    observed = {t.name: t.value for t in targets}
    distance = Distance({t.name: t.uncertainty for t in targets})
    with _INTERRUPTS.installed():
        return _generations(db, model, levers, distance, observed, population, generations, seed,
                            map_, on_generation)


def _generations(db, model, levers, distance, observed, population, generations, seed, map_,
                 on_generation) -> History:
    fresh = not Path(db).exists()
    while (done := completed_generations(db)) < generations:
        abc = ABCSMC(model, prior(levers), distance,
                     population_size=ConstantPopulationSize(population),
                     sampler=SeededMappingSampler(map_, seed),
                     eps=QuantileEpsilon(alpha=0.5))
        if fresh:
            abc.new(db_url(db), observed)
            fresh = False
        else:
            abc.load(db_url(db), 1)
        abc.run(max_nr_populations=1)
        if on_generation is not None:
            h = History(db_url(db), _id=1)
            pops = h.get_all_populations()
            row = pops[pops["t"] == done].iloc[0]
            on_generation(done, float(row["epsilon"]), int(row["samples"]), population)
        _INTERRUPTS.check()  # a Ctrl-C that came while the generation was being stored
    return History(db_url(db), _id=1)
