"""numpy_forward reproduces torch's forward pass; its weights are checked before use.

Run: .venv/bin/pytest -n 0 bench/encoder/test_numpy_forward.py (not collected by `make test`).
The all-MiniLM-L6-v2 weights are not in the repository: point TRIAGE_ENCODER_BASE at the folder
fetch_base.py fills (config.json, model.safetensors, tokenizer.json) and install `tokenizers`, or
those tests skip. data/pooled.npy is torch's output for data/texts.json (make_fixture.py:
transformers BertModel, mean pooled, one text at a time, no padding).
"""

import json
import os
from pathlib import Path

import numpy as np
import numpy_forward
import pytest
from fetch_base import BASE_SHA256

from triage.classifier.store import ModelError

DATA = Path(__file__).resolve().parent / "data"
# float32 sums in another order than torch's: observed differences ~2e-6 on values up to ~1.2.
TOLERANCE = 1e-4
# float16-stored weights (half the size): observed ~2e-3 on the same values.
TOLERANCE_FP16 = 1e-2
_CODES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64"}


def write_safetensors(tensors: dict[str, np.ndarray], path: Path) -> None:
    """The format read_safetensors reads: 8-byte header length, JSON header, raw data."""
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {
            "dtype": _CODES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    blob = json.dumps(header).encode()
    path.write_bytes(len(blob).to_bytes(8, "little") + blob + b"".join(chunks))


@pytest.fixture(scope="module")
def base() -> Path:
    folder = os.environ.get("TRIAGE_ENCODER_BASE")
    if not folder or not (Path(folder) / "model.safetensors").is_file():
        pytest.skip("TRIAGE_ENCODER_BASE unset or without model.safetensors (the weights are not in the repository)")
    pytest.importorskip("tokenizers", reason="`tokenizers` is not installed (pip install tokenizers)")
    return Path(folder)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return json.loads((DATA / "texts.json").read_text(encoding="utf-8"))


def copy_with(base: Path, folder: Path, tensors: dict[str, np.ndarray]) -> Path:
    """A model folder with base's config and tokenizer and the given tensors."""
    folder.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (folder / name).write_bytes((base / name).read_bytes())
    write_safetensors(tensors, folder / "model.safetensors")
    return folder


def test_read_safetensors_returns_the_written_tensors(tmp_path):
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1.5, -2.0], dtype=np.float16)}
    write_safetensors(tensors, tmp_path / "m.safetensors")
    read = numpy_forward.read_safetensors(tmp_path / "m.safetensors")
    assert {k: (v.dtype, v.tolist()) for k, v in read.items()} == {k: (v.dtype, v.tolist()) for k, v in tensors.items()}


def test_load_refuses_weights_with_another_sha256(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the weights we checked")
    with pytest.raises(ModelError, match="sha256"):
        numpy_forward.load(tmp_path, expected={"model.safetensors": BASE_SHA256["model.safetensors"]})


def test_numpy_forward_matches_torch(base, texts):
    # All texts in one padded batch: the reference had no padding, so this also checks the mask.
    pooled = numpy_forward.load(base, expected=BASE_SHA256).logits(texts)
    np.testing.assert_allclose(pooled, np.load(DATA / "pooled.npy"), atol=TOLERANCE)


def test_float16_weights_stay_close_to_torch(base, texts, tmp_path):
    half = {
        k: v.astype(np.float16) if v.dtype == np.float32 else v
        for k, v in numpy_forward.read_safetensors(base / "model.safetensors").items()
    }
    pooled = numpy_forward.load(copy_with(base, tmp_path / "fp16", half)).logits(texts)
    np.testing.assert_allclose(pooled, np.load(DATA / "pooled.npy"), atol=TOLERANCE_FP16)


def test_head_turns_pooled_embeddings_into_label_logits(base, texts, tmp_path):
    rng = np.random.default_rng(0)
    head = {
        "head.weight": rng.normal(size=(9, 384)).astype(np.float32),
        "head.bias": rng.normal(size=9).astype(np.float32),
    }
    weights = {**numpy_forward.read_safetensors(base / "model.safetensors"), **head}
    logits = numpy_forward.load(copy_with(base, tmp_path / "head", weights)).logits(texts)
    expected = np.load(DATA / "pooled.npy") @ head["head.weight"].T + head["head.bias"]
    np.testing.assert_allclose(logits, expected, atol=TOLERANCE * 20)  # 384 products summed
