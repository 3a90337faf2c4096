"""Read the shared set of real candidate messages (../shared/realmail/dev.jsonl) from where it lives.

They are third-party texts: read at run time for training and evaluation, never copied into the
repository. A user's clone has no ../shared, so every caller must cope with `locate` returning None.
Each record becomes an Example whose `source` is "realmail:<group>": the group (source site or
repository) is what grouped cross-validation keeps on one side of a split.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from triage.classifier.corpus import LABELS, Example
from triage.errors import BadInput

ENV_VAR = "TRIAGE_REALMAIL"
FILE_NAME = "dev.jsonl"
PREFIX = "realmail:"
_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "realmail"


def locate() -> Path | None:
    """The realmail file: $TRIAGE_REALMAIL (a folder or the file), else ../shared/realmail; None if absent."""
    configured = os.environ.get(ENV_VAR)
    candidate = Path(configured) if configured else _DEFAULT
    if candidate.is_dir():
        candidate = candidate / FILE_NAME
    if candidate.is_file():
        return candidate
    if configured:
        raise BadInput(f"{ENV_VAR}={configured} names no {FILE_NAME}")
    return None


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read(path: Path, group_field: str = "group") -> list[Example]:
    """Read labelled messages with a source group ("label" or "intent"); a bad line is an error naming it."""
    examples = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                label = row["label"] if "label" in row else row["intent"]
                group = row[group_field]
                if not isinstance(group, str) or not group:
                    raise TypeError(f"{group_field!r} must be a non-empty string")
                example = Example(
                    row.get("subject") or "", row["body"], label, str(row.get("id", number)), PREFIX + group
                )
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise BadInput(f"{path}:{number}: not a realmail record ({exc})") from exc
            if example.intent not in LABELS:
                raise BadInput(f"{path}:{number}: unknown label {example.intent!r}")
            examples.append(example)
    return examples


def is_real(example: Example) -> bool:
    return example.source.startswith(PREFIX)
