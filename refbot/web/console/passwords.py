"""Password hashes: scrypt, memory-hard, with a per-password salt and its cost kept in the hash.

A stored hash reads ``scrypt$16384$8$1$<salt>$<key>`` (base64), so the cost can be raised
later and old hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# 2**14 × 8 × 128 bytes = 16 MiB of memory per hash: slow for a GPU farm, quick for a login.
N, R, P = 2**14, 8, 1
KEY_BYTES = 32
MIN_LENGTH = 10
_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``, ready to store."""
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, N, R, P)
    return "$".join(["scrypt", str(N), str(R), str(P), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if password.strip() != password:
        return "a password may not start or end with spaces"
    return None


# A hash to verify against when the username is unknown, so a login takes as long either way.
DUMMY_HASH = "$".join(["scrypt", str(N), str(R), str(P), "AAAAAAAAAAAAAAAAAAAAAA==", "A" * 43 + "="])


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
