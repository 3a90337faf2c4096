"""Three ideas for the intent model on real mail, measured the way bench/classify_real.py measures.

Run: .venv/bin/python bench/classify_ideas.py [binary|pooling|corpus]... (all three by default)
Needs ../shared/realmail (or TRIAGE_REALMAIL). Same grouped 5-fold CV, seed 42, thresholds
chosen on the other folds. None of the three is shipped (models/MODEL_CARD.md says why):
- binary: a dedicated "owes a reply" LinearSVC (same features) instead of the summed
  must-answer probabilities, compared at the same kept targets;
- pooling: the whole message's margins plus a share of the best sentence's (a long, courteous
  real message hides its one line of intent among others);
- corpus: leave one team corpus file out at a time (is any file hurting on real mail?).
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEED = 42
FOLDS = 5


def _crossfit_kept(score, buried, unsure, is_must, fold, target):
    """(kept share, Review share) when fold k's score threshold keeps `target` of the other folds."""
    kept = np.zeros(len(score), dtype=bool)
    review = np.zeros(len(score), dtype=bool)
    for k in np.unique(fold):
        other, this = fold != k, fold == k
        threshold = score[other].min()
        for t in np.sort(np.unique(score[other]))[::-1]:
            if (~buried[other] | unsure[other] | (score[other] >= t))[is_must[other]].mean() >= target:
                threshold = t
                break
        kept[this] = ~buried[this] | unsure[this] | (score[this] >= threshold)
        review[this] = unsure[this] | (buried[this] & (score[this] >= threshold))
    return float(kept[is_must].mean()), float(review.mean())


def binary(real, corpus) -> str:
    from sklearn.metrics import roc_auc_score
    from sklearn.svm import LinearSVC

    from triage.classifier import costs, crossval, estimator, realmail
    from triage.classifier.corpus import LABELS
    from triage.classifier.train import REAL_WEIGHT, fit_uncalibrated

    proba, confidence, fold = crossval.out_of_fold(real, corpus, fit_uncalibrated, SEED, FOLDS)
    truth = np.array([e.intent for e in real])
    is_must = np.isin(truth, list(costs.MUST_ANSWER))
    score = np.zeros(len(real))
    for train_idx, test_idx in crossval.grouped_folds(real, SEED, FOLDS):
        train = [*corpus, *(real[i] for i in train_idx)]
        features = estimator.build(SEED, calibrated=False)[:-1]
        x = features.fit_transform([(e.subject, e.body) for e in train])
        y = np.array([e.intent in costs.MUST_ANSWER for e in train])
        weights = np.array([REAL_WEIGHT if realmail.is_real(e) else 1.0 for e in train])
        linear = LinearSVC(C=estimator.HYPERPARAMETERS["C"], class_weight="balanced", max_iter=10_000)
        linear.fit(x, y, sample_weight=weights)
        score[test_idx] = linear.decision_function(
            features.transform([(real[i].subject, real[i].body) for i in test_idx])
        )
    summed = costs.must_answer_proba(proba, LABELS)
    buried = ~np.isin(np.array(LABELS)[proba.argmax(axis=1)], list(costs.MUST_ANSWER))
    unsure = confidence < costs.REVIEW_FLOOR
    print(
        f"ROC AUC must-answer: summed probabilities {roc_auc_score(is_must, summed):.3f}, "
        f"binary {roc_auc_score(is_must, score):.3f}"
    )
    parts = []
    for target in (0.95, 0.96):
        a = _crossfit_kept(summed, buried, unsure, is_must, fold, target)
        b = _crossfit_kept(score, buried, unsure, is_must, fold, target)
        print(
            f"  keep target {target:.0%}: summed kept {a[0]:.1%} Review {a[1]:.1%}; "
            f"binary kept {b[0]:.1%} Review {b[1]:.1%}"
        )
        parts.append(f"{target:.0%}: summed {a[0]:.1%}/{a[1]:.1%} binary {b[0]:.1%}/{b[1]:.1%}")
    return "binary (kept/Review) " + "; ".join(parts)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


