"""A torch-free forward pass of a sentence encoder: BERT (all-MiniLM-L6-v2), mean pooling, a linear head.

A bench module, not product code: the encoder experiment of issue 14 (bench/encoder/README.md)
measured it as the slow path of a cascade behind the TF-IDF model, and the product does not ship
it. numpy over safetensors weights and the `tokenizers` package over tokenizer.json, so it needs
neither torch nor onnxruntime. Weights are read as stored (float32, or float16: half the size,
logits within ~2e-3) and computed in float32.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import erf

from triage.classifier.store import ModelError

MAX_TOKENS = 128
_BATCH = 8  # measured: 53 msg/s and +70 MB peak at 8; 32 is no faster and peaks +180 MB


@dataclass(frozen=True)
class Layer:
    qkv: np.ndarray  # (hidden, 3 * hidden), transposed for x @ w
    qkv_bias: np.ndarray
    attention_out: np.ndarray
    attention_out_bias: np.ndarray
    attention_norm: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    output_norm: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Encoder:
    tokenizer: Any  # tokenizers.Tokenizer (optional dependency, imported in load)
    heads: int
    eps: float
    words: np.ndarray
    positions: np.ndarray
    token_type: np.ndarray
    embedding_norm: tuple[np.ndarray, np.ndarray]
    layers: tuple[Layer, ...]
    head: np.ndarray | None  # (hidden, labels); None: return the pooled embedding
    head_bias: np.ndarray | None

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Head outputs (or pooled embeddings without a head) for each text, in order."""
        encoded = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        width = self.head.shape[1] if self.head is not None else self.words.shape[1]
        out = np.zeros((len(encoded), width), dtype=np.float32)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))  # similar lengths: little padding
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            out[rows] = self._forward([encoded[i] for i in rows])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1.0
        x = self.words[ids] + self.positions[:length] + self.token_type
        x = _norm(x, *self.embedding_norm, self.eps)
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)  # padding gets no attention
        for layer in self.layers:
            x = self._layer(x, layer, bias)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        if self.head is None:
            return pooled
        return pooled @ self.head + self.head_bias

    def _layer(self, x: np.ndarray, layer: Layer, bias: np.ndarray) -> np.ndarray:
        batch, length, hidden = x.shape
        size = hidden // self.heads
        qkv = (x @ layer.qkv + layer.qkv_bias).reshape(batch, length, 3, self.heads, size)
        q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        x = _norm(x + context @ layer.attention_out + layer.attention_out_bias, *layer.attention_norm, self.eps)
        up = x @ layer.up + layer.up_bias
        up = 0.5 * up * (1.0 + erf(up / np.float32(np.sqrt(2.0))))  # BERT's exact GELU
        return _norm(x + up @ layer.down + layer.down_bias, *layer.output_norm, self.eps)


def _norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + np.float32(eps)) * weight + bias


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a .safetensors file: an 8-byte header length, a JSON header, raw little-endian data."""
    data = Path(path).read_bytes()
    size = int.from_bytes(data[:8], "little")
    try:
        header = json.loads(data[8 : 8 + size])
    except ValueError as exc:
        raise ModelError(f"{path}: not a safetensors file") from exc
    start = 8 + size
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        if spec["dtype"] not in _DTYPES:
            raise ModelError(f"{path}: {name} has dtype {spec['dtype']}, expected one of {sorted(_DTYPES)}")
        begin, end = spec["data_offsets"]
        dtype = np.dtype(_DTYPES[spec["dtype"]])
        count = (end - begin) // dtype.itemsize
        tensors[name] = np.frombuffer(data, dtype, count=count, offset=start + begin).reshape(spec["shape"])
    return tensors


def check(folder: Path, expected: dict[str, str]) -> None:
    """Refuse weights whose files differ from the recorded SHA-256 (file name -> hex digest)."""
    for name, digest in expected.items():
        actual = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if actual != digest:
            raise ModelError(f"{folder / name}: sha256 {actual}, expected {digest}")


def load(folder: Path, max_tokens: int = MAX_TOKENS, expected: dict[str, str] | None = None) -> Encoder:
    """Read config.json, model.safetensors (BERT keys, optional head.weight/head.bias) and tokenizer.json."""
    folder = Path(folder)
    if expected:
        check(folder, expected)
    # Lazy: `tokenizers` is not a project dependency; the reader and the hash check work without it.
    from tokenizers import Tokenizer

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    raw = read_safetensors(folder / "model.safetensors")
    weights = {k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items() if v.dtype.kind == "f"}
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()

    def norm(prefix: str) -> tuple[np.ndarray, np.ndarray]:
        return weights[f"{prefix}.weight"], weights[f"{prefix}.bias"]

    layers = []
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        parts = [f"{p}.attention.self.{name}" for name in ("query", "key", "value")]
        layers.append(
            Layer(
                qkv=np.ascontiguousarray(np.concatenate([weights[f"{n}.weight"] for n in parts]).T),
                qkv_bias=np.concatenate([weights[f"{n}.bias"] for n in parts]),
                attention_out=np.ascontiguousarray(weights[f"{p}.attention.output.dense.weight"].T),
                attention_out_bias=weights[f"{p}.attention.output.dense.bias"],
                attention_norm=norm(f"{p}.attention.output.LayerNorm"),
                up=np.ascontiguousarray(weights[f"{p}.intermediate.dense.weight"].T),
                up_bias=weights[f"{p}.intermediate.dense.bias"],
                down=np.ascontiguousarray(weights[f"{p}.output.dense.weight"].T),
                down_bias=weights[f"{p}.output.dense.bias"],
                output_norm=norm(f"{p}.output.LayerNorm"),
            )
        )
    head = weights.get("head.weight")
    return Encoder(
        tokenizer=tokenizer,
        heads=config["num_attention_heads"],
        eps=float(config.get("layer_norm_eps", 1e-12)),
        words=weights["embeddings.word_embeddings.weight"],
        positions=weights["embeddings.position_embeddings.weight"],
        token_type=weights["embeddings.token_type_embeddings.weight"][0],
        embedding_norm=norm("embeddings.LayerNorm"),
        layers=tuple(layers),
        head=None if head is None else np.ascontiguousarray(head.T),
        head_bias=weights.get("head.bias"),
    )
