"""Rebuild data/pooled.npy: torch's mean-pooled all-MiniLM-L6-v2 outputs for data/texts.json.

Run (torch venv): /tmp/enc-venv/bin/python bench/encoder/make_fixture.py [--work DIR]
The reference for test_numpy_forward.py, computed by transformers' BertModel on <work>/base
(fetch_base.py, SHA-256 checked), one text at a time so it has no padding.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import layout
import numpy as np
import torch
from inputs import MAX_LEN
from safetensors.torch import load_file
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

DATA = Path(__file__).resolve().parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    layout.add_work(parser)
    base = layout.base(layout.work(parser.parse_args()))
    texts = json.loads((DATA / "texts.json").read_text(encoding="utf-8"))
    tok = Tokenizer.from_file(str(base / "tokenizer.json"))
    tok.enable_truncation(MAX_LEN)
    tok.no_padding()
    model = BertModel(BertConfig.from_json_file(str(base / "config.json")), add_pooling_layer=False)
    model.load_state_dict(load_file(str(base / "model.safetensors")), strict=False)
    model.eval()
    rows = []
    with torch.inference_mode():
        for text in texts:
            ids = torch.tensor([tok.encode(text).ids])
            hidden = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            rows.append(hidden.mean(1)[0].numpy())
    np.save(DATA / "pooled.npy", np.array(rows, dtype=np.float32))
    print(f"{DATA / 'pooled.npy'}: {len(rows)} x {rows[0].shape[0]}")


if __name__ == "__main__":
    main()
