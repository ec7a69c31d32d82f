"""Password hashes: Argon2id at OWASP's recommended cost, old hashes upgraded at the next sign-in.

A stored hash is Argon2's own string (``$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>``): the
cost travels with the hash, so when :data:`HASHER`'s parameters are raised an older hash still
verifies and :func:`needs_rehash` says it should be replaced — which the console does on the
librarian's next successful sign-in, with the password it has just checked. Hashes from before
Argon2 (``scrypt$N$r$p$<salt>$<key>``) verify the same way and are replaced likewise.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet (2025): Argon2id, 19 MiB of memory, 2 iterations, 1 lane.
# About 25 ms per hash here: slow for a GPU farm, unnoticeable at a login form.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_LENGTH = 10
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str) -> str:
    """A salted Argon2id hash of ``password``, ready to store."""
    return HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash (Argon2, or the older scrypt form)."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified was made at another cost or by another scheme."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if password.strip() != password:
        return "a password may not start or end with spaces"
    return None


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so a sign-in takes as long either way."""
    return HASHER.hash("no account has this password")


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _scheme, n, r, p, salt, key = stored.split("$")
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                maxmem=_SCRYPT_MAXMEM, dklen=len(base64.b64decode(key)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(key))
