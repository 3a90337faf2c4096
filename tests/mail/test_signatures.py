"""Sign-off blocks in the Nordic languages the reply suites use (singular and plural forms alike)."""

from __future__ import annotations

import pytest

from triage.mail.signatures import split_signature


@pytest.mark.parametrize(
    "sign_off",
    [
        "Med vänlig hälsning",
        "Med vänliga hälsningar",
        "Vänlig hälsning",
        "Bästa hälsningar,",
        "Med venlig hilsen",
        "De bedste hilsner",
        "Bedste hilsner,",
        "Mvh",
    ],
)
def test_nordic_sign_off_starts_the_signature(sign_off: str) -> None:
    body, signature = split_signature(f"Hej,\n\nTack för ditt svar.\n\n{sign_off}\nAnna Andersson\n")
    assert (body, signature) == ("Hej,\n\nTack för ditt svar.", f"{sign_off}\nAnna Andersson")
