"""Locate ../shared/fixtures: the peer email corpora we are scored against.

A user's clone has no ../shared, so tests that need it skip with a reason. CI sets
TRIAGE_SHARED_FIXTURES to the folder; then a missing folder is a failure, not a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_VAR = "TRIAGE_SHARED_FIXTURES"
_DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"


def shared_fixtures_dir() -> Path:
    """Return the fixtures folder, or skip (no env var, no folder) / fail (env var, no folder)."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if not path.is_dir():
            pytest.fail(f"{ENV_VAR}={configured} is not a folder; CI requires the shared fixtures")
        return path
    if _DEFAULT.is_dir():
        return _DEFAULT
    pytest.skip(
        f"shared fixtures not found at {_DEFAULT} and {ENV_VAR} is unset "
        "(they live beside the repository in CI, not in a user's clone)"
    )
