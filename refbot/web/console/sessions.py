"""Signed, expiring session cookies and the CSRF tokens bound to them.

A session cookie is ``<payload>.<signature>``: the payload (account id, the account's session
epoch, expiry time, a random nonce) in base64url JSON, the signature an HMAC-SHA256 with a key
derived from ``REFBOT_CONSOLE_SECRET``. Nothing is kept on the server; raising an account's
session epoch (logout, password change, removal) ends every cookie issued before.

The CSRF token is an HMAC of the session's nonce under a second derived key: a page knows it,
a forged cross-site form cannot. Before login, a random nonce in its own cookie plays the
session's part.

In a consortium every library's console has a signer of its own (``scope`` ``library:<id>``):
its keys are derived from the secret *and* the library, so a cookie, a CSRF token or a signed
search result made by one library's console means nothing to another's, even where account
ids coincide (each library's store numbers its accounts from 1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

SESSION_COOKIE = "refbot_console"
LOGIN_COOKIE = "refbot_console_login"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    """What a valid session cookie says."""

    account_id: int
    epoch: int
    expires: float
    nonce: str


class SessionSigner:
    """Issues and checks session cookies, CSRF tokens and signed form values."""

    def __init__(self, secret: str, *, scope: str = "", lifetime: float = SESSION_SECONDS,
                 clock: Callable[[], float] = time.time):
        root = secret.encode("utf-8")
        self._session_key = _derive(root, "session", scope)
        self._csrf_key = _derive(root, "csrf", scope)
        self._value_key = _derive(root, "form-value", scope)
        self.lifetime = lifetime
        self.clock = clock

    def issue(self, account_id: int, epoch: int) -> str:
        """A fresh cookie value for an account that just signed in."""
        payload = {"a": account_id, "e": epoch, "x": int(self.clock() + self.lifetime), "n": secrets.token_urlsafe(16)}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(self._session_key, body)}"

    def read(self, value: str) -> Session | None:
        """The session a cookie holds, or None when it is forged, malformed or expired."""
        body, _, signature = value.partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(self._session_key, body)):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(int(data["a"]), int(data["e"]), float(data["x"]), str(data["n"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > self.clock() else None

    def csrf_token(self, nonce: str) -> str:
        """The CSRF token for a session (or a login form) with this nonce."""
        return self._sign(self._csrf_key, nonce)

    def csrf_ok(self, nonce: str, token: str) -> bool:
        """Whether a submitted CSRF token belongs to this nonce."""
        return bool(nonce) and hmac.compare_digest(token.encode(), self.csrf_token(nonce).encode())

    def sign_value(self, value: str) -> str:
        """A signature for a value a page hands back in a form (a search result to add)."""
        return self._sign(self._value_key, value)

    def value_ok(self, value: str, signature: str) -> bool:
        """Whether a value came back as the server handed it out."""
        return hmac.compare_digest(signature.encode(), self.sign_value(value).encode())

    @staticmethod
    def _sign(key: bytes, text: str) -> str:
        return _b64(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest())


def _derive(root: bytes, purpose: str, scope: str = "") -> bytes:
    # One secret in the environment, a separate key per use: a CSRF token is never a session,
    # and one library's session is never another's. Without a scope: the keys of a single library, as always.
    label = f"refbot-console:{scope}:{purpose}" if scope else f"refbot-console:{purpose}"
    return hmac.new(root, label.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
