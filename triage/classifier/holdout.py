"""The examples retraining scores models on: a fixed held-out split of the corpus, and trial subsamples."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Sequence

SPLIT_FRACTION = 0.2


def _text_hash(example) -> str:
    return hashlib.sha256(f"{example.intent}\n{example.subject}\n{example.body}".encode()).hexdigest()


def held_out_split(examples: Sequence, fraction: float = SPLIT_FRACTION) -> tuple[list, list]:
    """Split into (train, held out): per label, the fraction whose text hashes lowest.

    Ranking by hash rather than a seeded shuffle makes the split independent of file order, and
    when the corpus grows only examples near each label's cut change sides. (Any change at all
    changes the split's hash, and then `retrain` does not score an older model on the split.)
    """
    by_label: dict[str, list] = defaultdict(list)
    for example in examples:
        by_label[example.intent].append(example)
    train, held = [], []
    for label in sorted(by_label):
        ranked = sorted(by_label[label], key=_text_hash)
        cut = max(1, round(len(ranked) * fraction)) if len(ranked) > 1 else 0
        held.extend(ranked[:cut])
        train.extend(ranked[cut:])
    return train, held


def subsample(examples: Sequence, per_label: int, seed: int) -> list:
    """At most per_label examples of each label, drawn with the seed (small, quick trial runs)."""
    rng = random.Random(seed)
    by_label: dict[str, list] = defaultdict(list)
    for example in sorted(examples, key=_text_hash):
        by_label[example.intent].append(example)
    return [e for label in sorted(by_label) for e in rng.sample(by_label[label], min(per_label, len(by_label[label])))]
