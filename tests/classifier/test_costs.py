"""Choosing the Review and must-answer thresholds on out-of-fold predictions."""

from __future__ import annotations

import numpy as np

from triage.classifier import costs


def _case():
    # 10 must-answer messages: 8 predicted as such, 2 predicted thank_you with P(must) 0.4 and 0.1;
    # 10 others: predicted thank_you, P(must) 0.05, one with P(must) 0.45.
    truth = np.array(["scheduling"] * 10 + ["thank_you"] * 10)
    predicted = np.array(["scheduling"] * 8 + ["thank_you"] * 12)
    must = np.array([0.9] * 8 + [0.4, 0.1] + [0.05] * 9 + [0.45])
    confidence = np.array([0.9] * 20)
    confidence[9] = 0.3  # the deeply buried one is at least unsure
    return truth, predicted, must, confidence


def test_thresholds_keep_the_target_with_the_least_review():
    truth, predicted, must, confidence = _case()
    review_t, must_t = costs.choose_thresholds(truth, predicted, must, confidence, target=1.0)
    kept = costs.kept(predicted, must, confidence >= review_t, must_t)
    assert kept[:10].all()
    # Review holds the two buried must-answers and, at most, the one look-alike.
    assert costs.review(predicted, must, confidence >= review_t, must_t).sum() <= 3


def test_when_the_target_is_out_of_reach_the_most_is_kept():
    truth, predicted, must, confidence = _case()
    confidence[9] = 0.99
    must[9] = 0.0
    review_t, must_t = costs.choose_thresholds(truth, predicted, must, confidence, target=1.0)
    kept = costs.kept(predicted, must, confidence >= review_t, must_t)
    assert kept[:10].sum() == 9 or kept[:10].all()


def test_review_never_counts_a_must_answer_prediction_with_confidence():
    predicted = np.array(["offer_response", "other"])
    review = costs.review(predicted, np.array([0.99, 0.99]), np.array([True, True]), 0.5)
    assert review.tolist() == [False, True]
