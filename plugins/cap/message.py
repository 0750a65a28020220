"""CAP 1.2 messages (OASIS Common Alerting Protocol) for the council's alerts.

Pure: takes checked items and text, returns XML bytes. Meets the Google Public Alerts
profile too: a description and a web link, an Update or Cancel references every earlier
message in its chain, and the area has a polygon or geocode whenever the alert has a
Polygon or its wards have ONS codes or outlines (``make wards``: the named wards' outlines
merged into CAP polygons). Without either the area is named only (``areaDesc``, which CAP
requires): the alert is still published, and the content check warns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from plugins.content_model.london_time import LONDON
from plugins.content_model.model import Item
from plugins.content_model.outlines import Outline, area_of
from plugins.content_model.types.alerts import CAP_CATEGORY
from plugins.content_model.wards import GSS_CODE, Ward

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MIME = "application/cap+xml"
GEOCODE_NAME = "GSS"  # ONS Government Statistical Service codes: wards, local authorities

_UNSAFE = re.compile(r"[\s,<&]")


class CapSettingsError(ValueError):
    """A CAP setting that would make invalid messages."""


@dataclass(frozen=True)
class Origin:
    """Who sends the council's CAP messages, from the site's settings."""

    sender: str
    sender_name: str
    site_url: str
    authority_code: str
    contact: str | None = None

    def __post_init__(self) -> None:
        if not self.sender or _UNSAFE.search(self.sender):
            raise CapSettingsError(
                f"CAP_SENDER: '{self.sender}' must be set and have no spaces, commas, '<' or '&'"
            )
        if not self.authority_code or not GSS_CODE.match(self.authority_code):
            raise CapSettingsError(
                f"LOCAL_AUTHORITY_CODE: '{self.authority_code}' must be the council's ONS code, "
                "like E07000108; emergency systems use it to locate district-wide alerts"
            )
        if not self.site_url.startswith(("http://", "https://")):
            raise CapSettingsError(f"SITE_URL: '{self.site_url}' must be a full http(s) address")

    @property
    def host(self) -> str:
        return self.site_url.split("://", 1)[1].split("/", 1)[0]

    def identifier(self, item: Item) -> str:
        """Stable across rebuilds: the site's host and the alert's slug."""
        return f"{self.host}:alert:{item.slug}"

    def reference(self, item: Item) -> str:
        return f"{self.sender},{self.identifier(item)},{cap_time(item.values['date'])}"


@dataclass(frozen=True)
class Translation:
    """One language's text of an alert: an <info> block."""

    item: Item
    body_html: str
    web: str
    event: str  # what the alert's event is called, in this language


def cap_time(moment: datetime) -> str:
    """CAP's form: seconds and a numeric offset, never Z, no fractions."""
    return moment.astimezone(LONDON).replace(microsecond=0).isoformat()


def cap_language(lang: str) -> str:
    return "en-GB" if lang == "en" else lang


def plain_text(body_html: str) -> str:
    """Officers' Markdown, rendered, back to plain text: paragraphs and list items."""
    if not body_html.strip():
        return ""
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    blocks = []
    for element in root:
        if element.tag in ("ul", "ol"):
            blocks.append("\n".join(f"- {' '.join(li.text_content().split())}" for li in element))
        else:
            blocks.append(" ".join(element.text_content().split()))
    return "\n\n".join(b for b in blocks if b)


def event_name(event: str) -> str:
    """'road-closure' -> 'Road closure' (also for severities and notice types)."""
    return event.replace("-", " ").capitalize()


def message_type(item: Item) -> str:
    if item.values.get("cancels"):
        return "Cancel"
    return "Update" if item.values.get("updates") else "Alert"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def cap_alert(
    item: Item,
    texts: Sequence[Translation],
    earlier: Sequence[Item],
    origin: Origin,
    wards: Mapping[str, Ward],
) -> bytes:
    """The CAP 1.2 message for one alert; ``texts`` has the original first, then translations."""
    alert = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _sub(alert, "identifier", origin.identifier(item))
    _sub(alert, "sender", origin.sender)
    _sub(alert, "sent", cap_time(item.values["date"]))
    _sub(alert, "status", "Exercise" if item.values.get("exercise") else "Actual")
    _sub(alert, "msgType", message_type(item))
    _sub(alert, "scope", "Public")
    if earlier:
        _sub(alert, "references", " ".join(origin.reference(e) for e in earlier))
    for text in texts:
        _info(alert, item, text, origin, wards)
    return bytes(etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _info(
    alert: etree._Element, item: Item, text: Translation, origin: Origin, wards: Mapping[str, Ward]
) -> None:
    values, words = item.values, text.item.values
    info = _sub(alert, "info")
    _sub(info, "language", cap_language(text.item.lang))
    _sub(info, "category", CAP_CATEGORY[values["event"]])
    _sub(info, "event", text.event)
    if message_type(item) == "Cancel":
        _sub(info, "responseType", "AllClear")
    _sub(info, "urgency", values["urgency"].title())
    _sub(info, "severity", values["severity"].title())
    _sub(info, "certainty", values["certainty"].title())
    if values.get("onset"):
        _sub(info, "onset", cap_time(values["onset"]))
    _sub(info, "expires", cap_time(values["expires"]))
    _sub(info, "senderName", origin.sender_name)
    _sub(info, "headline", words["title"])
    body = plain_text(text.body_html)
    _sub(info, "description", f"{words['summary']}\n\n{body}".strip())
    if words.get("instruction"):
        _sub(info, "instruction", words["instruction"])
    _sub(info, "web", text.web)
    if origin.contact:
        _sub(info, "contact", origin.contact)
    area = _sub(info, "area")
    _sub(area, "areaDesc", words.get("area") or area_description(values["wards"], wards, origin))
    for ring in polygons(values, wards):
        _sub(area, "polygon", " ".join(f"{lat},{lon}" for lat, lon in ring))
    for code in geocodes(values["wards"], wards, origin):
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", GEOCODE_NAME)
        _sub(geocode, "value", code)


def area_description(slugs: Sequence[str], wards: Mapping[str, Ward], origin: Origin) -> str:
    if "all" in slugs:
        return f"The whole area of {origin.sender_name}"
    return ", ".join(wards[s].name for s in slugs if s in wards)


def polygons(values: Mapping[str, Any], wards: Mapping[str, Ward]) -> Outline:
    """The officer's Polygon, else the outlines of the wards named (every ward when it is
    district-wide) merged, where ``make wards`` imported them."""
    if values.get("polygon"):
        return (values["polygon"],)
    slugs = list(wards) if "all" in values["wards"] else values["wards"]
    return area_of(wards[s].outline for s in slugs if s in wards)


def geocodes(slugs: Sequence[str], wards: Mapping[str, Ward], origin: Origin) -> list[str]:
    """ONS codes of the wards named, or of the local authority when it is district-wide."""
    if "all" in slugs:
        return [origin.authority_code]
    return [code for s in slugs if s in wards and (code := wards[s].gss)]
