"""Several runs per worker task: how many, and that results do not depend on it."""

from __future__ import annotations

import pandas as pd
from limitlab.experiments.sweep import Design, _runs_per_task, run_design

from tests.test_sweep import same_outputs

SMALL = {"population.borrowers": 150, "months": 10}


def small_batch(runs: int = 6) -> Design:
    return Design.batch("baseline", runs, SMALL, name="chunks")


def test_a_task_holds_a_few_seconds_of_runs_and_every_slot_gets_two_tasks():
    design = Design.batch("baseline", 200, {"population.borrowers": 2000, "months": 60}, name="b")
    base, points = design.base_config(), design.points()
    per_task = _runs_per_task(points, base, 200, 2)
    assert 5 <= per_task <= 50  # ~0.1 s runs: tens of them make a few seconds
    assert _runs_per_task(points, base, 8, 2) == 2  # at least two tasks per slot
    big = Design.batch("baseline", 10, {"population.borrowers": 100_000, "months": 120}, name="b")
    assert _runs_per_task(big.points(), big.base_config(), 10, 2) == 1
    # an axis that grows the book sizes the tasks by its largest value
    grid = Design.from_dict({"name": "g", "scenario": "baseline", "design": "grid", "replicates": 50,
                             "axes": {"population.borrowers": [1000, 200_000]}}, overrides={"months": 60})
    assert _runs_per_task(grid.points(), grid.base_config(), 100, 2) == 1


def test_results_do_not_depend_on_runs_per_task(tmp_path):
    alone = run_design(small_batch(), tmp_path / "alone", workers=0, progress=False)
    assert alone.stats["runs_per_task"] == 1
    packed = run_design(small_batch(), tmp_path / "packed", workers=2, runs_per_task=4,
                        progress=False, shuffle=3)
    assert packed.stats["runs_per_task"] == 4
    same_outputs(alone.path, packed.path)
    assert len(pd.read_parquet(packed.path / "timings.parquet")) == 6
