"""Temperature fitted on out-of-fold margins: recovers the truth, never looks at the fold it scores."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax

from tests.classifier.test_cli import SEED
from triage.classifier import LABELS, calibration
from triage.classifier.corpus import read_jsonl
from triage.classifier.model import margins, score
from triage.classifier.train import fit, fit_uncalibrated


def _sampled(beta: float, n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Margins, and labels drawn from softmax(beta * margins): beta is the right answer."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(n, len(LABELS)))
    proba = softmax(beta * scores, axis=1)
    truth = np.array([LABELS[rng.choice(len(LABELS), p=p)] for p in proba])
    return scores, truth


def test_fit_temperature_recovers_the_beta_the_labels_were_drawn_with():
    scores, truth = _sampled(2.5)
    assert calibration.fit_temperature(scores, truth) == pytest.approx(2.5, rel=0.1)


def test_cross_fitted_rows_of_a_fold_do_not_depend_on_its_own_labels():
    scores, truth = _sampled(2.0, n=600)
    fold = np.arange(600) % 3
    proba, _, _ = calibration.cross_fitted(scores, np.ones(600), truth, fold)
    flipped = truth.copy()
    flipped[fold == 0] = LABELS[0]  # fold 0's labels changed: its own probabilities must not move
    again, _, betas = calibration.cross_fitted(scores, np.ones(600), flipped, fold)
    assert np.allclose(proba[fold == 0], again[fold == 0]) and not np.allclose(proba[fold == 1], again[fold == 1])


def test_cross_fitted_confidence_is_scaled_by_evidence():
    scores, truth = _sampled(1.0, n=300)
    fold = np.arange(300) % 3
    proba, confidence, _ = calibration.cross_fitted(scores, np.full(300, 0.5), truth, fold)
    assert np.allclose(confidence, proba.max(axis=1) * 0.5)


@pytest.fixture
def fitted():
    return fit(read_jsonl(SEED), seed=5)


def test_fit_recovers_temperature_and_class_offsets():
    scores, _ = _sampled(1.0)
    shift = np.linspace(-1, 1, len(LABELS))
    rng = np.random.default_rng(1)
    truth = np.array([LABELS[rng.choice(len(LABELS), p=p)] for p in softmax(2.0 * scores + shift, axis=1)])
    beta, offsets = calibration.fit(scores, truth)
    assert beta == pytest.approx(2.0, rel=0.15) and np.allclose(offsets, shift - shift.mean(), atol=0.2)


def test_apply_changes_the_pipeline_and_the_fast_path_alike(fitted):
    pairs = [("Re: Offer", "I am delighted to accept."), ("", "Any news on my application?")]
    raw, _ = margins(fitted, pairs)
    offsets = np.linspace(-0.5, 0.5, len(LABELS))
    calibration.apply(fitted, 7.0, offsets, labels=[str(c) for c in fitted.classes_])
    fast, _ = score(fitted, pairs)
    assert (
        calibration.temperature(fitted),
        np.allclose(fast, fitted.predict_proba(pairs), atol=1e-6),
        np.allclose(fast, softmax(7.0 * raw + offsets, axis=1), atol=1e-5),
    ) == (7.0, True, True)


def test_offsets_are_applied_to_their_own_labels(fitted):
    pairs = [("", "Could we move the interview to Thursday?")]
    raw, _ = margins(fitted, pairs)
    offsets = np.zeros(len(LABELS))
    offsets[LABELS.index("other")] = 50.0  # in LABELS order; the model's columns are alphabetical
    calibration.apply(fitted, 1.0, offsets)
    proba, _ = score(fitted, pairs)
    assert str(fitted.classes_[proba.argmax()]) == "other"


def test_an_uncalibrated_fit_gives_the_margins_of_a_calibrated_one(fitted):
    pairs = [("", "Could we move the interview to Thursday?")]
    bare = fit_uncalibrated(read_jsonl(SEED), seed=5)
    assert np.allclose(margins(bare, pairs)[0], margins(fitted, pairs)[0], atol=1e-5)
