"""Email addresses as residents type them: strict checks, one normal form, a keyed hash.

Strict because an address goes into email headers: no control characters, no spaces, no
angle brackets or commas (so it can never add a recipient or a header), and the lengths
RFC 5321 allows. Only the domain is lower-cased: local parts may be case-sensitive.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from .catalogues import N_

MAX_ADDRESS = 254
MAX_LOCAL = 64
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


class AddressError(ValueError):
    """The message is what the resident sees beside the email field."""


def normalise_address(text: str) -> str:
    address = text.strip()
    if not address:
        raise AddressError(N_("Enter your email address"))
    if len(address) > MAX_ADDRESS or any(ord(c) < 32 or ord(c) == 127 for c in address):
        raise AddressError(
            N_("Enter an email address in the correct format, like name@example.com")
        )
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or len(local) > MAX_LOCAL
        or not _LOCAL.match(local)
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise AddressError(
            N_("Enter an email address in the correct format, like name@example.com")
        )
    return f"{local}@{domain.lower()}"


def address_hash(address: str, key: bytes) -> str:
    """A keyed hash of an address: enough to honour a suppression or find a subscriber,
    useless to anyone without the key. Case-insensitive, as mailboxes in practice are."""
    return hmac.new(key, address.lower().encode("utf-8"), hashlib.sha256).hexdigest()
