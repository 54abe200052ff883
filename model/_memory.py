"""Keep numpy's large temporaries on the heap instead of fresh ``mmap`` pages.

glibc serves allocations above ``M_MMAP_THRESHOLD`` (128 KiB by default, adapting upwards
only after frees) with ``mmap``; every 100,000-row temporary (800 KB) then costs page faults
on first touch, which made element-wise ops ~7x slower than on cache-sized arrays (measured:
9.3 ns/element at 100k rows vs 1.2 ns/element with this setting). Raising the thresholds
lets freed blocks be reused. A no-op where glibc's ``mallopt`` is unavailable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_done = False


def tune_malloc(mmap_threshold: int = 256 * 1024 * 1024, trim_threshold: int = 512 * 1024 * 1024) -> bool:
    """Raise glibc's mmap/trim thresholds once per process; returns whether it applied."""
    global _done
    if _done:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold)
        )
    except (OSError, AttributeError):
        return False
    _done = ok
    return ok


def release_free_memory() -> bool:
    """Give the heap's free pages back to the system (glibc ``malloc_trim``).

    With the raised trim threshold above, memory freed by a finished model stays with the
    process; Arrow's own allocator (which writes the Parquet files) cannot reuse it, so a
    run's peak would be the book *plus* the encoding buffers. Returns whether it applied.
    """
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, found once (``ctypes.util.find_library`` runs ``ldconfig``)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


models_released = 0  # finished models released in this process (limitlab.model.run)


def release_model(model) -> None:
    """Free a finished model's state now, without a garbage collection: its book, event
    log, recorder and lender are dropped from the model, so reference counting frees them
    at once. A Mesa model is a web of references (the lender and the model point at each
    other); what is left of it is a small shell the collector frees in its own time."""
    global models_released
    lender = getattr(model, "lender", None)
    if lender is not None:
        vars(lender).clear()
    vars(model).clear()
    models_released += 1
