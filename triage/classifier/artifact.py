"""Write and read models/intent-<date>.skops with its JSON sidecar."""

from __future__ import annotations

import json
import logging
import zipfile
from datetime import date
from pathlib import Path

import skops.io as sio

from triage.classifier import store
from triage.classifier.model import IntentModel
from triage.classifier.versions import ModelError, check
from triage.config import Settings

log = logging.getLogger(__name__)

# skops trusts plain scikit-learn/numpy types itself; these are the only others our Pipeline
# holds. Anything else in a file means it is not one of ours, so we refuse rather than trust.
ALLOWED_TYPES = frozenset(
    {
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._TemperatureScaling",
        "triage.classifier.vectorizers.CharTfidf",
        "triage.classifier.vectorizers.WordTfidf",
        "triage.classifier.features.prepare",
    }
)


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


def save(model: IntentModel, folder: Path, day: date | None = None, stem: str | None = None) -> Path:
    """Write intent-<YYYY-MM-DD>.skops (or <stem>.skops) and its .json sidecar; return the path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem or 'intent-' + (day or date.today()).isoformat()}.skops"
    sio.dump(model.pipeline, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    meta = {**model.meta, "model_file": path.name}
    sidecar_path(path).write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    log.info("saved model %s", path.name)
    return path


def load(path: Path) -> IntentModel:
    """Load a model after checking its sidecar versions and the types the file contains."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist")
    try:
        meta = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"model {path.name}: sidecar {sidecar_path(path).name} unreadable ({exc})") from exc
    check(meta.get("versions", {}), path.name)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ModelError(f"model {path.name} is not a readable skops file ({exc})") from exc
    unexpected = sorted(set(untrusted) - ALLOWED_TYPES)
    if unexpected:
        raise ModelError(f"model {path.name} holds types we do not trust: {unexpected}")
    pipeline = sio.load(path, trusted=untrusted)
    log.info("loaded model %s", path.stem)
    return IntentModel(pipeline, meta, path.stem)


def load_active(settings: Settings) -> IntentModel:
    """Load the active model: the one `store.locate` names for these settings (the workers' choice too)."""
    return load(store.locate(settings))
