"""Network benchmarks over agents: Average, Top 10% and rank, as SPEC.md defines them.

Works on arrays shaped (days, metrics, agents) so a year of month-ends costs one pass.
"""
from __future__ import annotations

import numpy as np


def top_count(n: np.ndarray, top_percent: int) -> np.ndarray:
    """k = ceil(top_percent% x n) in integer arithmetic (0.1 x 30 must give 3, not 4)."""
    return -(-n * top_percent // 100)


def benchmark_arrays(values: np.ndarray, counted: np.ndarray, top_percent: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Average, Top x% mean, agent count and rank (1 = best; NaN when not counted).

    values, counted: shape (..., agents). Each counted agent weighs once, whatever its sample.
    """
    n = counted.sum(axis=-1)
    if values.shape[-1] == 0:                      # no active agent: nothing to compare
        empty = np.full(n.shape, np.nan)
        return empty, empty.copy(), n, np.full(values.shape, np.nan)
    filled = np.where(counted, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        average = filled.sum(axis=-1) / n
    best_first = -np.sort(np.where(counted, -values, np.inf), axis=-1)   # counted first, descending
    best_first = np.where(np.isfinite(best_first), best_first, 0.0)
    running = np.cumsum(best_first, axis=-1)
    k = top_count(n, top_percent)
    idx = np.clip(k - 1, 0, None)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        top = np.take_along_axis(running, idx, axis=-1)[..., 0] / k
    average = np.where(n > 0, average, np.nan)
    top = np.where(n > 0, top, np.nan)
    return average, top, n, _ranks(values, counted)


def _ranks(values: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """Competition ranking ("1224"): 1 + number of counted agents strictly better."""
    masked = np.where(counted, values, -np.inf)
    ordered = np.sort(masked, axis=-1)                 # ascending
    flat_ordered = ordered.reshape(-1, ordered.shape[-1])
    flat_values = masked.reshape(-1, masked.shape[-1])
    better = np.empty(flat_values.shape, dtype=float)
    for i in range(flat_values.shape[0]):          # one loop step per (day, metric), not per row
        better[i] = flat_values.shape[-1] - np.searchsorted(flat_ordered[i], flat_values[i], side="right")
    ranks = better.reshape(values.shape) + 1
    return np.where(counted, ranks, np.nan)
