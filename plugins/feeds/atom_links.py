"""A fix-up for feedgen 1.0.0, which writes only the href of an Atom entry's links
(lkiesow/python-feedgen#135): put back each link's rel and type."""

from __future__ import annotations

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
Attributes = dict[str, str]


def with_link_attributes(atom: bytes, links: dict[str, dict[str, Attributes]]) -> bytes:
    """``links``: entry id -> link href -> attributes (rel, type) for that link."""
    root = etree.fromstring(atom)
    for entry in root.iter(f"{ATOM}entry"):
        wanted = links.get(entry.findtext(f"{ATOM}id") or "", {})
        for link in entry.iter(f"{ATOM}link"):
            link.attrib.update(wanted.get(link.get("href", ""), {}))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
