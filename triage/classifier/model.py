"""A fitted Pipeline with its metadata, and batch prediction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline

from triage.classifier.costs import must_answer_proba


class Prediction(NamedTuple):
    intent: str
    confidence: float
    # P(the message needs an answer from us): the calibrated probabilities of the must-answer
    # labels summed, so routing can weigh what burying it would cost (triage.classifier.costs).
    must_answer: float = 0.0


@dataclass(frozen=True)
class IntentModel:
    """What `load` returns and `save` writes: the Pipeline plus its sidecar metadata."""

    pipeline: Pipeline
    meta: dict[str, Any] = field(default_factory=dict)
    name: str = "unsaved"

    @property
    def labels(self) -> list[str]:
        """The label vocabulary in LABELS.md order (as recorded at training)."""
        return list(self.meta.get("labels") or [str(c) for c in self.pipeline.classes_])

    @property
    def threshold(self) -> float:
        """Confidence below which a prediction should go to Review."""
        return float(self.meta["threshold"])

    def is_confident(self, prediction: Prediction) -> bool:
        return prediction.confidence >= self.threshold


# Calibration only holds for text like the training data. A message most of whose words the
# model has never seen (gibberish, another language, a pasted log) gets its confidence scaled
# down by known-word share / EVIDENCE_FLOOR, so it lands in Review instead of being trusted.
EVIDENCE_FLOOR = 0.5


def _linear(calibrated: CalibratedClassifierCV | Any) -> Any | None:
    """The one linear model behind a temperature-scaled classifier (or a bare linear model), else None."""
    if not isinstance(calibrated, CalibratedClassifierCV):
        return calibrated if hasattr(calibrated, "coef_") else None
    members = calibrated.calibrated_classifiers_
    if calibrated.method != "temperature" or len(members) != 1 or not hasattr(members[0].estimator, "coef_"):
        return None
    return members[0].estimator


def _margins(linear: Any, blocks: list[sp.csr_matrix]) -> np.ndarray:
    margins = np.broadcast_to(linear.intercept_, (blocks[0].shape[0], len(linear.intercept_)))
    start = 0
    for block in blocks:
        margins = margins + block @ linear.coef_[:, start : start + block.shape[1]].T
        start += block.shape[1]
    return margins


def _calibrated_proba(calibrated: CalibratedClassifierCV, blocks: list[sp.csr_matrix]) -> np.ndarray:
    """CalibratedClassifierCV.predict_proba for one temperature-scaled linear model, unchecked.

    Its input checks (and stacking the feature blocks) cost ~1 ms per call, half the
    single-message budget. The maths is softmax(beta * margins), as in scikit-learn's
    _TemperatureScaling; any other shape of model takes the library path.
    tests/classifier/test_train.py compares the two.
    """
    linear = _linear(calibrated)
    if linear is None or not isinstance(calibrated, CalibratedClassifierCV):
        return calibrated.predict_proba(sp.hstack(blocks, format="csr"))
    return softmax(calibrated.calibrated_classifiers_[0].calibrators[0].beta_ * _margins(linear, blocks), axis=1)


def _blocks(pipeline: Pipeline, pairs: list[tuple[str, str]]) -> tuple[list[sp.csr_matrix], np.ndarray]:
    """The feature blocks (words, chars) and the evidence factor of each message."""
    # Each step is called directly, not through Pipeline/FeatureUnion: their joblib and
    # validation overhead alone was ~2 ms per call, the whole single-message budget.
    texts = pipeline.named_steps["prepare"].func(pairs)
    vectorizers = dict(pipeline.named_steps["features"].transformer_list)
    words, coverage = vectorizers["words"].transform_with_coverage(texts)
    return [words, vectorizers["chars"].transform(texts)], np.minimum(1.0, coverage / EVIDENCE_FLOOR)


def margins(pipeline: Pipeline, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """The linear model's margins (n x classes, before any temperature) and each message's evidence factor."""
    blocks, evidence = _blocks(pipeline, pairs)
    linear = _linear(pipeline.named_steps["classify"])
    if linear is None:
        raise TypeError("margins need one linear model behind the classify step")
    return np.asarray(_margins(linear, blocks)), evidence


def score(pipeline: Pipeline, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated probabilities (n x classes) and the evidence-guarded top confidence (n)."""
    # tests/classifier/test_train.py checks the result equals pipeline.predict_proba.
    if "prepare" not in pipeline.named_steps:  # any other fitted estimator on (subject, body) pairs
        proba = pipeline.predict_proba(pairs)
        return proba, proba.max(axis=1)
    blocks, evidence = _blocks(pipeline, pairs)
    proba = _calibrated_proba(pipeline.named_steps["classify"], blocks)
    return proba, proba.max(axis=1) * evidence


def predict(model: IntentModel, messages: Iterable[Sequence[str | None]]) -> list[Prediction]:
    """Classify (subject, body) pairs in one batch; confidence is the guarded calibrated one."""
    pairs = [(m[0] or "", m[1] or "") for m in messages]
    if not pairs:
        return []
    proba, confidence = score(model.pipeline, pairs)
    classes = [str(c) for c in model.pipeline.classes_]
    must = must_answer_proba(proba, classes)
    return [Prediction(classes[i], float(c), float(m)) for i, c, m in zip(np.argmax(proba, axis=1), confidence, must)]
