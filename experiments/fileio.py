"""Safe file handling for the command line: atomic writes, a directory lock, and checks that
an output location is writable and has room, made before anything is written.

- :func:`atomic_write_bytes` / :func:`atomic_write_text` write to a temporary file beside the
  target and ``os.replace`` it into place; on any error the temporary file is removed. Files
  get the umask-default mode (``0o666 & ~umask``), as ``open()`` would give them.
- Temporary names are ``.<name>.tmp-<pid>-<random>``: :func:`remove_stale_temporaries`
  deletes only those of processes that no longer run, never another live writer's.
- :func:`directory_lock` holds ``fcntl.flock`` on ``<dir>/.lock``: a second writer is refused
  with a :class:`ConfigError`; the operating system releases the lock when the holder exits,
  even on ``kill -9``.
- :func:`check_writable` and :func:`check_free_space` raise :class:`ConfigError` (one line,
  exit code 2) before any work starts.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from limitlab.model.config import ConfigError

TMP_MARK = ".tmp-"  # temporary files start with "." and contain this, then "<pid>-"
LOCK_NAME = ".lock"
#: an output location with less free space than this is refused before any work starts
MIN_FREE_BYTES = 16 * 1024 * 1024
_TMP_PID = re.compile(re.escape(TMP_MARK) + r"(\d+)(?:-|$)")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of a new file under the current umask (what ``open(..., "w")`` gives)."""
    return 0o666 & ~_umask()


def dir_mode() -> int:
    """Mode of a new directory under the current umask (what ``mkdir`` gives)."""
    return 0o777 & ~_umask()


def temp_name(path: Path) -> Path:
    """A temporary sibling of ``path`` named for this process (see :func:`pid_of_temporary`)."""
    return path.parent / f".{path.name}{TMP_MARK}{os.getpid()}-{os.urandom(4).hex()}"


def pid_of_temporary(name: str) -> int | None:
    """The process id in a temporary name written by this module, else None."""
    m = _TMP_PID.search(name)
    return int(m.group(1)) if m and name.startswith(".") else None


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``; nothing is left
    behind on error (a full disk included)."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def temporary_directory(parent: Path, name: str) -> Iterator[Path]:
    """A fresh hidden directory in ``parent`` (umask-default mode), removed on error.

    The caller moves its contents (or the directory itself) into place; whatever is left at
    the end is removed.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}{TMP_MARK}{os.getpid()}-", dir=parent))
    try:
        os.chmod(tmp, dir_mode())  # mkdtemp makes it 0700
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_stale_temporaries(root: Path, depth: int = 3) -> int:
    """Delete temporary files and directories under ``root`` (down to ``depth`` levels) left
    by writers that no longer run; a live process's temporaries are never touched."""
    n = 0
    patterns = [f".*{TMP_MARK}*"]
    for level in range(1, depth):
        patterns.append("*/" * level + f".*{TMP_MARK}*")
    for pattern in patterns:
        for f in root.glob(pattern):
            pid = pid_of_temporary(f.name)
            if pid is None or _pid_alive(pid):
                continue
            with contextlib.suppress(OSError):
                if f.is_dir() and not f.is_symlink():
                    shutil.rmtree(f)
                else:
                    f.unlink()
                n += 1
    return n


def _nearest_existing(path: Path) -> Path:
    p = path.absolute()
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def check_writable(path: str | Path, option: str = "--out") -> None:
    """:class:`ConfigError` unless ``path`` is (or can be created as) a writable directory.

    The check creates and removes a probe file in the nearest existing directory, so it sees
    read-only file systems and permissions as the writer will (not only the mode bits).
    """
    path = Path(path)
    base = _nearest_existing(path)
    if not base.is_dir():
        raise ConfigError(f"{option}: {str(path)!r} — {str(base)!r} is a file, not a directory; "
                          "give a directory path")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".limitlab-probe{TMP_MARK}{os.getpid()}-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(f"{option}: {str(path)!r} — cannot write in {str(base)!r} "
                          f"({exc.strerror}); give a writable directory") from None


def check_free_space(path: str | Path, need: int = MIN_FREE_BYTES, option: str = "--out") -> None:
    """:class:`ConfigError` when the file system of ``path`` has less than ``need`` bytes free."""
    base = _nearest_existing(Path(path))
    try:
        free = shutil.disk_usage(base).free
    except OSError:
        return
    if free < need:
        raise ConfigError(f"{option}: {str(path)!r} — only {free / 2**20:.1f} MiB free on its file "
                          f"system, at least {need / 2**20:.0f} MiB needed; free space or choose "
                          "another directory")


def check_output_dir(path: str | Path, need: int = MIN_FREE_BYTES, option: str = "--out") -> None:
    """Both checks: writable and with room."""
    check_writable(path, option)
    check_free_space(path, need, option)


@contextlib.contextmanager
def directory_lock(directory: str | Path, what: str = "results directory") -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``directory/.lock`` (created if missing).

    Raises:
        ConfigError: Another process holds the lock (one line naming the directory).
    """
    d = Path(directory)
    fd = os.open(d / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise ConfigError(f"--out: {str(d)!r} — another limitlab process is writing this "
                                  f"{what}; wait for it to finish (or stop it), then --resume") from None
            raise
        yield
    finally:
        os.close(fd)  # releases the lock


def describe_os_error(exc: OSError) -> str:
    """One line for an operating-system error met while writing."""
    where = exc.filename if exc.filename is not None else "output"
    if exc.errno == errno.ENOSPC:
        return (f"{where}: no space left on device — free space or choose another --out; "
                "nothing half-written was kept")
    if exc.errno == errno.EDQUOT:
        return f"{where}: disk quota exceeded — free space or choose another --out"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}: {exc.strerror} — give a writable location"
    return f"{where}: {exc.strerror or exc}"


def unreadable_parquet_error(target: str | Path, exc: BaseException, option: str = "RESULTS_DIR") -> ConfigError:
    """A one-line :class:`ConfigError` for a Parquet file or dataset that failed to read,
    naming the first file (under ``target``) whose footer cannot be read."""
    import pyarrow.parquet as pq

    target = Path(target)
    files = [target] if target.is_file() else sorted(
        f for f in target.rglob("*.parquet") if not f.name.startswith((".", "_")))
    for f in files:
        try:
            pq.read_metadata(f)
        except Exception as bad:  # noqa: BLE001 - any reader error names the file
            reason = str(bad).splitlines()[0] if str(bad) else type(bad).__name__
            return ConfigError(f"{option}: {str(f)!r} — not a readable Parquet file ({reason}); "
                               "it is truncated or damaged: rerun what wrote it")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ConfigError(f"{option}: {str(target)!r} — cannot be read as Parquet ({reason})")


def read_parquet(path: str | Path, option: str = "RESULTS_DIR", **kwargs):
    """``pandas.read_parquet`` with a one-line :class:`ConfigError` for a truncated, empty or
    damaged file instead of a traceback."""
    import pandas as pd
    import pyarrow as pa

    try:
        return pd.read_parquet(path, **kwargs)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise unreadable_parquet_error(path, exc, option) from None
