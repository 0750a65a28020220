"""Purpose-bound, expiring tokens for the links in emails.

A manage or unsubscribe token carries only the address's keyed hash, so it is signed:
``base64url(json payload) . base64url(HMAC-SHA256(secret, purpose . payload))``.
A confirmation token must carry the sign-up itself (the address and the choices: nothing
is stored before the resident confirms), so it is sealed with authenticated encryption
(AES-256-GCM from ``cryptography``, the purpose as associated data): URLs, logs and
referrers reveal nothing, and any change to it is detected. Either way the purpose is
bound in, so a confirm token can never be used to unsubscribe, and the expiry is inside
what is signed or sealed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_SECRET_BYTES = 32


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"
    CONFIRM_PHONE = "confirm-phone"  # the form that takes the code sent by text


# Tokens that carry personal data, and are therefore encrypted rather than only signed.
SEALED = frozenset({Purpose.CONFIRM})
SEALED_PREFIX = "s1."  # a version, so the format can change without breaking old links
NONCE_BYTES = 12

# Confirm and manage links expire; unsubscribe links in old emails keep working for years.
LIFETIMES: dict[Purpose, timedelta | None] = {
    Purpose.CONFIRM: timedelta(days=7),
    Purpose.MANAGE: timedelta(days=7),
    Purpose.UNSUBSCRIBE: None,
    Purpose.CONFIRM_PHONE: timedelta(days=1),
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
        # A key of its own for encryption, derived from the secret, never the MAC key.
        self._aead = AESGCM(
            HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"noticeboard tokens"
            ).derive(secret)
        )

    def _mac(self, purpose: Purpose, body: str) -> str:
        message = f"{purpose.value}.{body}".encode("ascii")
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def make(self, purpose: Purpose, data: dict[str, Any], now: datetime) -> str:
        lifetime = LIFETIMES[purpose]
        payload = {"d": data, "e": int((now + lifetime).timestamp()) if lifetime else None}
        plain = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
        if purpose in SEALED:
            nonce = os.urandom(NONCE_BYTES)
            sealed = self._aead.encrypt(nonce, plain, purpose.value.encode("ascii"))
            return SEALED_PREFIX + _b64(nonce + sealed)
        body = _b64(plain)
        return f"{body}.{self._mac(purpose, body)}"

    def _open(self, token: str, purpose: Purpose) -> bytes:
        """The payload of a sealed token: only a token sealed for this purpose opens."""
        try:
            raw = _unb64(token.removeprefix(SEALED_PREFIX))
        except (binascii.Error, ValueError):
            raise TokenError("malformed") from None
        if len(raw) <= NONCE_BYTES:
            raise TokenError("malformed")
        try:
            return self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.value.encode("ascii")
            )
        except InvalidTag:
            raise TokenError("tampered") from None

    def _verify(self, token: str, purpose: Purpose) -> bytes:
        """The payload of a signed token whose MAC is right for this purpose."""
        body, _, mac = token.partition(".")
        if not body or not mac:
            raise TokenError("malformed")
        if not hmac.compare_digest(mac, self._mac(purpose, body)):
            raise TokenError("tampered")
        try:
            return _unb64(body)
        except (binascii.Error, ValueError):
            raise TokenError("malformed") from None

    def read(self, token: str, purpose: Purpose, now: datetime) -> dict[str, Any]:
        """The token's data, or TokenError: 'malformed', 'tampered' (also: wrong purpose)
        or 'expired'."""
        token = token.strip()
        if not token or len(token) > 4096 or not token.isascii():
            raise TokenError("malformed")
        plain = self._open(token, purpose) if purpose in SEALED else self._verify(token, purpose)
        try:
            payload = json.loads(plain)
        except (ValueError, UnicodeDecodeError):
            raise TokenError("malformed") from None
        if not isinstance(payload, dict):
            raise TokenError("malformed")
        expires = payload.get("e")
        if expires is not None and not isinstance(expires, int):
            raise TokenError("malformed")
        if expires is not None and now.timestamp() >= expires:
            raise TokenError("expired")
        data = payload.get("d")
        if not isinstance(data, dict):
            raise TokenError("malformed")
        return data
