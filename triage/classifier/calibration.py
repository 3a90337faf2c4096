"""Confidence that means what it says on real mail: a temperature and class offsets fitted on out-of-fold margins.

The linear model's margins become probabilities as softmax(beta * margins + offsets). Fitted
inside each training run on the training data's own out-of-fold margins, beta was set by
team-written text, which the model reads far better than real mail: on grouped CV of real
messages, predictions with confidence >= 0.9 were right 78% of the time. Here beta and one
offset per label are fitted (maximum likelihood, 1 + 9 parameters) on the real messages' grouped
out-of-fold margins and written into the shipped model (beta as its temperature, offset / beta
added to the linear model's intercepts, so the fast path is unchanged). The offsets correct the
label priors the team corpus taught (real mail is "other" less often and info_response more
often than the corpus says). Figures reported for fold k use values fitted on the other folds only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline

from triage.classifier.corpus import LABELS

BOUNDS = (-5.0, 5.0)  # log(beta): beta between 0.007 and 148


def fit(margins: np.ndarray, truth: Sequence[str], labels: Sequence[str] = LABELS) -> tuple[float, np.ndarray]:
    """(beta, offsets) minimising the log-loss of softmax(beta * margins + offsets) on truth."""
    index = np.array([list(labels).index(t) for t in truth])
    rows = np.arange(len(index))

    def loss(x: np.ndarray) -> float:
        return float(-log_softmax(np.exp(x[0]) * margins + x[1:], axis=1)[rows, index].mean())

    start = np.concatenate(([np.log(fit_temperature(margins, truth, labels))], np.zeros(margins.shape[1])))
    found = minimize(loss, start, method="L-BFGS-B", bounds=[BOUNDS] + [(-10.0, 10.0)] * margins.shape[1])
    offsets = found.x[1:] - found.x[1:].mean()  # softmax ignores a common shift; keep them centred
    return round(float(np.exp(found.x[0])), 4), np.round(offsets, 4)


def fit_temperature(margins: np.ndarray, truth: Sequence[str], labels: Sequence[str] = LABELS) -> float:
    """The inverse temperature beta minimising the log-loss of softmax(beta * margins) on truth."""
    index = np.array([list(labels).index(t) for t in truth])
    rows = np.arange(len(index))

    def loss(log_beta: float) -> float:
        return float(-log_softmax(np.exp(log_beta) * margins, axis=1)[rows, index].mean())

    found = minimize_scalar(loss, bounds=BOUNDS, method="bounded")
    return round(float(np.exp(found.x)), 4)


def cross_fitted(
    margins: np.ndarray, evidence: np.ndarray, truth: Sequence[str], fold: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Probabilities, guarded confidences and betas; fold k's rows use values fitted on the other folds."""
    truth = np.asarray(truth)
    proba = np.zeros_like(margins, dtype=float)
    betas = []
    for k in np.unique(fold):
        beta, offsets = fit(margins[fold != k], truth[fold != k])
        proba[fold == k] = softmax(beta * margins[fold == k] + offsets, axis=1)
        betas.append(beta)
    return proba, proba.max(axis=1) * evidence, betas


def apply(pipeline: Pipeline, beta: float, offsets: np.ndarray | None = None, labels: Sequence[str] = LABELS) -> None:
    """Make a fitted Pipeline give softmax(beta * margins + offsets): temperature, offsets in the intercepts.

    offsets are in `labels` order (the model's columns are in its classes_ order). The last step
    must be one temperature-scaled linear model (estimator.build's).
    """
    calibrated = pipeline.steps[-1][1]
    if not isinstance(calibrated, CalibratedClassifierCV) or calibrated.method != "temperature":
        raise TypeError("calibration.apply needs a temperature-calibrated classifier as the last step")
    (member,) = calibrated.calibrated_classifiers_
    member.calibrators[0].beta_ = beta
    if offsets is not None:
        ordered = np.asarray(offsets)[[list(labels).index(str(c)) for c in calibrated.classes_]]
        member.estimator.intercept_ = member.estimator.intercept_ + ordered / beta


def temperature(pipeline: Pipeline) -> float:
    """The inverse temperature a fitted Pipeline applies."""
    (member,) = pipeline.steps[-1][1].calibrated_classifiers_
    return float(member.calibrators[0].beta_)
