"""The scikit-learn Pipeline: cleanup, word + character TF-IDF, calibrated linear SVM."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from triage.classifier.features import prepare
from triage.classifier.vectorizers import CharTfidf, WordTfidf

# Chosen once on the team corpus (see models/MODEL_CARD.md); fixed so retrains are comparable.
HYPERPARAMETERS = {
    "word_ngram_range": (1, 2),
    "word_max_features": 40_000,
    "char_ngram_range": (2, 5),
    "char_max_features": 60_000,
    "min_df": 2,
    # Chosen on grouped 5-fold CV of the real messages (models/MODEL_CARD.md): LinearSVC C=0.3
    # 0.611, C=1 0.599, C=0.1 0.597; LogisticRegression C=10 0.615 at ~12x the fitting time.
    "C": 0.3,
    "calibration": "temperature",
}


def build(
    seed: int,
    calibration_splits: Sequence[tuple[np.ndarray, np.ndarray]] | int = 3,
    hyper: dict | None = None,
    calibrated: bool = True,
) -> Pipeline:
    """Return an unfitted Pipeline; calibration_splits must keep augmented twins together.

    calibrated=False ends in the bare LinearSVC (margins only; cross-validation calibrates them).
    """
    h = {**HYPERPARAMETERS, **(hyper or {})}
    words = WordTfidf(min_df=h["min_df"], max_features=h["word_max_features"])
    chars = CharTfidf(ngram_range=h["char_ngram_range"], min_df=h["min_df"], max_features=h["char_max_features"])
    linear = LinearSVC(C=h["C"], class_weight="balanced", max_iter=10_000, random_state=seed)
    # Temperature scaling turns the SVM's margins into probabilities (one parameter, fitted on
    # out-of-fold margins). ensemble=False keeps one linear model (small, fast). The splits are
    # passed in because CalibratedClassifierCV does not route `groups` to cross_val_predict in
    # that mode, and a plain K-fold would put a message and its augmented twin on both sides
    # (overconfident probabilities).
    last = (
        CalibratedClassifierCV(linear, method=h["calibration"], cv=calibration_splits, ensemble=False)
        if calibrated
        else linear
    )
    return Pipeline(
        [
            ("prepare", FunctionTransformer(prepare)),
            ("features", FeatureUnion([("words", words), ("chars", chars)])),
            ("classify", last),
        ]
    )
