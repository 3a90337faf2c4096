"""Fine-tune all-MiniLM-L6-v2 (mean pooling + linear head) per grouped fold; save out-of-fold logits.

Run (torch venv, see README): /tmp/enc-venv/bin/python bench/encoder/train_folds.py [--work DIR] [--folds 0,1,2,3,4]
    [--epochs 2] [--corpus-frac 0.4] [--save-model]
Defaults are the recipe behind the README's figures (~33 min for 5 folds on 2 cores).
Same folds as bench/classify_real.py: crossval.grouped_folds(real, seed=42).
Reads <work>/base (fetch_base.py); writes <work>/out/fold{k}.npz (test_idx, logits), fold{k}.json (timings)
and, with --save-model, fold{k}.pt (for export.py and speed.py).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import layout
import numpy as np
import torch
from inputs import MAX_LEN, encoder_text
from safetensors.torch import load_file
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

from triage.classifier import crossval, read_corpus, realmail
from triage.classifier.corpus import LABELS


def tokenizer(base: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(base / "tokenizer.json"))
    tok.enable_truncation(MAX_LEN)
    tok.no_padding()
    return tok


class Classifier(torch.nn.Module):
    def __init__(self, base: Path) -> None:
        super().__init__()
        config = BertConfig.from_json_file(str(base / "config.json"))
        self.bert = BertModel(config, add_pooling_layer=False)
        state = load_file(str(base / "model.safetensors"))
        state = {k.removeprefix("bert."): v for k, v in state.items()}
        missing, unexpected = self.bert.load_state_dict(state, strict=False)
        assert not [m for m in missing if "position_ids" not in m], missing
        self.dropout = torch.nn.Dropout(0.1)
        self.head = torch.nn.Linear(config.hidden_size, len(LABELS))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return self.head(self.dropout(pooled))


def batches(encoded: list[list[int]], order: list[int], size: int):
    for start in range(0, len(order), size):
        idx = order[start : start + size]
        width = max(len(encoded[i]) for i in idx)
        ids = torch.zeros((len(idx), width), dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):
            ids[row, : len(encoded[i])] = torch.tensor(encoded[i])
            mask[row, : len(encoded[i])] = 1
        yield idx, ids, mask


def length_buckets(encoded: list[list[int]], indices: list[int], size: int, rng: random.Random) -> list[int]:
    """Shuffle, then sort within chunks of 50 batches by length: less padding, still random."""
    indices = indices[:]
    rng.shuffle(indices)
    chunk = size * 50
    out: list[list[int]] = []
    for start in range(0, len(indices), chunk):
        part = sorted(indices[start : start + chunk], key=lambda i: len(encoded[i]))
        out.extend(part[j : j + size] for j in range(0, len(part), size))
    rng.shuffle(out)
    return [i for b in out for i in b]


def predict_logits(model: Classifier, encoded: list[list[int]], size: int = 64) -> np.ndarray:
    model.eval()
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    logits = np.zeros((len(encoded), len(LABELS)), dtype=np.float32)
    with torch.inference_mode():
        for idx, ids, mask in batches(encoded, order, size):
            logits[idx] = model(ids, mask).numpy()
    return logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    layout.add_work(parser)
    parser.add_argument("--folds", default="0,1,2,3,4")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--real-weight", type=float, default=3.0)
    parser.add_argument("--corpus-frac", type=float, default=0.4, help="share of the team corpus sampled (seed)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--save-model", action="store_true", help="keep fold weights (export.py, speed.py)")
    parser.add_argument("--out", type=Path, default=None, help="default <work>/out")
    args = parser.parse_args()
    torch.set_num_threads(2)
    work = layout.work(args)
    base = layout.base(work)
    out = args.out or layout.out(work)
    out.mkdir(parents=True, exist_ok=True)

    real = realmail.read(realmail.locate())
    corpus = read_corpus(layout.CORPUS)
    rng = random.Random(args.seed)
    if args.corpus_frac < 1.0:
        corpus = rng.sample(corpus, int(len(corpus) * args.corpus_frac))
    folds = crossval.grouped_folds(real, seed=42)
    tok = tokenizer(base)
    real_enc = [e.ids for e in tok.encode_batch([encoder_text(x.subject, x.body) for x in real])]
    corpus_enc = [e.ids for e in tok.encode_batch([encoder_text(x.subject, x.body) for x in corpus])]
    label_index = {label: i for i, label in enumerate(LABELS)}

    for k in [int(f) for f in args.folds.split(",")]:
        torch.manual_seed(args.seed + k)
        train_idx, test_idx = folds[k]
        encoded = corpus_enc + [real_enc[i] for i in train_idx]
        y = torch.tensor([label_index[x.intent] for x in corpus] + [label_index[real[i].intent] for i in train_idx])
        w = torch.tensor([1.0] * len(corpus) + [args.real_weight] * len(train_idx))
        model = Classifier(base)
        no_decay = ("bias", "LayerNorm.weight")
        groups = [
            {
                "params": [p for n, p in model.named_parameters() if not any(d in n for d in no_decay)],
                "weight_decay": 0.01,
            },
            {"params": [p for n, p in model.named_parameters() if any(d in n for d in no_decay)], "weight_decay": 0.0},
        ]
        opt = torch.optim.AdamW(groups, lr=args.lr)
        steps = args.epochs * math.ceil(len(encoded) / args.batch)
        warm = int(0.06 * steps)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt,
            lambda s, warm=warm, steps=steps: (
                (s + 1) / max(1, warm) if s < warm else max(0.0, (steps - s) / max(1, steps - warm))
            ),
        )
        started = time.perf_counter()
        step = 0
        for epoch in range(args.epochs):
            model.train()
            order = length_buckets(encoded, list(range(len(encoded))), args.batch, rng)
            total = 0.0
            for idx, ids, mask in batches(encoded, order, args.batch):
                logits = model(ids, mask)
                loss = (torch.nn.functional.cross_entropy(logits, y[idx], reduction="none") * w[idx]).sum() / w[
                    idx
                ].sum()
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                total += float(loss.detach())
                step += 1
                if step % 50 == 0:
                    print(
                        f"fold {k} epoch {epoch} step {step}/{steps} loss {total / 50:.3f} "
                        f"{time.perf_counter() - started:.0f}s",
                        flush=True,
                    )
                    total = 0.0
        train_s = time.perf_counter() - started
        t0 = time.perf_counter()
        logits = predict_logits(model, [real_enc[i] for i in test_idx])
        infer_s = time.perf_counter() - t0
        acc = float((logits.argmax(1) == np.array([label_index[real[i].intent] for i in test_idx])).mean())
        np.savez(out / f"fold{k}.npz", test_idx=test_idx, logits=logits)
        info = {
            "fold": k,
            "train_s": train_s,
            "infer_s": infer_s,
            "n_train": len(encoded),
            "n_test": len(test_idx),
            "acc": acc,
            "epochs": args.epochs,
            "lr": args.lr,
            "corpus_frac": args.corpus_frac,
        }
        (out / f"fold{k}.json").write_text(json.dumps(info))
        print(json.dumps(info), flush=True)
        if args.save_model:
            torch.save(model.state_dict(), out / f"fold{k}.pt")


if __name__ == "__main__":
    main()
