"""The command line never destroys data, validates before writing, and tells the truth.

``run`` refuses non-empty directories (``--overwrite`` replaces only a previous run's listed
files); batch and sweep check every option before ``manifest.json`` exists; one writer per
results directory (a lock the OS releases on kill -9); writes are atomic (a full disk leaves
no temporary file); user errors are one line and exit code 2; a sweep whose runs all failed
exits non-zero.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from limitlab.experiments import fileio
from limitlab.experiments.cli import main

SMALL = ["--borrowers", "120", "--months", "6", "--quiet"]
ROOT = os.geteuid() == 0


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


def test_run_out_dot_deletes_nothing(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.csv").write_text("1,2")
    before = tree(tmp_path)
    res = subprocess.run([sys.executable, "-m", "limitlab.experiments.cli", "run", "baseline",
                          *SMALL, "--no-figures", "--out", "."], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert tree(tmp_path) == before


def test_overwrite_replaces_only_the_previous_runs_listed_files(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "baseline", *SMALL, "--seed", "1", "--out", str(out)]) == 0
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
    assert main(["run", "baseline", *SMALL, "--out", str(tmp_path / "run")]) == 0
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
