"""Compiled-code building blocks shared by every kernel module: the decorators (``jit``:
a compiled loop cached on disk; ``row``: one row's part of a rule, inlined into the loops),
a cache prefetch hint, scipy's normal CDF and quantile, and a fast exponential.

Kernels are compiled on first use and cached on disk (``cache=True``); none runs in
parallel.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import llvmlite.binding as llvm
import numba as nb
import numpy as np
from llvmlite import ir
from numba import literal_unroll
from numba.core import caching, cgutils, types
from numba.extending import get_cython_function_address, intrinsic

# ---------------------------------------------------------------------- the kernels' cache
# numba keys a cached kernel on its own source file only, but the kernels inline row rules
# from several modules of this package: a kernel's cache must go stale when any of them
# changes. The kernels of this package are stamped with a hash of all its sources.
_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def _package_stamp() -> str:
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class _PackageStamp:
    """A cache locator's source stamp: the hash of every source file of the package."""

    def get_source_stamp(self):
        return _package_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if not Path(py_file).resolve().is_relative_to(_PACKAGE):
            return None
        return super().from_function(py_func, py_file)


class _UserDirLocator(_PackageStamp, caching.UserProvidedCacheLocator):
    """Caches in ``NUMBA_CACHE_DIR`` when set."""


class _InTreeLocator(_PackageStamp, caching.InTreeCacheLocator):
    """Caches in the package's ``__pycache__``."""


for _locator in (_InTreeLocator, _UserDirLocator):  # _UserDirLocator ends up first
    if _locator not in caching.CacheImpl._locator_classes:
        caching.CacheImpl._locator_classes.insert(0, _locator)

jit = nb.njit(cache=True, nogil=True)
row = nb.njit(inline="always")  # one row's part of a rule, inlined into the loops

# ---------------------------------------------------------------------- prefetch
AHEAD = 8  # rows a sparse kernel prefetches ahead


@intrinsic
def prefetch(typingctx, arr, idx):
    """A hint to fetch ``arr[idx]``'s cache line (x86 ``prefetcht0``; no effect on
    results). The lender's rules that visit thousands of scattered rows (monitoring, risk,
    step increases) prefetch the columns of the row :data:`AHEAD` positions on: the
    month's passes have swept the caches, so each visit would wait on memory. The
    appeals, a few hundred rows, do without."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i32 = ir.IntType(32)
        i8p = ir.IntType(8).as_pointer()
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0")
        # read, high temporal locality, data cache
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@jit
def prefetch_ahead(rows, j, columns):
    """:func:`prefetch` each of ``columns`` (a tuple of arrays) at the row :data:`AHEAD`
    positions after ``j`` in ``rows`` (a compiled call rather than an inlined row rule:
    numba cannot inline a loop over a tuple)."""
    if j + AHEAD < rows.size:
        k = np.uint64(rows[j + AHEAD])
        for column in literal_unroll(columns):
            prefetch(column, k)


# ---------------------------------------------------------------------- scipy.special
def _cython_special(name: str, symbol: str) -> types.ExternalFunction:
    """A scalar ``double f(double)`` of ``scipy.special.cython_special`` for compiled code:
    the same C function as the numpy ufunc, bit for bit (tests/test_kernels.py), linked by
    symbol name so that the kernels calling it stay cacheable."""
    import ctypes

    import scipy.special.cython_special as cs

    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    signature = get_name(cs.__pyx_capi__[name]).decode()
    if signature != "double (double, int __pyx_skip_dispatch)":  # pragma: no cover
        raise RuntimeError(f"scipy.special.cython_special.{name} is {signature!r}")
    llvm.add_symbol(symbol, get_cython_function_address("scipy.special.cython_special", name))
    return types.ExternalFunction(symbol, types.float64(types.float64, types.intc))


_ndtr = _cython_special("__pyx_fuse_1ndtr", "limitlab_ndtr")  # the double overload
_ndtri = _cython_special("ndtri", "limitlab_ndtri")


@row
def ndtr(x):
    """scipy.special.ndtr: the standard normal CDF."""
    return _ndtr(x, 0)


@row
def ndtri(p):
    """scipy.special.ndtri: the standard normal quantile."""
    return _ndtri(p, 0)


# ---------------------------------------------------------------------- exp
_POW2 = np.ldexp(1.0, np.arange(-127, 128))  # 2**k, k = -127 .. 127


@row
def exp_parts(x):
    """e**x = p · 2**n for |x| <= 87 (clipped beyond): Cody-Waite reduction to r in
    [-ln2/2, ln2/2] and a degree-8 Taylor polynomial ``p`` of r. Returns (p, n), n a whole
    float."""
    x = min(max(x, -87.0), 87.0)
    n = np.rint(x * 1.4426950408889634)
    r = (x - n * 0.6931471803691238) - n * 1.9082149292705877e-10
    # the degree-8 polynomial by Estrin's scheme (short dependency chain)
    r2 = r * r
    r4 = r2 * r2
    p = ((1.0 + r) + r2 * (0.5 + r * 0.16666666666666666)) + r4 * (
        (0.041666666666666664 + r * 0.008333333333333333)
        + r2 * (0.001388888888888889 + r * 0.0001984126984126984) + r4 * 2.48015873015873e-05)
    return p, n


@row
def exp(x):
    """e**x for |x| <= 87 (clipped beyond), relative error < 3e-10 (tests/test_kernels.py):
    :func:`exp_parts` times 2**n from a table: inlined arithmetic rather than a libm call
    in the row loops."""
    p, n = exp_parts(x)
    return p * _POW2[np.int64(n) + 127]


@jit
def exp_vector(x, out, scratch):
    """``out[j] = exp(x[j])``, bit for bit as :func:`exp`, in three short loops the compiler
    vectorises (4 lanes): 2**n is built from its bits (n + 2**52 + 2**51 as a double holds n
    in its low bits; ``(n + 1023) << 52`` are the bits of 2**n) instead of looked up.
    ``scratch``: float64, at least ``x.size``. A pass whose row body is long takes its
    exponentials from here: inline, they lengthen each row's chain of dependent steps."""
    n_x = x.size
    bits = scratch.view(np.int64)
    for j in range(n_x):
        p, n = exp_parts(x[j])
        out[j] = p
        scratch[j] = n + 6755399441055744.0
    for j in range(n_x):
        bits[j] = (bits[j] - 0x4338000000000000 + 1023) << 52
    for j in range(n_x):
        out[j] = out[j] * scratch[j]

