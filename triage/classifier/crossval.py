"""Grouped cross-validation: score real text with models that never saw its source.

A random split of real mail leaks: one source (a repository, a mailbox, a forum) writes in one
voice, about one employer, often the same candidate twice, so a message's neighbours in the
test fold are easy. Here a source (`group`) sits on one side of every split; the team corpus is
in every training fold (it is ours and is not what we evaluate).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from triage.classifier import calibration
from triage.classifier.corpus import LABELS, Example
from triage.classifier.model import margins
from triage.errors import BadInput

log = logging.getLogger(__name__)

FOLDS = 5


def group_of(example: Example) -> str:
    """The source an example came from; an example without one is its own group."""
    return example.source or f"id:{example.id}"


def grouped_folds(examples: Sequence[Example], seed: int, folds: int = FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays with every group on one side, label shares kept where groups allow."""
    groups = np.array([group_of(e) for e in examples])
    if len(set(groups)) < folds:
        raise BadInput(f"grouped cross-validation needs at least {folds} groups; found {len(set(groups))}")
    y = np.array([e.intent for e in examples])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, groups))


def out_of_fold_margins(
    held: Sequence[Example],
    always: Sequence[Example],
    fit: Callable[[Sequence[Example], int], Pipeline],
    seed: int,
    folds: int = FOLDS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold margins (n x LABELS), evidence factors and fold numbers for `held`.

    Each fold's model is fitted on `always` plus the other folds of `held`.
    """
    scores = np.zeros((len(held), len(LABELS)))
    evidence = np.zeros(len(held))
    fold_of = np.zeros(len(held), dtype=int)
    for number, (train_idx, test_idx) in enumerate(grouped_folds(held, seed, folds)):
        model = fit([*always, *(held[i] for i in train_idx)], seed)
        columns = [LABELS.index(c) for c in model.classes_]
        fold_margins, evidence[test_idx] = margins(model, [(held[i].subject, held[i].body) for i in test_idx])
        scores[np.ix_(test_idx, columns)] = fold_margins
        fold_of[test_idx] = number
        log.info("grouped fold %d/%d: %d held out", number + 1, folds, len(test_idx))
    return scores, evidence, fold_of


def out_of_fold(
    held: Sequence[Example],
    always: Sequence[Example],
    fit: Callable[[Sequence[Example], int], Pipeline],
    seed: int,
    folds: int = FOLDS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold probabilities (n x LABELS), guarded confidences and fold numbers for `held`.

    Probabilities are calibrated as the shipped model is (one temperature fitted on real
    out-of-fold margins), cross-fitted: fold k's temperature comes from the other folds only.
    `fit` need not calibrate (train.fit_uncalibrated skips the inner calibration fits).
    """
    scores, evidence, fold_of = out_of_fold_margins(held, always, fit, seed, folds)
    proba, confidence, betas = calibration.cross_fitted(scores, evidence, [e.intent for e in held], fold_of)
    log.info("temperatures (beta) per fold, fitted on the other folds: %s", betas)
    return proba, confidence, fold_of
