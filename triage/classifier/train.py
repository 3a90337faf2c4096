"""Train the intent Pipeline: augment, cross-validate, pick the Review threshold, fit."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from triage.classifier import estimator
from triage.classifier.augment import TRANSFORMS, augment
from triage.classifier.corpus import LABELS, Example, as_examples, data_hash
from triage.classifier.evaluate import scores
from triage.classifier.model import EVIDENCE_FLOOR, IntentModel, score
from triage.classifier.versions import running_versions
from triage.errors import BadInput

log = logging.getLogger(__name__)

FOLDS = 5
CALIBRATION_FOLDS = 3  # inside each fit; 3 rather than 5 keeps `triage train` to minutes
AUGMENT_COPIES = 2
# Below this cross-validated accuracy a prediction is not worth acting on unseen.
TARGET_ACCURACY = 0.80


def fit(examples: Sequence[Example], seed: int, copies: int = AUGMENT_COPIES) -> Pipeline:
    """Fit one Pipeline on examples plus their augmented variants."""
    rows = augment(examples, seed, copies)
    pairs = [(e.subject, e.body) for e, _ in rows]
    y = np.array([e.intent for e, _ in rows])
    groups = np.array([g for _, g in rows])
    splitter = StratifiedGroupKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    splits = list(splitter.split(pairs, y, groups))
    model = estimator.build(seed, splits)
    model.fit(pairs, y)
    # The index arrays were only needed for fitting; don't ship them in the artifact.
    model.named_steps["classify"].set_params(cv=CALIBRATION_FOLDS)
    return model


def cross_validated(examples: Sequence[Example], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities and confidences; augmentation only touches training folds."""
    y = np.array([e.intent for e in examples])
    proba = np.zeros((len(examples), len(LABELS)))
    confidence = np.zeros(len(examples))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for number, (train_idx, test_idx) in enumerate(folds.split(np.zeros(len(y)), y), start=1):
        model = fit([examples[i] for i in train_idx], seed)
        columns = [LABELS.index(c) for c in model.classes_]
        fold_proba, confidence[test_idx] = score(model, [(examples[i].subject, examples[i].body) for i in test_idx])
        proba[np.ix_(test_idx, columns)] = fold_proba
        log.info("cross-validation fold %d/%d done", number, FOLDS)
    return proba, confidence


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float = TARGET_ACCURACY) -> float:
    """Lowest confidence at which the (monotone) fitted accuracy reaches target."""
    curve = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(confidence, correct)
    grid = np.unique(confidence)
    reached = grid[curve.predict(grid) >= target]
    if len(reached) == 0:
        return 1.0  # never accurate enough: everything goes to Review
    return round(float(reached[0]), 4)


def calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: mean |accuracy - confidence| over equal-width bins."""
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    error = sum(
        abs(correct[which == b].mean() - confidence[which == b].mean()) * (which == b).sum()
        for b in range(bins)
        if (which == b).any()
    )
    return round(float(error / len(confidence)), 4)


def train(records: Iterable[Sequence[str]], seed: int = 42) -> IntentModel:
    """Train on (subject, body, intent) records; returns the model with its sidecar metadata."""
    # Sorting makes the result independent of file order and of where corrections were added.
    examples = sorted(as_examples(records), key=lambda e: (e.intent, e.subject, e.body))
    counts = Counter(e.intent for e in examples)
    short = [label for label in LABELS if counts[label] < FOLDS]
    if short:
        raise BadInput(f"need at least {FOLDS} examples of each label; too few: {short}")
    y = np.array([e.intent for e in examples])

    proba, confidence = cross_validated(examples, seed)
    predicted = np.array(LABELS)[proba.argmax(axis=1)]
    correct = (predicted == y).astype(float)
    threshold = choose_threshold(confidence, correct)
    kept = confidence >= threshold
    cv: dict[str, Any] = {"folds": FOLDS, **scores(y, predicted, list(LABELS))}
    cv["review_share"] = round(float(1 - kept.mean()), 4)
    cv["calibration_error"] = calibration_error(confidence, correct)
    cv["accuracy_above_threshold"] = round(float(correct[kept].mean()), 4) if kept.any() else None

    pipeline = fit(examples, seed)
    meta = {
        "format": 1,
        "labels": list(LABELS),
        "random_state": seed,
        "data_hash": data_hash(examples),
        "n_examples": len(examples),
        "n_per_label": {label: counts[label] for label in LABELS},
        "sources": dict(sorted(Counter(e.source or "extra" for e in examples).items())),
        "augmentation": {
            "copies_per_example": AUGMENT_COPIES,
            "transforms": sorted(TRANSFORMS),
            "transforms_per_copy": "1-2, drawn with random.Random(random_state)",
        },
        "hyperparameters": {k: list(v) if isinstance(v, tuple) else v for k, v in estimator.HYPERPARAMETERS.items()},
        "cv": cv,
        "threshold": threshold,
        "evidence_floor": EVIDENCE_FLOOR,
        "threshold_rule": (f"lowest confidence where isotonic-fitted cross-validated accuracy >= {TARGET_ACCURACY}"),
        "versions": running_versions(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    log.info("trained on %d examples; cv macro-F1 %.3f; threshold %.3f", len(examples), cv["macro_f1"], threshold)
    return IntentModel(pipeline, meta)
