"""Read the team-written training corpus (models/corpus/*.jsonl) and fingerprint it."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from triage.db.enums import Intent
from triage.errors import BadInput

log = logging.getLogger(__name__)

LABELS: tuple[str, ...] = tuple(intent.value for intent in Intent)  # the one Intent, in its order


class Example(NamedTuple):
    """One labelled message; indexable as (subject, body, intent) like any training record."""

    subject: str
    body: str
    intent: str
    id: str = ""
    source: str = ""


def read_jsonl(path: Path) -> list[Example]:
    """Read one corpus file; a bad line is an error that names the file and line."""
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                example = Example(
                    row.get("subject") or "", row["body"], row["intent"], str(row.get("id", "")), path.name
                )
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise BadInput(f"{path}:{number}: not a corpus record ({exc})") from exc
            if example.intent not in LABELS:
                raise BadInput(f"{path}:{number}: unknown intent {example.intent!r}")
            examples.append(example)
    return examples


def read_corpus(folder: Path) -> list[Example]:
    """Read every *.jsonl in folder, in name order."""
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise BadInput(f"no *.jsonl corpus files in {folder}")
    examples: list[Example] = []
    for path in files:
        rows = read_jsonl(path)
        log.info("corpus file %s: %d examples", path.name, len(rows))
        examples.extend(rows)
    return examples


def as_examples(records: Iterable[Sequence[str]], source: str = "") -> list[Example]:
    """Accept any (subject, body, intent) records: tuples, Examples, corrections."""
    examples = []
    for record in records:
        if isinstance(record, Example):
            examples.append(record)
            continue
        subject, body, intent = record[0], record[1], record[2]
        if intent not in LABELS:
            raise BadInput(f"unknown intent {intent!r}")
        examples.append(Example(subject or "", body or "", intent, "", source))
    return examples


def data_hash(examples: Iterable[Sequence[str]]) -> str:
    """sha256 over the sorted (intent, subject, body) records: same data, same hash."""
    lines = sorted(json.dumps([e[2], e[0], e[1]], ensure_ascii=False) for e in examples)
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
