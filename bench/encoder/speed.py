"""Encoder inference speed and memory on 2 threads: torch fp32, or numpy_forward (fp32 / fp16-stored weights).

Run: /tmp/enc-venv/bin/python bench/encoder/speed.py torch [--work DIR]       (<work>/out/fold0.pt)
     .venv/bin/python bench/encoder/speed.py numpy [--work DIR] [--model DIR] (default <work>/out/fold0_np;
     fold0_np16 for float16; export.py writes both; the main venv plus `tokenizers`, so no torch is loaded)
Texts: every 7th team-corpus message (512), cleaned as for training -- no real mail needed.
Prints batch msg/s (sorted by length), single-message median ms, peak RSS and RSS before the model.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import layout
from inputs import encoder_text

from triage.classifier import read_corpus


def rss_mb() -> float:
    """Current resident set size (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["torch", "numpy"])
    layout.add_work(parser)
    parser.add_argument("--model", type=Path, help="numpy_forward folder (default <work>/out/fold0_np)")
    args = parser.parse_args()
    work = layout.work(args)
    texts = [encoder_text(e.subject, e.body) for e in read_corpus(layout.CORPUS)[::7][:512]]
    before = rss_mb()
    if args.kind == "torch":
        # Lazy: the numpy path must run where torch is not installed, and must not pay for importing it.
        import torch
        from train_folds import Classifier, predict_logits, tokenizer

        torch.set_num_threads(2)
        model = Classifier(layout.base(work))
        model.load_state_dict(torch.load(layout.out(work) / "fold0.pt"))
        model.eval()
        tok = tokenizer(layout.base(work))
        name = "fold0.pt"

        def run(xs: list[str]):
            return predict_logits(model, [e.ids for e in tok.encode_batch(xs)], 32)

    else:
        import numpy_forward

        folder = args.model or layout.out(work) / "fold0_np"
        name = folder.name
        run = numpy_forward.load(folder).logits
    run(texts[:32])
    started = time.perf_counter()
    run(texts)
    batch = len(texts) / (time.perf_counter() - started)
    singles = []
    for text in texts[:100]:
        started = time.perf_counter()
        run([text])
        singles.append((time.perf_counter() - started) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.kind} {name}: batch {batch:.1f} msg/s, single median {statistics.median(singles):.1f} ms, "
        f"peak RSS {peak:.0f} MB (before loading the model {before:.0f} MB); torch imported: {'torch' in sys.modules}"
    )


if __name__ == "__main__":
    main()
