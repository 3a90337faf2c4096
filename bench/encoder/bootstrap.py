"""Paired bootstrap over sources (groups) of the macro-F1 difference: average / cascade vs TF-IDF alone.

Run: .venv/bin/python bench/encoder/bootstrap.py [--work DIR]  (score.py's inputs)
Resamples the real set's sources with replacement (2,000 draws, seed 0), scores both variants on the same draw.
"""

from __future__ import annotations

import argparse

import layout
import numpy as np
from sklearn.metrics import f1_score

from triage.classifier import calibration, crossval, realmail
from triage.classifier.corpus import LABELS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    layout.add_work(parser)
    work = layout.work(parser.parse_args())
    real = realmail.read(realmail.locate())
    p = layout.predictions(work)
    fold, truth, pt, ct, logits = p.fold, p.truth, p.proba, p.confidence, p.logits
    m = ~np.isnan(logits).any(1)
    groups = np.array([crossval.group_of(e) for e in real])[m]
    truth, pt, ct, fold, logits = truth[m], pt[m], ct[m], fold[m], logits[m]
    pe, _, _ = calibration.cross_fitted(logits.astype(float), np.ones(len(truth)), truth, fold)
    pa = (pt + pe) / 2
    fast = ct >= 0.6
    pc = np.where(fast[:, None], pt, pa)
    L = np.array(LABELS)
    preds = {
        "tfidf": L[pt.argmax(1)],
        "encoder": L[pe.argmax(1)],
        "average": L[pa.argmax(1)],
        "cascade c=0.6": L[pc.argmax(1)],
    }
    uniq = np.unique(groups)
    index = {g: np.flatnonzero(groups == g) for g in uniq}
    rng = np.random.default_rng(0)
    diffs = {k: [] for k in preds if k != "tfidf"}
    for _ in range(2000):
        idx = np.concatenate([index[g] for g in rng.choice(uniq, len(uniq))])
        base = f1_score(truth[idx], preds["tfidf"][idx], average="macro", labels=list(LABELS), zero_division=0)
        for k in diffs:
            diffs[k].append(
                f1_score(truth[idx], preds[k][idx], average="macro", labels=list(LABELS), zero_division=0) - base
            )
    print(f"{m.sum()} messages, {len(uniq)} sources")
    for k, d in diffs.items():
        d = np.array(d)
        print(
            f"{k} - tfidf macro-F1: mean {d.mean():+.3f}, "
            f"95% CI [{np.percentile(d, 2.5):+.3f}, {np.percentile(d, 97.5):+.3f}], P(<=0) {np.mean(d <= 0):.2f}"
        )


if __name__ == "__main__":
    main()
