"""Score the intent recipe on real candidate mail with grouped 5-fold cross-validation.

Run: .venv/bin/python bench/classify_real.py [--seed 42] [--folds 5] [--errors]
Needs ../shared/realmail (or TRIAGE_REALMAIL). Each fold's model is trained on the whole team
corpus plus the other folds of the real set; a source (`group`) is never on both sides.
Lane figures use thresholds chosen without the fold they are applied to: for fold k, the Review
and must-answer thresholds are picked on the out-of-fold predictions of the other folds.
Prints per-label scores on the real set, a reliability table, the urgency detector's recall and
false alarms, and on its last line: macro-F1, must-answer kept (Today or Review), Review share,
urgency recall / false alarms.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
URGENT = ROOT / "models" / "eval" / "realmail_urgent.txt"  # ids only: the texts stay in ../shared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--errors", action="store_true", help="print the misclassified messages' ids and labels")
    parser.add_argument("--dump", type=Path, default=None, help="write out-of-fold predictions to this JSON file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)

    from triage.classifier import crossval, read_corpus, realmail
    from triage.classifier.corpus import LABELS
    from triage.classifier.evaluate import report, scores
    from triage.classifier.reliability import reliability_table
    from triage.classifier.train import fit_uncalibrated, lane_figures
    from triage.mail import urgency

    path = realmail.locate()
    if path is None:
        sys.exit("no ../shared/realmail/dev.jsonl and TRIAGE_REALMAIL unset: nothing real to score on")
    real = realmail.read(path)
    corpus = read_corpus(ROOT / "models" / "corpus")
    started = time.perf_counter()
    proba, confidence, fold = crossval.out_of_fold(real, corpus, fit_uncalibrated, args.seed, args.folds)
    elapsed = time.perf_counter() - started
    truth = np.array([e.intent for e in real])
    predicted = np.array(LABELS)[proba.argmax(axis=1)]
    result = scores(truth, predicted, list(LABELS))
    print(f"grouped {args.folds}-fold CV on {path} ({len(real)} messages, sha256 {realmail.sha256(path)[:12]})")
    print(f"training folds: {len(corpus)} corpus messages + the other folds of the real set; {elapsed:.0f} s")
    print(report(result, list(LABELS)))
    print()

    lanes = lane_figures(truth, proba, confidence, fold)
    print(
        f"thresholds chosen on the other folds: review {lanes['review_thresholds']}, "
        f"must-answer {lanes['must_thresholds']}"
    )
    print(
        f"must-answer kept (Today or Review) {lanes['must_kept']:.1%} of {lanes['n_must']}; "
        f"Review {lanes['review_share']:.1%}; top label alone keeps {lanes['must_kept_top_label']:.1%}"
    )
    print()
    print("reliability (top confidence bin: n, mean confidence, observed accuracy)")
    correct = (predicted == truth).astype(float)
    for row in reliability_table(confidence, correct):
        print(f"  {row['bin']:<10} {row['n']:4d}  {row['confidence']:.2f}  {row['accuracy']:.2f}")
    print()

    flags = [urgency.detect(e.subject, e.body) for e in real]
    urgent_ids = {
        line.split("\t")[0] for line in URGENT.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"
    }
    marked = np.array([e.id in urgent_ids for e in real])
    found = np.array([f is not None for f in flags])
    recall = found[marked].mean() if marked.any() else float("nan")
    false_alarms = found[~marked].mean()
    print(
        f"urgency: {marked.sum()} marked messages, {found[marked].sum()} detected; {found[~marked].sum()} false alarms"
    )
    if args.errors:
        for e, f, m in zip(real, flags, marked):
            if (f is not None) != m:
                print(f"  urgency {'missed' if m else 'false alarm'}: {e.id} ({f.reason if f else ''})")
        for e, p, c in zip(real, predicted, confidence):
            if p != e.intent:
                print(f"  {e.id}: {e.intent} -> {p} ({c:.2f})")
    if args.dump:
        rows = [
            {"id": e.id, "truth": e.intent, "confidence": float(c), "proba": list(map(float, q)), "fold": int(k)}
            for e, c, q, k in zip(real, confidence, proba, fold)
        ]
        args.dump.write_text(json.dumps(rows))
    print(
        f"realmail grouped {args.folds}-fold CV, seed {args.seed}, {len(real)} msgs: "
        f"macro-F1 {result['macro_f1']:.3f}, "
        f"must-answer kept {lanes['must_kept']:.1%}, Review {lanes['review_share']:.1%}, "
        f"urgency recall {recall:.1%} / false alarms {false_alarms:.1%}"
    )


if __name__ == "__main__":
    main()
