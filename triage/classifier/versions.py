"""Library versions recorded beside a model, and the check made when it is loaded."""

from __future__ import annotations

import logging
import platform
from importlib.metadata import version
from typing import Any

from triage.classifier.store import ModelError

log = logging.getLogger(__name__)

RECORDED = ("scikit-learn", "numpy", "scipy", "skops")


class ModelMismatch(ModelError):
    """The artifact was built with a scikit-learn whose major.minor differs from ours."""


def running_versions() -> dict[str, str]:
    """Versions of Python and of the libraries that shape a fitted Pipeline."""
    return {"python": platform.python_version(), **{name: version(name) for name in RECORDED}}


def _major_minor(text: str) -> tuple[str, ...]:
    return tuple(text.split(".")[:2])


def check(recorded: dict[str, Any], name: str) -> None:
    """Fail on a scikit-learn major.minor mismatch; warn on any other difference."""
    running = running_versions()
    built = recorded.get("scikit-learn")
    if not built:
        raise ModelMismatch(f"model {name}: sidecar records no scikit-learn version")
    if _major_minor(built) != _major_minor(running["scikit-learn"]):
        raise ModelMismatch(
            f"model {name} was trained with scikit-learn {built} but {running['scikit-learn']} "
            "is installed; retrain it (python -m triage.classifier.cli train) or install "
            f"scikit-learn=={built}"
        )
    for lib, have in running.items():
        if recorded.get(lib) and _major_minor(recorded[lib]) != _major_minor(have):
            log.warning("model %s was built with %s %s; running %s", name, lib, recorded[lib], have)
