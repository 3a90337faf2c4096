"""Password policy, password and API-token hashing.

Passwords: argon2id with argon2-cffi's current defaults. API tokens are long random strings,
so a plain SHA-256 is enough to store them (no brute force possible) and allows a lookup by hash.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from triage.errors import BadInput

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

TOKEN_PREFIX = "trg_"
MIN_PASSWORD_LENGTH = 10
# The hash of an account made by an invitation whose link has not been used yet: no password matches it.
NO_PASSWORD = "!"


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_policy(password: str, email: str) -> None:
    """Raise BadInput saying why `password` is too weak for the account `email`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(set(password)) == 1:
        raise BadInput("a password cannot be one character repeated")
    lowered = password.strip().lower()
    email = email.strip().lower()
    if lowered in (email, email.partition("@")[0]):
        raise BadInput("a password cannot be the email address or the part before the @")
    # "dragon2025!" is "dragon" to anyone guessing: the list is checked with the tail stripped too.
    if lowered in common_passwords() or lowered.rstrip("0123456789!?.@#$*_-") in common_passwords():
        raise BadInput("this password is on the list of common passwords; choose a longer, rarer one")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    usable = password_hash not in (None, "", NO_PASSWORD)
    try:
        # An unknown account, or one still waiting for its invitation, costs as long as a wrong password.
        return _hasher.verify(password_hash if usable else _DUMMY_HASH, password) and usable
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> tuple[str, str]:
    """Return (token shown once to the user, hash to store)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
