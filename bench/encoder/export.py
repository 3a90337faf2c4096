"""Export a fold's torch weights to numpy_forward's folder layout (float32 and float16 copies).

Run (torch venv): /tmp/enc-venv/bin/python bench/encoder/export.py [--work DIR] [--fold 0]
Needs <work>/out/fold{k}.pt (train_folds.py --save-model); writes <work>/out/fold{k}_np and fold{k}_np16.
"""

from __future__ import annotations

import argparse
import shutil

import layout
import torch
from safetensors.torch import save_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    layout.add_work(parser)
    parser.add_argument("--fold", type=int, default=0)
    args = parser.parse_args()
    work = layout.work(args)
    out = layout.out(work)
    state = torch.load(out / f"fold{args.fold}.pt")
    for dtype, name in [(torch.float32, f"fold{args.fold}_np"), (torch.float16, f"fold{args.fold}_np16")]:
        folder = out / name
        folder.mkdir(exist_ok=True)
        tensors = {k.removeprefix("bert."): v.to(dtype).contiguous() for k, v in state.items() if v.is_floating_point()}
        save_file(tensors, str(folder / "model.safetensors"))
        for f in ("config.json", "tokenizer.json"):
            shutil.copy(layout.base(work) / f, folder / f)
        print(folder, f"{(folder / 'model.safetensors').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
