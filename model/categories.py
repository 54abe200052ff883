"""Categorical columns of the output tables, their dtypes built once per list of labels."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd


@functools.cache
def _categories(labels: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(labels))


def categorical(codes: np.ndarray, labels) -> pd.Categorical:
    """``codes`` as a categorical of ``labels`` (the dtype built once per list of labels:
    building it is most of the cost of a small table's categorical column)."""
    return pd.Categorical.from_codes(codes, dtype=_categories(tuple(labels)))
