"""HMAC-signed, purpose-bound, expiring tokens for the links in emails.

A token is ``base64url(json payload) . base64url(HMAC-SHA256(secret, purpose . payload))``.
The purpose is part of what is signed, so a confirm token can never be used to
unsubscribe, and the expiry is inside the signed payload. Tokens carry only what the link
needs (for a sign-up, the request itself, so nothing is stored before confirmation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

MIN_SECRET_BYTES = 32


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


# Confirm and manage links expire; unsubscribe links in old emails keep working for years.
LIFETIMES: dict[Purpose, timedelta | None] = {
    Purpose.CONFIRM: timedelta(days=7),
    Purpose.MANAGE: timedelta(days=7),
    Purpose.UNSUBSCRIBE: None,
}


class TokenError(ValueError):
    """A token that cannot be used. ``reason`` is for logs; residents see one message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"SUBSCRIBER_SECRET: needs at least {MIN_SECRET_BYTES} bytes of key")
        self._secret = secret

    def _mac(self, purpose: Purpose, body: str) -> str:
        message = f"{purpose.value}.{body}".encode("ascii")
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def make(self, purpose: Purpose, data: dict[str, Any], now: datetime) -> str:
        lifetime = LIFETIMES[purpose]
        payload = {"d": data, "e": int((now + lifetime).timestamp()) if lifetime else None}
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        return f"{body}.{self._mac(purpose, body)}"

    def read(self, token: str, purpose: Purpose, now: datetime) -> dict[str, Any]:
        """The token's data, or TokenError: 'malformed', 'tampered' (also: wrong purpose)
        or 'expired'."""
        body, _, mac = token.strip().partition(".")
        if not body or not mac or len(token) > 4096:
            raise TokenError("malformed")
        if not hmac.compare_digest(mac, self._mac(purpose, body)):
            raise TokenError("tampered")
        try:
            payload = json.loads(_unb64(body))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise TokenError("malformed") from None
        expires = payload.get("e")
        if expires is not None and now.timestamp() >= expires:
            raise TokenError("expired")
        data: dict[str, Any] = payload.get("d", {})
        return data
