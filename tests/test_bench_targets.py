"""Benchmarks of what users run, whole processes where it matters (docs/performance.md's table).

- ``limitlab --help``: median of 10 whole processes;
- ``limitlab run baseline --borrowers 10000 --months 120`` (every default output) against the
  plain-Mesa speed reference ``plain_mesa.py --n 10000 --months 120``, interleaved, with what
  the imports alone cost each;
- a batch of 200 runs x 2,000 borrowers x 60 months on 2 workers, end to end with its files;
- the monthly loop at 1,000 x 120 and, against an earlier source tree, at 100,000 x 120
  (interleaved, ratio of medians);
- the stretch: runs x 10,000 borrowers x 100 months on 2 workers (1,000 runs unless
  ``LIMITLAB_BENCH_STRETCH_RUNS`` says fewer).

Environment: ``LIMITLAB_PLAIN_MESA`` (path of plain_mesa.py; default ``../shared/bench/``
beside the repository), ``LIMITLAB_BENCH_BEFORE`` (a directory holding an earlier source tree's
``limitlab`` package: its ``__init__.py`` with ``agents``, ``model`` and ``experiments``
beside it), ``LIMITLAB_BENCH_REPEATS`` (default 5). A comparison whose input is missing is
skipped. Marked ``benchmark``: excluded from ``make test``; they print what they measure.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parent.parent
REPEATS = int(os.environ.get("LIMITLAB_BENCH_REPEATS", "5"))
PLAIN_MESA = Path(os.environ.get("LIMITLAB_PLAIN_MESA", ROOT.parent / "shared" / "bench" / "plain_mesa.py"))
LIMITLAB = [sys.executable, "-m", "limitlab.experiments.cli"]


def wall(cmd: list[str], **kw) -> float:
    return timed(cmd, **kw)[0]


def timed(cmd: list[str], **kw) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of a command. The CPU time counts the
    process and the processes it waited for; a process pool's workers are forked by a fork
    server nobody waits for, so a batch on workers shows only its main process's CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def load() -> str:
    return "load average " + " / ".join(f"{x:.1f}" for x in os.getloadavg())


def verdict(met: bool) -> str:
    return "target met" if met else "target NOT met"


def interleaved(ways: dict[str, callable], repeats: int) -> dict[str, list[float]]:
    """Each way once per repetition, the order rotating, so load drifts hit all alike."""
    names = list(ways)
    times: dict[str, list[float]] = {k: [] for k in names}
    for rep in range(repeats):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            times[name].append(ways[name]())
    return times


def show(label: str, values: list[float]) -> float:
    med = statistics.median(values)
    print(f"  {label:48s} median {med:7.3f} s  (all: {[round(v, 3) for v in values]})", flush=True)
    return med


def test_help_median_of_ten_processes():
    times = [wall([*LIMITLAB, "--help"]) for _ in range(10)]
    times_run = [wall([*LIMITLAB, "run", "--help"]) for _ in range(10)]
    print()
    med = show("limitlab --help", times)
    med_run = show("limitlab run --help", times_run)
    assert med < 0.3 and med_run < 0.3


@pytest.mark.skipif(not PLAIN_MESA.exists(), reason=f"no plain-Mesa reference at {PLAIN_MESA}")
def test_limitlab_run_10k_against_plain_mesa(tmp_path):
    """Whole processes, interleaved: ``limitlab run`` as shipped (the baseline's burn-in: 240
    months simulated, 120 reported) and with ``--set burn_in_months=0`` (the 120 months plain
    Mesa simulates), plain Mesa, and the imports alone. Wall and CPU (user + system) time:
    on a loaded machine the CPU time is the steadier."""
    counter = iter(range(10**6))
    imports = ("import limitlab.model.run, limitlab.experiments.outputs, limitlab.experiments.catalog")
    run = [*LIMITLAB, "run", "baseline", "--borrowers", "10000", "--months", "120", "--quiet"]
    ways = {
        "limitlab run": lambda: timed([*run, "--out", str(tmp_path / f"r{next(counter)}")]),
        "limitlab run, burn_in_months=0": lambda: timed(
            [*run, "--set", "burn_in_months=0", "--out", str(tmp_path / f"r{next(counter)}")]),
        "plain_mesa.py": lambda: timed([sys.executable, str(PLAIN_MESA), "--n", "10000", "--months", "120"]),
        "python -c 'import limitlab...' (run's imports)": lambda: timed([sys.executable, "-c", imports]),
        "python -c 'import mesa'": lambda: timed([sys.executable, "-c", "import mesa"]),
    }
    times = interleaved(ways, REPEATS)
    print(f"\nlimitlab run 10,000 x 120 (every default output) vs plain Mesa, {REPEATS} interleaved rounds")
    for unit, k in (("wall", 0), ("CPU", 1)):
        med = {name: show(f"{name} ({unit})", [v[k] for v in values]) for name, values in times.items()}
        for way in ("limitlab run", "limitlab run, burn_in_months=0"):
            pairs = [p[k] / r[k] for p, r in zip(times["plain_mesa.py"], times[way])]
            ratio = med["plain_mesa.py"] / med[way]
            print(f"  {unit}: plain / {way}: {ratio:.2f}x by medians, pairwise "
                  f"{[round(x, 2) for x in pairs]} (target >= 3x: {verdict(ratio >= 3)})")
    print(f"  ({load()})")
    files = sorted(p.name for p in (tmp_path / "r0").iterdir())
    assert "events.parquet" in files and "borrowers.parquet" in files


def test_batch_200_runs_on_two_workers(tmp_path):
    runs, borrowers, months = 200, 2000, 60
    times = []
    for rep in range(max(1, REPEATS // 2)):
        out = tmp_path / f"b{rep}"
        times.append(wall([*LIMITLAB, "batch", "baseline", "--replicates", str(runs), "--borrowers",
                           str(borrowers), "--months", str(months), "--workers", "2", "--quiet",
                           "--out", str(out)]))
        assert (out / "runs.parquet").exists() and len(list(out.glob("monthly/run_id=*"))) == runs
        shutil.rmtree(out)
    print(f"\nbatch {runs} x {borrowers:,} x {months} on 2 workers, whole process with its files")
    med = show("limitlab batch", times)
    rate = runs * borrowers * months / med / 1e6
    print(f"  -> {rate:.2f} M borrower-months/s (target >= 3: {verdict(rate >= 3)}; {load()})")


def test_batch_cpu_per_run_in_one_process(tmp_path):
    """What a run of the 200-run batch costs in CPU, whatever the load: the same batch in
    one process (``--workers 0``) at 10 and 40 runs, the difference over 30 runs (the start,
    imports included, cancels). Two workers on two idle cores could at best run two runs per
    that CPU time, so this bounds the batch's rate on this machine from above."""
    cpu = {}
    for runs in (10, 40):
        out = tmp_path / f"r{runs}"
        cpu[runs] = timed([*LIMITLAB, "batch", "baseline", "--replicates", str(runs), "--borrowers",
                           "2000", "--months", "60", "--workers", "0", "--quiet", "--out", str(out)])[1]
    per_run = (cpu[40] - cpu[10]) / 30
    ceiling = 2 * 2000 * 60 / per_run / 1e6
    print(f"\nbatch of 2,000 x 60 runs in one process: {per_run * 1e3:.0f} ms CPU a run (start "
          f"included: {cpu[10]:.1f} s for 10 runs, {cpu[40]:.1f} s for 40); two workers on two idle "
          f"cores: at most {ceiling:.2f} M borrower-months/s (target >= 3: "
          f"{verdict(ceiling >= 3)}; {load()})")


