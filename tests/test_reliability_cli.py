"""The command line never destroys data, validates before writing, and tells the truth.

``run`` refuses non-empty directories (``--overwrite`` replaces only a previous run's listed
files); batch and sweep check every option before ``manifest.json`` exists; one writer per
results directory (a lock the OS releases on kill -9); writes are atomic (a full disk leaves
no temporary file); user errors are one line and exit code 2; a sweep whose runs all failed
exits non-zero.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from limitlab.experiments import fileio
from limitlab.experiments.cli import main

SMALL = ["--borrowers", "120", "--months", "6", "--quiet"]
ROOT = os.geteuid() == 0
REPO = Path(__file__).resolve().parent.parent
GRID = """name = "g"
scenario = "baseline"
design = "grid"
[axes]
"lender.review.period_months" = [0, 6]
[set]
"population.borrowers" = 100
months = 4
"""


def one_line_error(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("limitlab: error: "), err
    for f in fragments:
        assert f in lines[0], err
    return lines[0]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def umask_mode(kind: str) -> int:
    return fileio.dir_mode() if kind == "dir" else fileio.file_mode()


# ------------------------------------------------------------------------- run --out
def test_run_refuses_a_non_empty_directory_and_deletes_nothing(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    assert main(["run", "baseline", *SMALL, "--no-figures", "--out", str(out)]) == 2
    one_line_error(capsys, "--out", "not empty", "--overwrite")
    assert tree(out) == {"thesis.tex": b"years of work"}


def test_run_out_dot_deletes_nothing(tmp_path, monkeypatch, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.csv").write_text("1,2")
    before = tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "baseline", *SMALL, "--no-figures", "--out", "."]) == 2
    one_line_error(capsys, "--out: '.'", "not empty")
    assert tree(tmp_path) == before


def test_overwrite_replaces_only_the_previous_runs_listed_files(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "baseline", *SMALL, "--seed", "1", "--figures", "--out", str(out)]) == 0
    man = json.loads((out / "manifest.json").read_text())
    listed = set(man["files"])
    assert {"monthly.parquet", "events.parquet"} <= listed and any(f.startswith("figures/") for f in listed)
    assert listed == {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    (out / "README.txt").write_text("my notes")
    (out / "figures" / "my_sketch.png").write_bytes(b"not ours")
    # without --overwrite: refused, nothing changed
    before = tree(out)
    assert main(["run", "baseline", *SMALL, "--seed", "2", "--out", str(out)]) == 2
    one_line_error(capsys, "not empty")
    assert tree(out) == before
    # with it: the run's files are replaced, a file the new run does not write is removed,
    # every other file is untouched
    assert main(["run", "baseline", *SMALL, "--seed", "2", "--no-events", "--no-figures",
                 "--out", str(out), "--overwrite"]) == 0
    man2 = json.loads((out / "manifest.json").read_text())
    assert man2["seed"] != man["seed"] and "events.parquet" not in man2["files"]
    assert not (out / "events.parquet").exists()
    assert (out / "README.txt").read_text() == "my notes"
    assert (out / "figures" / "my_sketch.png").read_bytes() == b"not ours"
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["my_sketch.png"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_overwrite_refuses_to_replace_files_no_manifest_lists(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "monthly.parquet").write_bytes(b"someone else's table")
    assert main(["run", "baseline", *SMALL, "--no-figures", "--out", str(out), "--overwrite"]) == 2
    one_line_error(capsys, "monthly.parquet")
    assert tree(out) == {"monthly.parquet": b"someone else's table"}
    (out / "manifest.json").write_text('{"note": "not a run"}')
    assert main(["run", "baseline", *SMALL, "--no-figures", "--out", str(out), "--overwrite"]) == 2
    one_line_error(capsys, "manifest.json")


def test_run_and_batch_directories_get_the_umask_default_mode(tmp_path):
    assert main(["run", "baseline", *SMALL, "--no-figures", "--out", str(tmp_path / "run")]) == 0
    assert main(["batch", "baseline", *SMALL, "--replicates", "1", "--workers", "0",
                 "--out", str(tmp_path / "batch")]) == 0
    for d in ("run", "batch"):
        assert (tmp_path / d).stat().st_mode & 0o777 == umask_mode("dir"), d
    for f in [*(tmp_path / "run").rglob("*"), *(tmp_path / "batch").rglob("*")]:
        if f.name == fileio.LOCK_NAME:
            continue
        assert f.stat().st_mode & 0o777 == umask_mode("dir" if f.is_dir() else "file"), f


def test_run_checks_the_output_directory_before_simulating(tmp_path, capsys, monkeypatch):
    (tmp_path / "a_file").write_text("x")
    from limitlab.model import run as run_module

    def never(*a, **k):  # the simulation must not even start
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(run_module, "simulate", never)
    assert main(["run", "baseline", *SMALL, "--out", str(tmp_path / "a_file" / "sub")]) == 2
    one_line_error(capsys, "--out", "not a directory")
    full = fileio.shutil.disk_usage(tmp_path)._replace(free=1024)  # a nearly full disk
    monkeypatch.setattr(fileio.shutil, "disk_usage", lambda p: full)
    assert main(["run", "baseline", *SMALL, "--out", str(tmp_path / "new")]) == 2
    one_line_error(capsys, "MiB free")
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(ROOT, reason="root may write into a read-only directory")
def test_unwritable_output_directory_is_one_line_before_any_work(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        for cmd in (["run", "baseline", *SMALL], ["batch", "baseline", *SMALL, "--workers", "0"]):
            assert main([*cmd, "--out", str(locked / "o")]) == 2, cmd
            one_line_error(capsys, "cannot write")
    finally:
        locked.chmod(0o755)


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "limitlab.experiments.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


# -------------------------------------------------- batch/sweep: validate before writing
@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (["--workers", "-1"], ["--workers: -1"]),
        (["--dask", "bogus"], ["--dask: 'bogus'"]),
        (["--dask", "local:abc"], ["--dask: 'local:abc'"]),
        (["--replicates", "1000000000000"], ["replicates: 1000000000000", "at most"]),
    ],
)
def test_bad_batch_options_are_refused_before_the_manifest(tmp_path, capsys, extra, fragments):
    out = tmp_path / "b"
    base = ["batch", "baseline", *SMALL, "--out", str(out)]
    assert main([*base, "--workers", "0", *extra] if "--workers" not in extra else [*base, *extra]) == 2
    one_line_error(capsys, *fragments)
    assert not out.exists()
    # the corrected command is not refused as "already holds a batch or sweep"
    assert main([*base, "--replicates", "1", "--workers", "0"]) == 0


def write_sweep(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    f = tmp_path / name
    f.write_text(text)
    return f


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ('model = "nosuchmodule:fn"\n', ["model: 'nosuchmodule:fn'", "cannot import"]),
        ('model = "json:nosuchfunction"\n', ["model: 'json:nosuchfunction'", "has no"]),
    ],
)
def test_a_model_that_cannot_be_imported_is_refused_before_the_manifest(tmp_path, capsys, body, fragments):
    f = write_sweep(tmp_path, body + 'design = "grid"\n[axes]\nx1 = [0.0, 1.0]\nx2 = [0.0]\nx3 = [0.0]\n')
    out = tmp_path / "o"
    assert main(["sweep", str(f), "--workers", "0", "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, *fragments)
    assert not out.exists()


@pytest.mark.parametrize(
    ("axes", "fragments"),
    [
        ('"lender.limit_growth" = {low = 0.1, high = 0.5, num = -1}', ["axes.lender.limit_growth.num: -1"]),
        ('"lender.limit_growth" = {low = "a", high = 0.5, num = 3}', ["axes.lender.limit_growth.low: 'a'"]),
        ('"lender.limit_growth" = {low = 0.1, high = 0.5, num = 2.5}', ["num: 2.5"]),
    ],
)
def test_malformed_grid_ranges_are_one_line(tmp_path, capsys, axes, fragments):
    f = write_sweep(tmp_path, f'design = "grid"\n[axes]\n{axes}\n')
    assert main(["sweep", str(f), "--workers", "0", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    one_line_error(capsys, *fragments)
    assert not (tmp_path / "o").exists()


def test_huge_lhs_designs_and_overflowing_integer_bounds_are_refused(tmp_path, capsys):
    f = write_sweep(tmp_path, 'design = "lhs"\nsamples = 10000000000\n[axes]\n'
                              '"lender.limit_growth" = [0.1, 0.5]\n')
    assert main(["sweep", str(f), "--workers", "0", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    one_line_error(capsys, "samples: 10000000000", "at most")
    # an integer axis whose bound overflowed to -2**63 in Design.points ran every run failed
    f = write_sweep(tmp_path, 'design = "lhs"\nsamples = 2\n[axes]\nseed = [0, 1e300]\n'
                              '[set]\n"population.borrowers" = 100\nmonths = 3\n', "seed.toml")
    assert main(["sweep", str(f), "--workers", "0", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    one_line_error(capsys, "axes.seed.high", "outside the schema's range")
    # within the schema's range but not exact in a float: refused as an integer axis
    f = write_sweep(tmp_path, 'design = "lhs"\nsamples = 2\n[axes]\nseed = [0, 1e18]\n'
                              '[set]\n"population.borrowers" = 100\nmonths = 3\n', "seed18.toml")
    assert main(["sweep", str(f), "--workers", "0", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    one_line_error(capsys, "axes.seed.high", "integer axis")
    assert not (tmp_path / "o").exists()


def test_an_axis_given_quoted_and_nested_is_refused(tmp_path, capsys):
    f = write_sweep(tmp_path, 'design = "grid"\n[axes]\n"lender.limit_growth" = [0.1, 0.2]\n'
                              '[axes.lender]\nlimit_growth = [0.3]\n')
    assert main(["sweep", str(f), "--workers", "0", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    one_line_error(capsys, "lender.limit_growth", "given twice")


def test_binary_manifest_with_resume_is_one_line(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "manifest.json").write_bytes(bytes(range(256)))
    assert main(["sweep", str(write_sweep(tmp_path, GRID)), "--workers", "0", "--out", str(out),
                 "--quiet", "--resume"]) == 2
    one_line_error(capsys, "manifest.json", "cannot resume")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


# ------------------------------------------------------------ every run failed: not 0
def test_a_sweep_whose_runs_all_fail_exits_non_zero_even_quiet(tmp_path, capsys):
    # each value passes alone; every combination breaks min_limit <= initial_limit
    f = write_sweep(tmp_path, 'design = "grid"\n[axes]\n"lender.min_limit" = [1800.0, 1900.0]\n'
                              '"lender.initial_limit" = [1000.0, 1500.0]\n'
                              '[set]\n"population.borrowers" = 100\nmonths = 3\n')
    assert main(["sweep", str(f), "--workers", "0", "--out", str(tmp_path / "o"), "--quiet"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "all 4 runs failed" in lines[0] and "min_limit" in lines[0], captured.err
    assert captured.out == ""
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    assert len(runs) == 4 and (runs["status"] == "failed").all()


# ------------------------------------------------------------ one writer per directory
SLOW = """name = "slow"
model = "tests.test_reliability_cli:slow_ishigami"
design = "grid"
[axes]
x1 = [0.0, 1.0, 2.0]
x2 = [0.0, 1.0]
x3 = [0.0, 1.0]
"""
SLOW_ENV = "LIMITLAB_TEST_SLOW_MODEL"


def slow_ishigami(task):
    """Ishigami, 0.3 s per run in a process started with LIMITLAB_TEST_SLOW_MODEL set
    (the sweep that holds the lock), instant elsewhere (the resume that finishes it)."""
    from limitlab.experiments.sweep import ishigami

    if os.environ.get(SLOW_ENV):
        time.sleep(0.3)
    return ishigami(task)


def test_a_second_writer_is_refused_and_kill_9_releases_the_lock(tmp_path, capsys):
    sweep = write_sweep(tmp_path, SLOW)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "limitlab.experiments.cli", "sweep", str(sweep), "--workers", "0",
         "--out", str(out), "--quiet"],
        cwd=REPO, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, SLOW_ENV: "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while not (out / "design.parquet").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode()
        # a --resume while the sweep runs is refused (so is a fresh start), twice
        for _ in range(2):
            assert main(["sweep", str(sweep), "--workers", "0", "--out", str(out), "--quiet", "--resume"]) == 2
            one_line_error(capsys, "another limitlab process")
        assert main(["sweep", str(sweep), "--workers", "0", "--out", str(out), "--quiet"]) == 2
        one_line_error(capsys, "already holds a batch or sweep")
        # a live writer's temporary file survives another process's cleanup
        live = out / f".x.parquet{fileio.TMP_MARK}{proc.pid}-0000"
        live.write_bytes(b"in flight")
        assert fileio.remove_stale_temporaries(out) == 0 and live.exists()
        live.unlink()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the sweep should have been killed partway"
    # the OS released the lock with the process: --resume finishes the sweep
    assert main(["sweep", str(sweep), "--workers", "0", "--out", str(out), "--quiet", "--resume"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 12 and (runs["status"] == "ok").all()


# ------------------------------------------------------------------- report and risk
@pytest.fixture(scope="module")
def batch3(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("batch3") / "b"
    assert main(["batch", "baseline", "--replicates", "3", "--borrowers", "100", "--months", "6",
                 "--workers", "0", "--out", str(out), "--quiet"]) == 0
    return out


def copy_of(src: Path, tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("dpi", ["0", "-5", "100000"])
def test_report_bad_dpi_is_one_line_and_writes_nothing(batch3, tmp_path, capsys, dpi):
    d = copy_of(batch3, tmp_path)
    before = tree(d)
    assert main(["report", str(d), f"--dpi={dpi}"]) == 2
    one_line_error(capsys, f"--dpi: {dpi}")
    assert tree(d) == before and not (d / "figures").exists()


def test_report_risk_and_batch_into_an_unwritable_place_are_one_line(batch3, tmp_path, capsys):
    (tmp_path / "f").write_text("a file")
    assert main(["report", str(batch3), "--out", str(tmp_path / "f" / "report.html")]) == 2
    one_line_error(capsys, "--out", "not a directory")
    assert main(["risk", str(batch3), "--out", str(tmp_path / "f" / "risk")]) == 2
    one_line_error(capsys, "--out", "not a directory")
    assert main(["batch", "baseline", *SMALL, "--workers", "0", "--out", str(tmp_path / "f" / "b")]) == 2
    one_line_error(capsys, "--out", "not a directory")
    assert (tmp_path / "f").read_text() == "a file" and not list(batch3.glob("risk*"))


def test_report_never_replaces_a_file_it_did_not_write_unasked(batch3, tmp_path, capsys):
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my notes</p>")
    assert main(["report", str(batch3), "--dpi", "20", "--out", str(notes)]) == 2
    one_line_error(capsys, "--out", "not a limitlab report", "--overwrite")
    assert notes.read_text() == "<p>my notes</p>" and not (tmp_path / "figures").exists()
    # a figure of the same name as the user's, beside a new report: refused too
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "portfolio.png").write_bytes(b"my chart")
    assert main(["report", str(batch3), "--dpi", "20", "--out", str(tmp_path / "r.html")]) == 2
    one_line_error(capsys, "portfolio.png", "--overwrite")
    assert (tmp_path / "figures" / "portfolio.png").read_bytes() == b"my chart"
    assert not (tmp_path / "r.html").exists()
    # asked: replaced; a previous report is replaced without asking
    assert main(["report", str(batch3), "--dpi", "20", "--out", str(notes), "--overwrite"]) == 0
    assert main(["report", str(batch3), "--dpi", "20", "--out", str(notes)]) == 0
    assert (tmp_path / "figures" / "portfolio.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("damage", ["truncate_runs", "empty_partition", "truncate_partition"])
def test_report_and_risk_name_a_damaged_parquet_file(batch3, tmp_path, capsys, damage):
    d = copy_of(batch3, tmp_path)
    part = d / "monthly" / "run_id=p0000-r0001" / "part-0.parquet"
    if damage == "truncate_runs":
        bad = d / "runs.parquet"
        bad.write_bytes(bad.read_bytes()[:200])
    elif damage == "empty_partition":
        bad = part
        bad.write_bytes(b"")
    else:
        bad = part
        bad.write_bytes(bad.read_bytes()[:-30])
    assert main(["report", str(d)]) == 2
    one_line_error(capsys, str(bad), "not a readable Parquet file")
    assert not (d / "report.html").exists() and not (d / "figures").exists()
    if damage == "truncate_runs":
        assert main(["risk", str(d)]) == 2
        one_line_error(capsys, str(bad), "not a readable Parquet file")
        assert not (d / "risk.json").exists()


def test_report_says_how_many_runs_its_figures_draw(batch3, tmp_path, capsys):
    d = copy_of(batch3, tmp_path)
    import shutil

    shutil.rmtree(d / "monthly" / "run_id=p0000-r0002")
    assert main(["report", str(d), "--dpi", "20"]) == 0
    page = (d / "report.html").read_text()
    assert "3 replicates of scenario" in page
    assert "The figures over time draw 2 of the 3 replicates" in page


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--seed", "-1"], ["--seed: -1"]),
        (["--resamples", "10000000000"], ["--resamples: 10000000000"]),
        (["--resamples", "0"], ["--resamples: 0"]),
    ],
)
def test_risk_bad_options_are_one_line(batch3, tmp_path, capsys, args, fragments):
    d = copy_of(batch3, tmp_path)
    before = tree(d)
    assert main(["risk", str(d), *args]) == 2
    one_line_error(capsys, *fragments)
    assert tree(d) == before


def test_risk_never_replaces_a_file_or_a_previous_analysis_unasked(batch3, tmp_path, capsys):
    d = copy_of(batch3, tmp_path)
    target = tmp_path / "existing.txt"
    target.write_text("mine")
    assert main(["risk", str(d), "--resamples", "50", "--out", str(target)]) == 2
    one_line_error(capsys, "--out", "not a directory")
    assert target.read_text() == "mine"
    assert main(["risk", str(d), "--resamples", "50", "--overwrite", "--out", str(target)]) == 2
    one_line_error(capsys, "--out", "not a directory")
    assert target.read_text() == "mine"
    assert main(["risk", str(d), "--resamples", "50"]) == 0
    first = (d / "risk.json").read_bytes()
    capsys.readouterr()
    assert main(["risk", str(d), "--resamples", "60"]) == 2
    one_line_error(capsys, "already holds risk.json", "--overwrite")
    assert (d / "risk.json").read_bytes() == first
    assert main(["risk", str(d), "--resamples", "60", "--overwrite"]) == 0
    assert json.loads((d / "risk.json").read_text())["bootstrap"]["resamples"] == 60
    assert not list(d.glob(f".*{fileio.TMP_MARK}*"))


# ------------------------------------------------------------------------ full disk
def full_disk_after(monkeypatch, n_writes: int) -> None:
    """Every atomic write after the first ``n_writes`` fails half-way with ENOSPC."""
    real = os.fdopen
    count = {"n": 0}

    class HalfWritten:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(fd, *args, **kwargs):
        fh = real(fd, *args, **kwargs)
        count["n"] += 1
        return fh if count["n"] <= n_writes else HalfWritten(fh)

    monkeypatch.setattr(fileio.os, "fdopen", fdopen)


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if fileio.TMP_MARK in p.name]


@pytest.mark.parametrize("n_writes", [0, 2, 9])
def test_a_sweep_on_a_full_disk_is_one_line_and_leaves_no_temporaries(tmp_path, capsys, monkeypatch, n_writes):
    sweep = write_sweep(tmp_path, GRID)
    out = tmp_path / "o"
    full_disk_after(monkeypatch, n_writes)
    assert main(["sweep", str(sweep), "--workers", "0", "--out", str(out), "--quiet"]) == 1
    one_line_error(capsys, "no space left on device")
    assert not leftovers(tmp_path)
    monkeypatch.undo()
    # space freed: the interrupted sweep finishes (or starts, if not even its manifest was written)
    resume = ["--resume"] if (out / "manifest.json").exists() else []
    assert main(["sweep", str(sweep), "--workers", "0", "--out", str(out), "--quiet", *resume]) == 0
    assert len(pd.read_parquet(out / "runs.parquet")) == 2


def test_risk_on_a_full_disk_writes_nothing(batch3, tmp_path, capsys, monkeypatch):
    d = copy_of(batch3, tmp_path)
    full_disk_after(monkeypatch, 1)
    assert main(["risk", str(d), "--resamples", "50"]) == 1
    one_line_error(capsys, "no space left on device")
    assert not leftovers(d)


def test_a_run_on_a_full_disk_leaves_nothing(tmp_path, capsys, monkeypatch):
    from limitlab.experiments import outputs

    real = outputs.write_parquet
    calls = {"n": 0}

    def write_parquet(df, path):
        calls["n"] += 1
        if calls["n"] > 2:
            Path(path).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(df, path)

    monkeypatch.setattr(outputs, "write_parquet", write_parquet)
    assert main(["run", "baseline", *SMALL, "--no-figures", "--out", str(tmp_path / "r")]) == 1
    one_line_error(capsys, "no space left on device")
    assert list(tmp_path.iterdir()) == []
