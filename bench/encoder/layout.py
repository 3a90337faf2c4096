"""Where the encoder bench reads and writes: the repository's corpus, and a work folder outside git."""

from __future__ import annotations

import argparse
from pathlib import Path

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
