"""Paired comparisons of replicated curves as plain arrays (seeds on the first axis)."""

from __future__ import annotations

import numpy as np


def paired_z(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The paired z statistic of ``a - b`` over the first axis (seeds).

    Args:
        a: curves of one engine, shape (seeds, ...).
        b: curves of the other, same shape and seeds.

    Returns:
        ``|mean(a - b)| / se``, elementwise; 0 where both agree exactly, inf where
        they differ without any spread.
    """
    diff = np.asarray(a) - np.asarray(b)
    mean = diff.mean(axis=0)
    se = diff.std(axis=0, ddof=1) / np.sqrt(diff.shape[0])
    safe = np.where(se > 0, se, 1.0)
    return np.where(se > 0, np.abs(mean) / safe, np.where(mean == 0, 0.0, np.inf))
