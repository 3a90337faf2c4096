"""Where intent models live and which one is active: the shipped models/ folder, var/models/ACTIVE.

Retraining writes models into var/models/ and points var/models/ACTIVE at one of them; every
process (web, workers, CLI) resolves the active model through `locate`, so an activation reaches
all of them without a restart. With nothing activated, the newest shipped models/intent-*.skops
is the active one. After an activation `prune` removes the models no one will go back to.
Imports nothing heavy: the web reads the pointer and sidecar without scikit-learn.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from triage.config import Settings
from triage.errors import TriageError

log = logging.getLogger(__name__)

POINTER = "ACTIVE"
PATTERN = "intent-*.skops"


class ModelError(TriageError):
    """The model artifact is missing, unreadable or contains something we do not trust."""


def store_dir(settings: Settings) -> Path:
    """var/models: where retrained models and the ACTIVE pointer live (never committed to git)."""
    return settings.var_dir / "models"


def newest(folder: Path, name: str | None = None) -> Path:
    """Path of `name` in folder if given, else the newest intent-*.skops by date."""
    folder = Path(folder)
    if name:
        chosen = Path(name)
        if not chosen.is_absolute():
            chosen = folder / chosen
        if chosen.suffix != ".skops":
            chosen = chosen.with_name(chosen.name + ".skops")
        if not chosen.is_file():
            raise ModelError(f"model {name} not found in {folder}")
        return chosen
    # ISO dates sort as text; the mtime breaks ties between same-day names like intent-X-2.
    candidates = sorted(folder.glob(PATTERN), key=lambda p: (p.stem, p.stat().st_mtime))
    if not candidates:
        raise ModelError(f"no {PATTERN} in {folder}; run `triage train`")
    return candidates[-1]


def pointed(settings: Settings) -> str | None:
    """The file name var/models/ACTIVE names, or None when nothing has been activated."""
    try:
        name = (store_dir(settings) / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def _checked_name(name: str) -> str:
    # The pointer holds a bare file name; anything else could point outside var/models.
    if Path(name).name != name or not name.endswith(".skops") or name.startswith("."):
        raise ModelError(f"{POINTER} must name an .skops file in var/models, not {name!r}")
    return name


def locate(settings: Settings) -> Path:
    """The active model file: TRIAGE_MODEL if set, else what ACTIVE names, else the newest shipped."""
    if settings.model_name:
        return newest(settings.models_dir, settings.model_name)
    name = pointed(settings)
    if name is None:
        return newest(settings.models_dir)
    path = store_dir(settings) / _checked_name(name)
    if not path.is_file():
        raise ModelError(f"{POINTER} names {name}, which is not in {store_dir(settings)}")
    return path


def source(settings: Settings) -> str:
    """How the active model was chosen, in words: pinned, activated or shipped."""
    if settings.model_name:
        return "pinned by TRIAGE_MODEL"
    return "activated by retraining" if pointed(settings) else "shipped default"


def stamp(path: Path) -> tuple[str, int, int]:
    """What identifies a model file's content cheaply: path, mtime and size."""
    info = path.stat()
    return str(path), info.st_mtime_ns, info.st_size


def activate(settings: Settings, path: Path) -> None:
    """Point ACTIVE at path (a file in var/models); atomic, so readers see the old or the new name."""
    folder = store_dir(settings)
    path = Path(path)
    if path.parent.resolve() != folder.resolve() or not path.is_file():
        raise ModelError(f"only a model file in {folder} can be activated, not {path}")
    name = _checked_name(path.name)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".ACTIVE-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(name + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, folder / POINTER)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    log.info("activated model %s", path.stem)


def sidecar(path: Path) -> dict[str, Any]:
    """The model's JSON sidecar (scores, data hash, versions); {} when it cannot be read."""
    try:
        return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


# After an activation var/models keeps: the active model, the one it replaced (so an admin can
# roll back by pointing ACTIVE at it), and the newest KEEP_TRIALS models that were never active
# (a `triage train --corrections` trial someone may still want to compare or activate). Every
# other model that was once active is retired for good and goes. The shipped models live in
# models/, which this never touches; a file with the shipped model's name is kept all the same.
KEEP_TRIALS = 3


def prune(settings: Settings, keep: Iterable[Path] = ()) -> list[str]:
    """Remove old models from var/models after an activation; return the names removed.

    `keep`: the caller's activated model and the one it replaced. The model ACTIVE names now is
    kept as well, in case another activation came in between.
    """
    folder = store_dir(settings)
    active = locate(settings)
    if active.parent.resolve() != folder.resolve():
        return []  # nothing activated from var/models: nothing here is known to be retired
    kept = {active.name, *(Path(p).name for p in keep), *(p.name for p in Path(settings.models_dir).glob(PATTERN))}
    retired, trials = [], []
    for path in sorted(folder.glob(PATTERN), key=lambda p: (p.stem, p.stat().st_mtime)):
        if path.name not in kept:
            # Only retraining writes a "retrain" block, and only into a model it activates.
            (retired if "retrain" in sidecar(path) else trials).append(path)
    doomed = retired + trials[: max(0, len(trials) - KEEP_TRIALS)]
    for path in doomed:
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)
    if doomed:
        log.info("pruned %d old model(s) from %s", len(doomed), folder)
    return [p.stem for p in doomed]