def _loop_seconds(borrowers: int, months: int, before: Path | None) -> float:
    """CPU seconds of the monthly loop in a fresh process (after a small warm-up run), from
    this tree or from the earlier one in ``before``."""
    prelude = ""
    if before is not None:
        prelude = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
                   f"repr(f).lower()]; sys.path.insert(0, {str(before)!r}); ")
    # CPU time of the loop (process_time): other jobs on a shared machine disturb it far
    # less than wall time
    code = (prelude + "import time; from limitlab.experiments.cmd_run import bench_once; "
            f"bench_once(1000, 3); cpu = time.process_time(); bench_once({borrowers}, {months}); "
            "print(time.process_time() - cpu)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.split()[-1])


BEFORE = os.environ.get("LIMITLAB_BENCH_BEFORE")


@pytest.mark.skipif(not BEFORE, reason="LIMITLAB_BENCH_BEFORE not set")
@pytest.mark.parametrize("borrowers", [100_000, 1_000])
def test_monthly_loop_against_an_earlier_tree(borrowers):
    months = 120
    before = Path(BEFORE)
    ways = {"this tree": lambda: _loop_seconds(borrowers, months, None),
            "earlier tree": lambda: _loop_seconds(borrowers, months, before)}
    times = interleaved(ways, REPEATS)
    print(f"\nmonthly loop {borrowers:,} x {months}, CPU time, {REPEATS} interleaved rounds, fresh processes "
          f"({load()})")
    med = {k: show(k, v) for k, v in times.items()}
    for k, m in med.items():
        rate = borrowers * months / m / 1e6
        print(f"  {k}: {rate:.2f} M borrower-months/s"
              + (f" (target >= 2: {verdict(rate >= 2)})" if borrowers == 1_000 else ""))
    print(f"  this / earlier time: {med['this tree'] / med['earlier tree']:.3f} by medians"
          + (f" (no slower: {verdict(med['this tree'] <= med['earlier tree'] * 1.02)})"
             if borrowers == 100_000 else ""))


@pytest.mark.skipif(not BEFORE, reason="LIMITLAB_BENCH_BEFORE not set")
def test_batch_against_an_earlier_tree(tmp_path):
    """The 2,000 x 60 batch on 2 workers, this tree and the earlier one interleaved
    (``LIMITLAB_BENCH_BATCH_RUNS`` runs, default 200): the earlier tree is imported through
    PYTHONPATH from a directory outside the repository, so its workers import it too."""
    runs = int(os.environ.get("LIMITLAB_BENCH_BATCH_RUNS", "200"))
    counter = iter(range(10**6))

    def batch(env: dict[str, str]) -> float:
        out = tmp_path / f"b{next(counter)}"
        seconds = wall([*LIMITLAB, "batch", "baseline", "--replicates", str(runs), "--borrowers", "2000",
                        "--months", "60", "--workers", "2", "--quiet", "--out", str(out)],
                       cwd=tmp_path, env={**os.environ, **env})
        shutil.rmtree(out)
        return seconds

    ways = {"this tree": lambda: batch({}), "earlier tree": lambda: batch({"PYTHONPATH": BEFORE})}
    times = interleaved(ways, max(2, REPEATS // 2))
    print(f"\nbatch {runs} x 2,000 x 60 on 2 workers, whole process, interleaved")
    med = {k: show(k, v) for k, v in times.items()}
    for k, m in med.items():
        print(f"  {k}: {runs * 2000 * 60 / m / 1e6:.2f} M borrower-months/s")
    print(f"  earlier / this time: {med['earlier tree'] / med['this tree']:.2f}x by medians")


def test_stretch_runs_of_10k_by_100_months(tmp_path):
    runs = int(os.environ.get("LIMITLAB_BENCH_STRETCH_RUNS", "1000"))
    out = tmp_path / "stretch"
    seconds = wall([*LIMITLAB, "batch", "baseline", "--replicates", str(runs), "--borrowers", "10000",
                    "--months", "100", "--workers", "2", "--quiet", "--out", str(out)])
    whole = 1e9 / (runs * 10_000 * 100 / seconds)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"]["ok"] == runs
    bm = runs * 10_000 * 100
    print(f"\nstretch: {runs} runs x 10,000 x 100 on 2 workers, whole process with runs.parquet and "
          f"per-run tables: {seconds:.1f} s -> {bm / seconds / 1e6:.2f} M borrower-months/s; "
          f"1,000 runs at that rate: {whole:.0f} s (aim < 120 s: {verdict(whole < 120)}; {load()})")
