"""Writing a run's outputs: Parquet tables, ``manifest.json`` and figures, atomically.

A run directory is written into a temporary directory and moved into place at the end, so a
crash never leaves a half-written run behind; an existing directory is written only when it is
empty, or with ``overwrite`` (then only the files a previous run's manifest lists are replaced).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from limitlab.model.config import ConfigError
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


def _previous_run_files(out: Path) -> set[str]:
    """Files (relative paths) a previous ``limitlab run`` wrote into ``out``, from its manifest.

    Raises:
        ConfigError: ``out`` holds a ``manifest.json`` that is not a run's file listing.
    """
    f = out / "manifest.json"
    if not f.exists():
        return set()
    try:
        old = json.loads(f.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        old = None
    files = old.get("files") if isinstance(old, dict) else None
    if not isinstance(files, list) or not all(isinstance(x, str) for x in files):
        raise ConfigError(f"--overwrite: {str(f)!r} is not the manifest of a limitlab run listing "
                          "the files it wrote; nothing replaced — remove the directory yourself "
                          "or choose another --out")
    safe = {x for x in files if x and not Path(x).is_absolute() and ".." not in Path(x).parts}
    return safe | {"manifest.json"}


def check_run_out(out: str | Path, *, overwrite: bool = False) -> None:
    """Refuse an output directory ``limitlab run`` may not write, before the simulation.

    ``out`` must be absent or an empty directory; with ``overwrite`` it may hold a previous
    run (whose manifest lists its files) and other files, which are never touched.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {str(out)!r} — exists and is not a directory; give a directory")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise ConfigError(f"--out: {str(out)!r} — directory is not empty; give a new or empty "
                              "directory, or --overwrite to replace a previous run's files there")
        _previous_run_files(out)
    from limitlab.experiments.fileio import check_output_dir

    check_output_dir(out)


def _listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def write_run(result: RunResult, out_dir: str | Path, *, figures: bool = True,
              extra: dict[str, Any] | None = None, overwrite: bool = False) -> Path:
    """Write every table of ``result`` to ``out_dir``; ``manifest.json`` lists the files.

    ``out_dir`` must be absent or empty (:class:`ConfigError` otherwise) unless ``overwrite``,
    which replaces only the files a previous run's manifest lists and never touches any other
    file. Everything is written into a temporary directory first; a new directory is renamed
    into place, an existing one receives the files one ``os.replace`` at a time, the manifest
    last. On any error (a full disk) the temporary directory is removed.
    """
    from limitlab.experiments.fileio import dir_mode, temporary_directory

    out = Path(out_dir)
    check_run_out(out, overwrite=overwrite)
    previous = _previous_run_files(out) if out.is_dir() else set()
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    fresh = not out.exists()
    with temporary_directory(out.parent if fresh else out, out.name if fresh else "run") as tmp:
        for name, df in result.tables.items():
            write_parquet(df, tmp / f"{name}.parquet")
        if figures:
            from limitlab.experiments import run_figures

            run_figures.write_run_figures(result.tables, tmp / "figures")
        files = _listing(tmp)
        doc = manifest(result, {**(extra or {}), "files": files})
        (tmp / "manifest.json").write_text(json.dumps(doc, indent=2, default=str))
        if fresh:
            os.replace(tmp, out)
            return out
        clash = [f for f in files if (out / f).exists() and f not in previous]
        if clash:
            raise ConfigError(f"--out: {str(out)!r} — would replace {clash[0]!r}, which no previous "
                              "run's manifest lists; nothing replaced — choose another --out")
        # the old manifest goes first: a crash in between leaves no listing of mixed files
        with contextlib.suppress(FileNotFoundError):
            (out / "manifest.json").unlink()
        for f in files:
            (out / f).parent.mkdir(mode=dir_mode(), parents=True, exist_ok=True)
            os.replace(tmp / f, out / f)
        for f in sorted(previous - set(files) - {"manifest.json"}):
            with contextlib.suppress(FileNotFoundError):
                (out / f).unlink()
            parent = (out / f).parent
            if parent != out:
                with contextlib.suppress(OSError):
                    parent.rmdir()  # only when empty
        os.replace(tmp / "manifest.json", out / "manifest.json")
    return out


def compiled_kernels_cached() -> bool:
    """Whether numba's on-disk cache of the model's compiled kernels exists (an index file
    under ``NUMBA_CACHE_DIR`` when that is set, else beside the agents package's modules)."""
    import limitlab.agents

    custom = os.environ.get("NUMBA_CACHE_DIR")
    root = Path(custom) if custom else Path(limitlab.agents.__file__).parent
    return root.is_dir() and next(root.rglob("*.nbi"), None) is not None


def say_if_compiling(quiet: bool) -> None:
    """Tell the user why the first run on a machine waits (the kernels compile once, then
    load from the cache)."""
    if not quiet and not compiled_kernels_cached():
        print("compiling the model's kernels (once per installation; 10 s to a minute)...",
              file=sys.stderr, flush=True)
