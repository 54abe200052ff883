"""Writing a run's outputs: Parquet tables, ``manifest.json`` and figures, atomically.

A run directory is written into a temporary sibling and renamed into place at the end, so a
crash never leaves a half-written run behind.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from limitlab.model.run import RunResult

PACKAGES = ("limitlab", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "matplotlib", "SALib")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        res = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if res.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        ).stdout.strip()
        return res.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def write_parquet(df: pd.DataFrame | pa.Table, path: Path) -> None:
    """Deterministic Parquet (no pandas index, fixed compression) for byte-identical reruns."""
    table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    # row groups of 256 Ki rows: a run's millions of events are encoded a quarter of the
    # default's rows at a time (peak memory), and readers still scan few groups
    pq.write_table(table, path, compression="zstd", row_group_size=1 << 18)


def manifest(result: RunResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "scenario": result.config.name,
        "config": result.config.to_dict(),
        "config_hash": result.config.config_hash(),
        "seed": result.seed,
        "versions": versions(),
        "git_commit": git_commit(),
        "wall_seconds": round(result.wall_seconds, 3),
        "command": " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:]),
        "summary": result.summary,
        **(extra or {}),
    }


def write_run(result: RunResult, out_dir: str | Path, *, figures: bool = True,
              extra: dict[str, Any] | None = None) -> Path:
    """Write every table of ``result`` to ``out_dir`` (replacing it atomically)."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, df in result.tables.items():
            write_parquet(df, tmp / f"{name}.parquet")
        if figures:
            from limitlab.experiments import run_figures

            run_figures.write_run_figures(result.tables, tmp / "figures")
        (tmp / "manifest.json").write_text(json.dumps(manifest(result, extra), indent=2, default=str))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