def pooling(real, corpus) -> str:
    from triage.classifier import calibration, crossval
    from triage.classifier.corpus import LABELS
    from triage.classifier.evaluate import scores
    from triage.classifier.features import strip_courtesy, strip_history
    from triage.classifier.model import margins
    from triage.classifier.train import fit_uncalibrated, lane_figures

    truth = np.array([e.intent for e in real])
    whole = np.zeros((len(real), len(LABELS)))
    best = np.zeros((len(real), len(LABELS)))
    evidence = np.zeros(len(real))
    fold = np.zeros(len(real), dtype=int)
    for number, (train_idx, test_idx) in enumerate(crossval.grouped_folds(real, SEED, FOLDS)):
        model = fit_uncalibrated([*corpus, *(real[i] for i in train_idx)], SEED)
        columns = [LABELS.index(c) for c in model.classes_]
        m, evidence[test_idx] = margins(model, [(real[i].subject, real[i].body) for i in test_idx])
        whole[np.ix_(test_idx, columns)] = m
        fold[test_idx] = number
        for i in test_idx:
            text = strip_courtesy(strip_history(real[i].body or ""))
            sentences = [s.strip() for s in _SENTENCE.split(text) if s and len(s.strip()) > 15] or [text]
            sentence_margins, _ = margins(model, [(real[i].subject, s) for s in sentences])
            best[i, columns] = sentence_margins.max(axis=0)
    parts = []
    for share in (0.0, 0.25, 0.5, 1.0):
        proba, confidence, _ = calibration.cross_fitted(whole + share * best, evidence, truth, fold)
        f1 = scores(truth, np.array(LABELS)[proba.argmax(axis=1)], list(LABELS))["macro_f1"]
        lanes = lane_figures(truth, proba, confidence, fold)
        print(
            f"  best sentence x {share}: macro-F1 {f1:.3f}, "
            f"kept {lanes['must_kept']:.1%}, Review {lanes['review_share']:.1%}"
        )
        parts.append(f"x{share} {f1:.3f}")
    return "pooling macro-F1 " + ", ".join(parts)


def corpus_files(real, _corpus) -> str:
    from triage.classifier import crossval, read_corpus
    from triage.classifier.corpus import LABELS
    from triage.classifier.evaluate import scores
    from triage.classifier.train import fit_uncalibrated, lane_figures

    truth = np.array([e.intent for e in real])
    source = ROOT / "models" / "corpus"
    files = sorted(p.name for p in source.glob("*.jsonl"))
    results = []
    for left_out in [None, *files]:
        with tempfile.TemporaryDirectory() as folder:
            for name in files:
                if name != left_out:
                    shutil.copy(source / name, Path(folder) / name)
            corpus = read_corpus(Path(folder))
        proba, confidence, fold = crossval.out_of_fold(real, corpus, fit_uncalibrated, SEED, FOLDS)
        f1 = scores(truth, np.array(LABELS)[proba.argmax(axis=1)], list(LABELS))["macro_f1"]
        lanes = lane_figures(truth, proba, confidence, fold)
        print(
            f"  without {left_out or '(nothing)'}: {len(corpus)} corpus messages, macro-F1 {f1:.3f}, "
            f"kept {lanes['must_kept']:.1%}, Review {lanes['review_share']:.1%}"
        )
        results.append(f1)
    return f"corpus: all files {results[0]:.3f}, leaving one out {min(results[1:]):.3f}-{max(results[1:]):.3f}"


IDEAS = {"binary": binary, "pooling": pooling, "corpus": corpus_files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ideas", nargs="*", metavar="IDEA", help=f"any of {', '.join(IDEAS)} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.ideas) - set(IDEAS))
    if unknown:
        parser.error(f"unknown idea(s) {', '.join(unknown)}; choose from {', '.join(IDEAS)}")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    from triage.classifier import read_corpus, realmail

    path = realmail.locate()
    if path is None:
        sys.exit("no ../shared/realmail/dev.jsonl and TRIAGE_REALMAIL unset: nothing real to score on")
    real = realmail.read(path)
    corpus = read_corpus(ROOT / "models" / "corpus")
    summary = []
    for name in args.ideas or IDEAS:
        print(f"{name}:")
        summary.append(IDEAS[name](real, corpus))
    print(f"realmail grouped {FOLDS}-fold CV, seed {SEED}, {len(real)} msgs: " + " | ".join(summary))


if __name__ == "__main__":
    main()
