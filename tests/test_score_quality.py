"""The score-quality monitor's binning: the counts read off the sorted sample by a binary
search per edge are the per-value count exactly, ties at the edges included; the AUC read
off the sorted sample is the AUC from the sorted negatives, bit for bit."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from limitlab.model.score_quality import PSI_FLOOR, auc, psi, psi_bins, shares


def per_value_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The definition, value by value: bin b holds the values with exactly b edges <= them."""
    b = np.searchsorted(edges.astype(values.dtype), values, side="right")
    counts = np.bincount(b, minlength=edges.size + 1)
    return np.maximum(counts / values.size, PSI_FLOOR)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=300), st.integers(0, 2**32 - 1))
def test_shares_of_the_sorted_sample_equal_the_per_value_count(levels, seed):
    # values on a coarse grid, so many sit exactly on a decile edge
    values = (np.asarray(levels, dtype=np.float32) / np.float32(40.0)).astype(np.float32)
    values = np.random.default_rng(seed).permutation(values)
    x = np.sort(values)
    edges = psi_bins(x)
    assert np.all(np.diff(edges) > 0)
    assert np.array_equal(shares(x, edges), per_value_shares(values, edges))
    ref = per_value_shares(values[::-1], edges)
    q = per_value_shares(values, edges)
    assert psi(ref, edges, x) == float(np.sum((q - ref) * np.log(q / ref)))


def test_shares_count_each_bin():
    values = np.array([0.1, 0.2, 0.2, 0.3, 0.5], dtype=np.float32)
    edges = np.array([0.2, 0.4])
    # bin b: exactly b edges <= value
    expected = np.array([1, 3, 1]) / 5
    assert np.allclose(shares(values, edges), expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.booleans()), min_size=1, max_size=300))
def test_auc_from_the_sorted_sample_is_the_auc_from_the_sorted_negatives(pairs):
    # scores on a coarse grid: many ties, within and across the classes
    score = np.array([v for v, _ in pairs], dtype=np.float32) / np.float32(12.0)
    positive = np.array([y for _, y in pairs])
    plain = auc(score, positive)
    fast = auc(score, positive, np.sort(score))
    assert (np.isnan(plain) and np.isnan(fast)) or plain == fast
