"""Where the encoder bench reads and writes: the repository's corpus, and a work folder outside git."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "models" / "corpus"
DEFAULT_WORK = ROOT / "var" / "encoder-bench"  # var/ is git-ignored: weights and predictions stay out of the repo


def add_work(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--work",
        type=Path,
        default=DEFAULT_WORK,
        help=f"folder for base/, out/, tfidf_oof.json and results (default {DEFAULT_WORK.relative_to(ROOT)})",
    )


def work(args: argparse.Namespace) -> Path:
    """The work folder, created."""
    args.work.mkdir(parents=True, exist_ok=True)
    return args.work


def base(work: Path) -> Path:
    """The unzipped all-MiniLM-L6-v2 weights (fetch_base.py)."""
    return work / "base"


def out(work: Path) -> Path:
    """Per-fold out-of-fold logits and weights (train_folds.py)."""
    return work / "out"


@dataclass
class Predictions:
    """Both models' out-of-fold outputs on the real set, in the dump's order."""

    ids: list[str]
    fold: np.ndarray
    truth: np.ndarray
    proba: np.ndarray  # TF-IDF, calibrated
    confidence: np.ndarray  # TF-IDF, with its evidence guard
    logits: np.ndarray  # encoder; NaN rows where its fold has not been trained


def predictions(work: Path) -> Predictions:
    """<work>/tfidf_oof.json (bench/classify_real.py --dump) and the encoder's <work>/out/fold?.npz."""
    rows = json.loads((work / "tfidf_oof.json").read_text())
    proba = np.array([r["proba"] for r in rows])
    logits = np.full_like(proba, np.nan)
    for f in sorted(out(work).glob("fold?.npz")):
        d = np.load(f)
        logits[d["test_idx"]] = d["logits"]
    return Predictions(
        [r["id"] for r in rows],
        np.array([r["fold"] for r in rows]),
        np.array([r["truth"] for r in rows]),
        proba,
        np.array([r["confidence"] for r in rows]),
        logits,
    )
