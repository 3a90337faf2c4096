"""Cross-fitted kept/Review trade-off: thresholds chosen on the other folds for several keep targets.

Run: .venv/bin/python bench/encoder/curve.py [--work DIR]  (score.py's inputs)
Same as train.lane_figures but with costs.choose_thresholds(target=...) varied, so variants can be compared
at equal kept.
"""

from __future__ import annotations

import argparse

import layout
import numpy as np
from scipy.special import softmax

from triage.classifier import calibration, costs
from triage.classifier.corpus import LABELS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    layout.add_work(parser)
    work = layout.work(parser.parse_args())
    p = layout.predictions(work)
    fold, truth, pt, ct, logits = p.fold, p.truth, p.proba, p.confidence, np.nan_to_num(p.logits)
    ev = ct / pt.max(1)
    pe, ce, _ = calibration.cross_fitted(logits.astype(float), np.ones(len(truth)), truth, fold)
    pa = (pt + pe) / 2
    ca = pa.max(1) * ev
    must_t = costs.must_answer_proba(pt, LABELS)
    variants = {"TF-IDF": (pt, ct), "encoder": (pe, ce), "average": (pa, ca)}
    pg = softmax((np.log(pt + 1e-9) + np.log(pe + 1e-9)) / 2, axis=1)
    variants["geometric"] = (pg, pg.max(1) * ev)
    for name, gate in [
        ("cascade c=0.9 must<=0.1|>=0.9", (ct >= 0.9) & ((must_t <= 0.1) | (must_t >= 0.9))),
        ("cascade c=0.6", ct >= 0.6),
    ]:
        variants[name + " -> average"] = (np.where(gate[:, None], pt, pa), np.where(gate, ct, ca))
    is_must = np.isin(truth, list(costs.MUST_ANSWER))
    print("| variant | " + " | ".join(f"target {t:.0%}: kept / Review" for t in (0.95, 0.96, 0.97, 0.98)) + " |")
    print("|---|---|---|---|---|")
    for name, (p, c) in variants.items():
        pred = np.array(LABELS)[p.argmax(1)]
        must = costs.must_answer_proba(p, LABELS)
        cells = []
        for target in (0.95, 0.96, 0.97, 0.98):
            kept = np.zeros(len(truth), bool)
            review = np.zeros(len(truth), bool)
            for k in np.unique(fold):
                this, other = fold == k, fold != k
                rt, mt = costs.choose_thresholds(truth[other], pred[other], must[other], c[other], target)
                conf = c[this] >= rt
                kept[this] = costs.kept(pred[this], must[this], conf, mt)
                review[this] = costs.review(pred[this], must[this], conf, mt)
            cells.append(f"{kept[is_must].mean():.1%} / {review.mean():.1%}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
