"""What a wrong lane costs: the must-answer labels and the threshold that keeps them in sight.

A must-answer message (an answer to our request, interview logistics, offer talks) filed under
FYI or Held costs a candidate; one more Review item costs a recruiter a glance. So routing does
not only follow the top label: when P(must-answer) -- the summed probabilities of those labels --
reaches `must_answer_threshold`, a message the top label would bury goes to Review instead. The
threshold is chosen on grouped cross-validation of real mail (the highest one that still keeps
the target share of must-answer mail in Today or Review).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from triage.db.enums import Intent

MUST_ANSWER: frozenset[str] = frozenset(
    {Intent.info_response.value, Intent.scheduling.value, Intent.offer_negotiation.value, Intent.offer_response.value}
)
TARGET_KEPT = 0.96  # chosen a point above the 95% goal: the threshold is picked on out-of-fold data
# The Review threshold never goes below this: the evidence guard scales the confidence of text
# the model cannot read (gibberish, another language, a pasted log) under it, and that must
# reach a person whatever the cost figures say.
REVIEW_FLOOR = 0.3


def must_answer_proba(proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """P(must-answer) per row: the sum of the must-answer labels' columns."""
    columns = [i for i, c in enumerate(classes) if str(c) in MUST_ANSWER]
    return proba[:, columns].sum(axis=1)


def kept(predicted: np.ndarray, must: np.ndarray, confident: np.ndarray, threshold: float) -> np.ndarray:
    """Which messages end in Today or Review: a must-answer prediction, low confidence, or P(must) >= threshold."""
    return np.isin(predicted, list(MUST_ANSWER)) | ~confident | (must >= threshold)


def review(predicted: np.ndarray, must: np.ndarray, confident: np.ndarray, threshold: float) -> np.ndarray:
    """Which messages go to Review: low confidence, or a buried prediction with P(must) >= threshold."""
    return ~confident | (~np.isin(predicted, list(MUST_ANSWER)) & (must >= threshold))


def choose_thresholds(
    truth: np.ndarray, predicted: np.ndarray, must: np.ndarray, confidence: np.ndarray, target: float = TARGET_KEPT
) -> tuple[float, float]:
    """(Review threshold >= REVIEW_FLOOR, must-answer threshold): the smallest Review share keeping `target`.

    Both thresholds send mail to Review, so they are chosen together on out-of-fold predictions:
    every pair on a grid is scored by its Review share, among the pairs that keep at least
    `target` of the must-answer messages in Today or Review; if none does, the pair keeping the
    most (then the smallest Review) wins.
    """
    is_must = np.isin(truth, list(MUST_ANSWER))
    buried = ~np.isin(predicted, list(MUST_ANSWER))
    best: tuple[tuple[float, float], float, float] | None = None
    for review_t in np.round(np.arange(REVIEW_FLOOR, 0.96, 0.05), 2):
        confident = confidence >= review_t
        for must_t in np.round(np.arange(0.95, 0.0, -0.01), 2):
            kept_share = float(kept(predicted, must, confident, must_t)[is_must].mean()) if is_must.any() else 1.0
            review_share = float((~confident | (buried & (must >= must_t))).mean())
            key = (min(kept_share, target), -review_share)
            if best is None or key > (min(best[1], target), -best[2]):
                best = ((float(review_t), float(must_t)), kept_share, review_share)
    assert best is not None
    return best[0]


def choose_must_threshold(
    truth: np.ndarray, predicted: np.ndarray, must: np.ndarray, confident: np.ndarray, target: float = TARGET_KEPT
) -> float:
    """Highest threshold at which at least `target` of the truly must-answer messages are kept."""
    is_must = np.isin(truth, list(MUST_ANSWER))
    if not is_must.any():
        return 1.0
    for threshold in np.round(np.arange(0.95, 0.0, -0.01), 2):
        if kept(predicted, must, confident, threshold)[is_must].mean() >= target:
            return float(threshold)
    return 0.01
