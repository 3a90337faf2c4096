"""Per-label precision/recall/F1, macro-F1 and a confusion matrix, as data and as text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def scores(y_true: Sequence[str], y_pred: Sequence[str], labels: list[str]) -> dict[str, Any]:
    """Return per-label scores, macro-F1 (over labels present in y_true), accuracy, confusion."""
    present = [label for label in labels if label in set(y_true)]
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_label = {
        label: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(s[i]),
        }
        for i, label in enumerate(labels)
    }
    macro = float(np.mean([per_label[label]["f1"] for label in present])) if present else 0.0
    return {
        "per_label": per_label,
        "macro_f1": round(macro, 4),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def report(result: dict[str, Any], labels: list[str]) -> str:
    """Render `scores` output as a plain-text table and matrix."""
    width = max(len(label) for label in labels)
    lines = [f"{'label':<{width}}  precision  recall     f1  support"]
    for label in labels:
        row = result["per_label"][label]
        lines.append(
            f"{label:<{width}}  {row['precision']:9.3f}  {row['recall']:6.3f}  {row['f1']:5.3f}  {row['support']:7d}"
        )
    total = sum(result["per_label"][label]["support"] for label in labels)
    lines.append(f"{'macro-F1':<{width}}  {'':9}  {'':6}  {result['macro_f1']:5.3f}  {total:7d}")
    lines.append(f"{'accuracy':<{width}}  {'':9}  {'':6}  {result['accuracy']:5.3f}")
    lines.append("")
    short = [label[:6] for label in labels]
    lines.append("confusion (rows: true, columns: predicted)")
    lines.append(f"{'':<{width}}  " + " ".join(f"{s:>6}" for s in short))
    for label, row in zip(labels, result["confusion"]):
        lines.append(f"{label:<{width}}  " + " ".join(f"{n:>6d}" for n in row))
    return "\n".join(lines)
