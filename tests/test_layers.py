"""The package's shape: layers that hold, and a wheel with only ``limitlab/...`` packages.

The repository keeps the folders ``model/``, ``agents/`` and ``experiments/`` at its top and
installs them as ``limitlab.model``, ``limitlab.agents`` and ``limitlab.experiments``. import-linter
reads a package from disk, so the check lays the sources out as installed (a copy of the ``.py``
files) and runs the contracts of ``pyproject.toml`` over that copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("agents", "model", "experiments")


def _installed_layout(dest: Path) -> Path:
    pkg = dest / "limitlab"
    shutil.copytree(ROOT / "limitlab", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for layer in LAYERS:
        shutil.copytree(ROOT / layer, pkg / layer,
                        ignore=shutil.ignore_patterns("__pycache__", "*.toml", "*.pyc"))
    return dest


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(exe), str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def test_import_contracts_hold(tmp_path):
    """experiments -> model -> agents with no way back, and no cycle inside a layer."""
    res = _lint_imports(_installed_layout(tmp_path))
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


def test_import_contracts_catch_a_back_edge(tmp_path):
    """The check can fail: an import of the experiments layer from agents/ breaks it."""
    tree = _installed_layout(tmp_path)
    bad = tree / "limitlab" / "agents" / "zz_back_edge.py"
    bad.write_text("from limitlab.experiments import cli  # noqa: F401\n")
    res = _lint_imports(tree)
    assert res.returncode != 0
    assert "BROKEN" in res.stdout


def test_wheel_installs_only_the_limitlab_package(tmp_path):
    """A wheel built from the repository holds ``limitlab/...`` and its metadata, nothing else
    (no top-level ``model``, ``agents`` or ``experiments`` to collide with other packages)."""
    src = tmp_path / "src"  # a copy, so that the build leaves nothing in the repository
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".assets", "results", "__pycache__", "*.egg-info", "build", ".*cache"))
    res = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
         str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=300,
    )
    if res.returncode != 0:
        pytest.fail(res.stdout[-2000:] + res.stderr[-2000:])
    wheel = next((tmp_path / "dist").glob("limitlab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"limitlab", next(t for t in tops if t.endswith(".dist-info"))}, tops
    for layer in LAYERS:  # every package of the source tree is in the wheel
        for init in (ROOT / layer).rglob("__init__.py"):
            assert f"limitlab/{init.relative_to(ROOT).as_posix()}" in names, init
    assert "limitlab/experiments/scenarios/baseline.toml" in names
    for lang in ("en", "zh"):  # the message catalogues are read at run time
        assert f"limitlab/experiments/locale/{lang}/LC_MESSAGES/limitlab.po" in names
