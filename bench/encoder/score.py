"""Score TF-IDF / encoder / average / cascade on the out-of-fold predictions (same grouped folds).

Run: .venv/bin/python bench/encoder/score.py [--work DIR]  (the main venv is enough: no torch)
Needs <work>/tfidf_oof.json (.venv/bin/python bench/classify_real.py --dump <work>/tfidf_oof.json) and
<work>/out/fold*.npz (train_folds.py). Only folds with encoder logits are scored (partial runs say so); the
TF-IDF row is restricted to the same messages. Writes <work>/scores.json; the last line is the summary.
"""

from __future__ import annotations

import argparse
import json

import layout
import numpy as np
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression

from triage.classifier import calibration, costs, crossval, realmail
from triage.classifier.corpus import LABELS
from triage.classifier.evaluate import scores
from triage.classifier.train import lane_figures


def figures(name, truth, proba, confidence, fold, slow=None):
    predicted = np.array(LABELS)[proba.argmax(1)]
    result = scores(truth, predicted, list(LABELS))
    if len(np.unique(fold)) > 1:
        lanes = lane_figures(truth, proba, confidence, fold)
    else:  # thresholds come from the other folds: none yet
        lanes = {
            "must_kept": float("nan"),
            "review_share": float("nan"),
            "review_thresholds": [],
            "must_thresholds": [],
        }
    # Review share at equal kept: the smallest Review over the threshold grid keeping >= 95% of
    # must-answer mail, chosen on these same predictions (optimistic, equally so for every variant).
    is_must = np.isin(truth, list(costs.MUST_ANSWER))
    must = costs.must_answer_proba(proba, LABELS)
    best = 1.0
    for review_t in np.round(np.arange(costs.REVIEW_FLOOR, 0.96, 0.05), 2):
        confident = confidence >= review_t
        for must_t in np.round(np.arange(0.95, 0.0, -0.01), 2):
            if costs.kept(predicted, must, confident, must_t)[is_must].mean() >= 0.95:
                best = min(best, float(costs.review(predicted, must, confident, must_t).mean()))
                break
    return {
        "review_at_95": round(best, 3),
        "name": name,
        "macro_f1": round(result["macro_f1"], 3),
        "acc": round(float((predicted == truth).mean()), 3),
        "kept": lanes["must_kept"],
        "review": lanes["review_share"],
        "slow": None if slow is None else round(float(np.mean(slow)), 3),
        "thresholds": (lanes["review_thresholds"], lanes["must_thresholds"]),
        "per_label": {k: round(v["f1"], 2) for k, v in result.get("per_label", {}).items()}
        if "per_label" in result
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    layout.add_work(parser)
    work = layout.work(parser.parse_args())
    out = layout.out(work)
    real = realmail.read(realmail.locate())
    p = layout.predictions(work)
    assert p.ids == [e.id for e in real]
    folds = crossval.grouped_folds(real, seed=42)
    fold_all = p.fold
    for k, (_, test) in enumerate(folds):
        assert (fold_all[test] == k).all(), "TF-IDF dump folds differ from grouped_folds(seed=42)"
    truth_all, pt_all, ct_all, logits_all = p.truth, p.proba, p.confidence, p.logits
    have = sorted({int(k) for k in fold_all[~np.isnan(logits_all).any(1)]})
    mask = np.isin(fold_all, have)
    truth, pt, ct, fold, logits = truth_all[mask], pt_all[mask], ct_all[mask], fold_all[mask], logits_all[mask]
    evidence = ct / pt.max(1)  # TF-IDF's evidence guard (unreadable text), reused for the mixes
    print(f"folds with encoder logits: {have} ({mask.sum()} of {len(real)} messages)")

    raw_e = softmax(logits, axis=1)
    # Encoder probabilities calibrated like the TF-IDF ones: temperature + offsets fitted on the other folds.
    if len(have) > 1:
        pe, ce, betas = calibration.cross_fitted(logits.astype(float), np.ones(len(truth)), truth, fold)
    else:
        pe, ce, betas = raw_e, raw_e.max(1), []
    print("encoder betas per fold:", betas)

    results = [figures("TF-IDF alone", truth, pt, ct, fold)]
    results.append(figures("encoder alone (raw softmax)", truth, raw_e, raw_e.max(1), fold))
    results.append(figures("encoder alone (calibrated)", truth, pe, ce, fold))
    pa = (pt + pe) / 2
    ca = pa.max(1) * evidence
    results.append(figures("average TF-IDF + encoder", truth, pa, ca, fold))
    pg = softmax((np.log(pt + 1e-9) + np.log(pe + 1e-9)) / 2, axis=1)
    results.append(figures("geometric mean", truth, pg, pg.max(1) * evidence, fold))
    # Stack: multinomial LR on both models' log-probabilities, fitted on the other folds.
    if len(have) > 1:
        x = np.hstack([np.log(pt + 1e-9), np.log(pe + 1e-9)])
        ps = np.zeros_like(pt)
        for k in have:
            lr = LogisticRegression(C=1.0, max_iter=2000).fit(x[fold != k], truth[fold != k])
            ps[np.ix_(fold == k, [LABELS.index(c) for c in lr.classes_])] = lr.predict_proba(x[fold == k])
        results.append(figures("stack (LR on log-probs, cross-fitted)", truth, ps, ps.max(1) * evidence, fold))

    must_t = costs.must_answer_proba(pt, LABELS)
    for c, lo, hi in [
        (0.9, 0.1, 0.9),
        (0.8, 0.1, 0.9),
        (0.7, 0.15, 0.85),
        (0.6, 0.2, 0.8),
        (0.5, 0.25, 0.75),
        (0.9, 0.5, 0.5),
        (0.8, 0.5, 0.5),
        (0.7, 0.5, 0.5),
        (0.6, 0.5, 0.5),
        (0.5, 0.5, 0.5),
        (0.4, 0.5, 0.5),
    ]:
        fast = (ct >= c) & ((must_t <= lo) | (must_t >= hi))
        for slow_name, ps_, cs_ in [("average", pa, ca), ("encoder", pe, ce)]:
            pc = np.where(fast[:, None], pt, ps_)
            cc = np.where(fast, ct, cs_)
            results.append(figures(f"cascade c={c} must<={lo}|>={hi} -> {slow_name}", truth, pc, cc, fold, ~fast))

    print("| variant | macro-F1 | accuracy | must kept | Review | Review at 95% kept (in-sample) | slow-path share |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        slow = "" if r["slow"] is None else f"{r['slow']:.1%}"
        print(
            f"| {r['name']} | {r['macro_f1']:.3f} | {r['acc']:.3f} | {r['kept']:.1%} | {r['review']:.1%} "
            f"| {r['review_at_95']:.1%} | {slow} |"
        )
    (work / "scores.json").write_text(json.dumps(results, indent=1))
    for r in results[:4]:
        print(r["name"], r["thresholds"])
    average = results[3]
    runs = [json.loads((out / f"fold{k}.json").read_text()) for k in have if (out / f"fold{k}.json").exists()]
    recipe = sorted({f"{r['corpus_frac']:.0%} corpus, {r['epochs']} epochs" for r in runs})
    print(
        f"encoder average: macro-F1 {average['macro_f1']:.3f}, must-answer kept {average['kept']:.1%}, "
        f"Review {average['review']:.1%}, slow path 100% (realmail grouped {len(folds)}-fold CV, seed 42, "
        f"{mask.sum()} msgs, folds {','.join(map(str, have))}, encoder {' / '.join(recipe) or 'recipe unknown'})"
    )


if __name__ == "__main__":
    main()
