"""Time-weighted accumulation: how much of a set of intervals falls in each bin."""

from __future__ import annotations

import numpy as np


def overlap_per_bin(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total length of the intervals ``[starts[i], ends[i])`` inside each bin.

    ``edges`` are increasing bin boundaries; the result has ``len(edges) - 1`` values
    (same unit as the inputs). Runs in O(n log n) whatever the number of bins, using
    ``F(t) = sum_i clip(t - s_i, 0, e_i - s_i)``, the covered length before ``t``.
    """
    starts = np.sort(np.asarray(starts, dtype=float))
    ends = np.sort(np.asarray(ends, dtype=float))
    edges = np.asarray(edges, dtype=float)
    return np.diff(_covered_before(starts, edges) - _covered_before(ends, edges))


def _covered_before(points: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``sum_i max(at - points[i], 0)`` for each value of ``at`` (points sorted)."""
    count = np.searchsorted(points, at, side="left")
    prefix = np.concatenate([[0.0], np.cumsum(points)])
    return count * at - prefix[count]
