"""Reliability of the top confidence: predicted vs observed accuracy per confidence bin."""

from __future__ import annotations

import numpy as np

EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def reliability_table(confidence: np.ndarray, correct: np.ndarray, edges: tuple[float, ...] = EDGES) -> list[dict]:
    """One row per non-empty bin [lo, hi): n, mean confidence, observed accuracy (the last bin includes 1.0)."""
    rows = []
    for lo, hi in zip(edges, edges[1:]):
        inside = (confidence >= lo) & ((confidence < hi) | ((hi == edges[-1]) & (confidence <= hi)))
        if inside.any():
            rows.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": int(inside.sum()),
                    "confidence": round(float(confidence[inside].mean()), 3),
                    "accuracy": round(float(correct[inside].mean()), 3),
                }
            )
    return rows
