"""Each email as real MIME: the site's rendered email, personalised and signed off.

multipart/alternative (plain text, then HTML), the subscriber's own manage and unsubscribe
links, ``List-Unsubscribe`` (HTTPS) with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058), Message-ID and Date, and non-ASCII subjects encoded by the email package.
Header values are checked for line breaks, so no text can add a header.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, make_msgid
from typing import Any

# The email package's older API (compat32) is several times faster than EmailMessage for
# building and writing many messages; headers are not folded below RFC 5322's 998
# characters, so the unsubscribe URL stays on one line for every mail provider.
POLICY = compat32.clone(max_line_length=998, linesep="\r\n")
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP  # quoted-printable keeps the whole message 7-bit
MAX_ENCODED_WORD = 75  # RFC 2047, section 2
# What the build leaves in each email for the backend to fill in, per resident (the notify
# manifest lists them as its ``placeholders``).
PLACEHOLDERS = {
    "manage_url": "((manage_url))",
    "unsubscribe_url": "((unsubscribe_url))",
    "not_translated": "((not_translated))",  # the item's not_translated line, or nothing
}


class HeaderInjection(ValueError):
    """A header value with a line break: refused, never sent."""


@dataclass(frozen=True)
class Envelope:
    sender: str  # MAIL_FROM, e.g. 'Dover District Council <noticeboard@example.org>'
    recipient: str
    manage_url: str
    unsubscribe_url: str
    list_id: str  # e.g. 'noticeboard.example.org'
    # The line (in the resident's language, ``reader_lang``) saying the item is not
    # translated into it.
    not_translated: str = ""
    reader_lang: str = ""


def encoded_words(text: str) -> str:
    """RFC 2047 encoded-words of at most 75 characters each, folded onto lines of their own
    (one long word would be over RFC 2047's limit, and some clients show it raw)."""
    return Header(text, "utf-8").encode(maxlinelen=MAX_ENCODED_WORD, linesep="\r\n")


def _header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjection("a header value contains a line break")
    return value


def personalise(text: str, envelope: Envelope, for_html: bool) -> str:
    links = {"manage_url": envelope.manage_url, "unsubscribe_url": envelope.unsubscribe_url}
    for name, url in links.items():
        text = text.replace(PLACEHOLDERS[name], html.escape(url, quote=True) if for_html else url)
    note = envelope.not_translated
    if for_html:
        lang = html.escape(envelope.reader_lang, quote=True)
        paragraph = (
            f'<p style="margin:0 0 16px;" lang="{lang}" dir="auto">{html.escape(note)}</p>'
            if note
            else ""
        )
        return text.replace(PLACEHOLDERS["not_translated"], paragraph)
    return text.replace(PLACEHOLDERS["not_translated"] + "\n", f"{note}\n\n" if note else "")


ITEM_HEADER = "X-Noticeboard-Item"  # which item a message is about, for delivery counts


def build_message(
    email: Mapping[str, Any], envelope: Envelope, now: datetime, item_id: str | None = None
) -> Message:
    """``email`` is a version's ``email`` from the notify manifest."""
    message = MIMEMultipart("alternative", policy=POLICY)
    message["From"] = _header(envelope.sender)
    message["To"] = _header(envelope.recipient)
    subject = " ".join(str(email["subject"]).split())
    message["Subject"] = subject if subject.isascii() else encoded_words(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=envelope.list_id)
    message["List-Id"] = _header(f"<{envelope.list_id}>")
    message["List-Unsubscribe"] = _header(f"<{envelope.unsubscribe_url}>")
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    if item_id:
        message[ITEM_HEADER] = _header(item_id)
    text = personalise(email["text"], envelope, for_html=False)
    html_body = personalise(email["html"], envelope, for_html=True)
    for body, subtype in ((text, "plain"), (html_body, "html")):
        part = MIMENonMultipart("text", subtype, policy=POLICY)
        part.set_payload(body, UTF8_QP)
        message.attach(part)
    return message
