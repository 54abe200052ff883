"""The borrowers' random numbers, counter-based (compiled).

A row's numbers depend only on (seed, month, row), so results are identical whatever the
worker count and whatever the lender decides (common random numbers); no kernel advances a
numpy stream.
"""

from __future__ import annotations

import math

import numpy as np
from limitlab.agents.numerics import jit, row

# ---------------------------------------------------------------------- random numbers
# The borrowers' random numbers of a month are counter-based: a 64-bit word per (row, lane)
# is a hash of the month's key (one raw draw from the borrowers' stream a month), the row and
# the lane (splitmix64's finaliser), computed where a rule needs it. Nothing is drawn for
# rows that are off the book, nothing is stored, and a row's numbers depend only on
# (seed, month, row): common random numbers across policies by construction. Each word
# holds two 24-bit uniforms (as numpy's ``Generator.random(dtype=float32)`` makes one from
# 32 bits): the high and the low half. The lanes follow the passes that read them:
W_CASH, W_DRAW, W_PAY, W_LATER, W_NORMAL = range(5)
# uniform j is the high (j even) or low (j odd) half of lane j // 2
U_SPEND, U_EXT, U_PURCHASE, U_CYCLES, U_EARLY, U_LATE, U_APPEAL, U_LEAVE = range(8)
U_COUNT = 8
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_LANE = np.uint64(0xD1B54A32D192ED03)

@row
def mix64(z):
    """splitmix64's finaliser: a bijective 64-bit mix with full avalanche."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@row
def word(key, i, lane):
    """The month's 64-bit word of row ``i`` in ``lane``."""
    return mix64(np.uint64(key) + np.uint64(i) * _GOLDEN + np.uint64(lane) * _LANE)


@row
def u_hi(x):
    # through int64: x86 converts a signed integer to float in one instruction, an unsigned
    # 64-bit one in several
    return np.float32(np.int64(x >> np.uint64(40))) * np.float32(1.0 / 16777216.0)


@row
def u_lo(x):
    return (np.float32(np.int64((x >> np.uint64(8)) & np.uint64(0xFFFFFF)))
            * np.float32(1.0 / 16777216.0))


# Marsaglia & Tsang's ziggurat for the normal, 256 layers (Doornik's ZIGNOR layout): layer
# edges _ZIG_X[0..256] (x[0] = v / f(r) for the base layer, x[1] = r, x[256] = 0) and the
# ratios _ZIG_R[i] = x[i+1] / x[i] below which a point is inside the layer's core.
_ZIG_N, _ZIG_TAIL, _ZIG_AREA = 256, 3.6541528853610088, 0.00492867323399


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros(_ZIG_N + 1)
    f = math.exp(-0.5 * _ZIG_TAIL * _ZIG_TAIL)
    x[0] = _ZIG_AREA / f
    x[1] = _ZIG_TAIL
    for i in range(2, _ZIG_N):
        x[i] = math.sqrt(-2.0 * math.log(_ZIG_AREA / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_R = _ziggurat_tables()
W_MORE = 16  # lanes W_MORE, W_MORE + 1, ...: the ziggurat's rare further words


@row
def u53(x):
    """A uniform in (0, 1) from the top 53 bits of a word, centred in its cell."""
    return (np.float64(np.int64(x >> np.uint64(11))) + 0.5) * 1.1102230246251565e-16


@row
def normal_at(key, i):
    """Row ``i``'s standard normal (float32) by the ziggurat: one word (layer from the low
    8 bits, signed position from the top 53) is enough ~99% of the time; the wedge test and
    the tail take further words from lanes ``W_MORE + c``."""
    x = word(key, i, W_NORMAL)
    c = 0
    while True:
        layer = np.int64(x & np.uint64(0xFF))
        u = 2.0 * u53(x) - 1.0
        if abs(u) < _ZIG_R[layer]:  # inside the layer's core: ~99%
            return np.float32(u * _ZIG_X[layer])
        if layer == 0:  # the base layer's tail beyond r
            while True:
                t = math.log(u53(word(key, i, W_MORE + c))) / _ZIG_TAIL
                y = math.log(u53(word(key, i, W_MORE + c + 1)))
                c += 2
                if -2.0 * y >= t * t:
                    return np.float32(t - _ZIG_TAIL if u < 0.0 else _ZIG_TAIL - t)
        z = u * _ZIG_X[layer]
        f0 = math.exp(-0.5 * (_ZIG_X[layer] * _ZIG_X[layer] - z * z))
        f1 = math.exp(-0.5 * (_ZIG_X[layer + 1] * _ZIG_X[layer + 1] - z * z))
        w = u53(word(key, i, W_MORE + c))
        c += 1
        if f1 + w * (f0 - f1) < 1.0:  # under the density in the wedge
            return np.float32(z)
        x = word(key, i, W_MORE + c)
        c += 1


@jit
def normals_at(key, rows, out):
    """The income shock of each of ``rows`` (float32, by position): in a loop of its own,
    as the quantile's branch for the tails would stall a long loop body."""
    for j in range(rows.size):
        out[j] = normal_at(key, rows[j])


@row
def hash_uniform_row(i, offset):
    """limitlab.agents.learning.hash_uniform of row ``i``: splitmix64 of the row times the golden
    gamma plus the (month, key) ``offset``, read as a 53-bit uniform in [0, 1)."""
    z = mix64(np.uint64(i) * _GOLDEN + offset)
    return np.float64(z >> np.uint64(11)) / 9007199254740992.0  # 2**53


@jit
def hash_uniforms(rows, offset, out):
    """:func:`hash_uniform_row` of each of ``rows`` into ``out``."""
    for j in range(rows.size):
        out[j] = hash_uniform_row(rows[j], offset)


@row
def poisson(u, lam):
    """Poisson(lam) quantile of the uniform ``u`` (0 when lam <= 0): a CDF walk, capped at
    ``lam + 12 sqrt(lam) + 12`` (exact for the rates used here)."""
    lm = np.float64(lam)
    if lm <= 0.0:
        return 0
    p = math.exp(-lm)
    cdf = p
    top = int(lm + 12.0 * math.sqrt(lm) + 12.0)
    k = 0
    x = np.float64(u)
    while x > cdf and k < top:
        k += 1
        p *= lm / k
        cdf += p
    return k


@row
def poisson_table(lam, cdf):
    """The CDF of :func:`poisson`'s walk for ``lam`` > 0 into ``cdf``, entry k for k = 0 ..
    its cap, summed in the same order (so a quantile read from it is :func:`poisson`'s, bit
    for bit). Returns the cap, or -1 when ``cdf`` is too short for it."""
    lm = np.float64(lam)
    top = int(lm + 12.0 * math.sqrt(lm) + 12.0)
    if top >= cdf.size:
        return -1
    p = math.exp(-lm)
    c = p
    cdf[0] = c
    for k in range(1, top + 1):
        p *= lm / k
        c += p
        cdf[k] = c
    return top


@row
def quantile_in(u, cdf, top):
    """:func:`poisson`'s quantile of ``u`` from its CDF table."""
    x = np.float64(u)
    k = 0
    while x > cdf[k] and k < top:
        k += 1
    return k
