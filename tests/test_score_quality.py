"""The score-quality monitor's binning: counting sorted values by binary search gives the
compiled per-value count exactly, ties at the edges included."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.score_quality import psi, psi_bins, shares


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=300), st.integers(0, 2**32 - 1))
def test_presorted_shares_equal_the_per_value_count(levels, seed):
    # values on a coarse grid, so many sit exactly on a decile edge
    values = (np.asarray(levels, dtype=np.float32) / np.float32(40.0)).astype(np.float32)
    values = np.random.default_rng(seed).permutation(values)
    edges = psi_bins(values)
    x = np.sort(values)
    assert np.array_equal(psi_bins(x, presorted=True), edges)
    assert np.array_equal(shares(x, edges, presorted=True), shares(values, edges))
    ref = shares(values[::-1], edges)
    assert psi(ref, edges, x, True) == psi(ref, edges, values)


def test_shares_count_each_bin():
    values = np.array([0.1, 0.2, 0.2, 0.3, 0.5], dtype=np.float32)
    edges = np.array([0.2, 0.4])
    # bin b: exactly b edges <= value
    expected = np.array([1, 3, 1]) / 5
    assert np.allclose(shares(values, edges), expected)
    assert np.allclose(shares(np.sort(values), edges, presorted=True), expected)
