"""Which mail system answers are about an address itself: the one rule for suppressing
an address, whether the answer comes at sending (SMTP) or later in a bounce report.

An enhanced status code (RFC 3463) is about the address when it is x.1.x (bad mailbox or
domain), x.2.1 (mailbox disabled) or x.4.4 (no route to the domain). A full mailbox
(x.2.2), a message refused (x.6.x, x.3.x) or the sender's own standing (x.7.x: a blocked
sending address, a policy) is not: such answers would refuse every address alike, and
must never empty the list of residents who get emergency alerts.
"""

from __future__ import annotations

import re

ENHANCED = re.compile(r"^[245]\.(\d{1,3})\.(\d{1,3})\b")
ABOUT_THE_ADDRESS = {("2", "1"), ("4", "4")}  # besides every x.1.x: disabled, no route


def enhanced_status(text: str) -> re.Match[str] | None:
    """The enhanced status code a reply's text or a DSN's Status field starts with."""
    return ENHANCED.match(text.strip())


def about_the_address(text: str) -> bool:
    """Whether the enhanced status ``text`` starts with is about the address itself."""
    found = enhanced_status(text)
    return found is not None and (found[1] == "1" or found.groups() in ABOUT_THE_ADDRESS)
