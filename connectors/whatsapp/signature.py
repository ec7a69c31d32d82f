"""The webhook signature: Meta signs every webhook body with the app secret.

``X-Hub-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the raw body, keyed with the app
secret; a body whose header does not match (or a missing secret) is refused before it is read.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["verify_signature"]


def verify_signature(body: bytes, header: str, secret: str) -> bool:
    """Check a ``sha256=<hex>`` header against the HMAC-SHA256 of ``body``."""
    if not secret or not isinstance(header, str):
        return False
    algorithm, _, received = header.strip().partition("=")
    if algorithm.lower() != "sha256" or len(received) != 64:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    # Compare bytes: compare_digest refuses non-ASCII str, and a header can hold anything.
    return hmac.compare_digest(expected.encode("ascii"), received.lower().encode("utf-8"))
