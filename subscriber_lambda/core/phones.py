"""Mobile numbers: reading what a resident typed, the one-time code that confirms a number,
and the short code in each text's stop link.

Numbers are parsed by ``phonenumbers`` (Google's libphonenumber, kept up to date with
every country's numbering plan): written the UK way by default (07…), or in international
form for a number from elsewhere; only mobiles can take texts. They are stored in E.164
(+447…), the form every provider takes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata

import phonenumbers

from .catalogues import N_
from .texts import STOP_CODE_LENGTH  # base32 characters: short, too many to guess

DEFAULT_REGION = "GB"
MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
MAX_TYPED = 40  # longer than any number written with spaces and a country code
CODE_DIGITS = 6
CODE_ATTEMPTS = 5  # wrong codes before a number needs a new code
CODES_PER_HOUR = 5  # texted to one number, however they were asked for (codes cost money)
CODE_WINDOW = 3600  # seconds: the hour those are counted in


class PhoneError(ValueError):
    """Why a typed number cannot take texts, in words for the form."""


def normalise_phone(typed: str) -> str:
    """The mobile number in E.164, or PhoneError saying what to fix."""
    typed = typed.strip()
    if len(typed) > MAX_TYPED:
        raise PhoneError(N_("Enter a mobile phone number, like 07123 456 789"))
    try:
        number = phonenumbers.parse(typed, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise PhoneError(N_("Enter a mobile phone number, like 07123 456 789")) from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(
            N_("Enter a real mobile phone number, like 07123 456 789, or +48 for abroad")
        )
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneError(N_("Enter a mobile phone number: texts cannot go to a landline"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(number: str) -> str:
    """A number as pages show it back: enough to recognise, not to read off a screen."""
    return "\u2022" * 4 + " " + number[-3:]


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(key: bytes, number_hash: str, code: str) -> str:
    """What the store keeps of a code: keyed, and bound to its number."""
    message = f"code\0{number_hash}\0{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def typed_code(typed: str) -> str:
    """The digits of a typed code, as 0-9: residents type spaces or copy a dash, and a
    phone set to Arabic or to a Far Eastern language types Arabic-Indic or full-width
    digits."""
    digits = (unicodedata.decimal(c, None) for c in typed[:MAX_TYPED])
    return "".join(str(d) for d in digits if d is not None)[: CODE_DIGITS + 1]


def stop_code(key: bytes, number_hash: str) -> str:
    """The code in a number's stop link (``/s?c=CODE``): derived from the
    number's keyed hash, so every text to that number carries the same short link and
    nothing else needs keeping."""
    digest = hmac.new(key, f"stop\0{number_hash}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:STOP_CODE_LENGTH]
