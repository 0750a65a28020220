"""Where responses to a statutory notice go, shown so that residents can act on it.

Officers write ``Respond-To`` as an email address, a web address or a postal address;
the first two become links (an email's subject quotes the notice's reference, as
councils ask), the third stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
WEB = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)


@dataclass(frozen=True)
class RespondTo:
    text: str
    href: str | None  # None: a postal address, shown as text


def respond_to(value: str, reference: str = "") -> RespondTo:
    text = " ".join(value.split())
    if EMAIL.match(text):
        subject = f"?subject={quote(reference, safe='')}" if reference else ""
        return RespondTo(text, f"mailto:{text}{subject}")
    if WEB.match(text):
        return RespondTo(text, text)
    return RespondTo(text, None)
