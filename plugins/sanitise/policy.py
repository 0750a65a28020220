"""What officers' Markdown may put on a page: GOV.UK typography and nothing that runs.

The allow-list is data, read both by the sanitiser (nh3, the Python binding of the Rust
crate ammonia) and by the report of what it removed (``removals.py``), so the two agree.
"""

from __future__ import annotations

import nh3

# Text, headings below the page's own h1, lists, links, tables, quotes and code: what the
# theme styles. Python-Markdown's own output (footnotes, definition lists) fits in it.
TAGS = frozenset(
    {
        *("p", "br", "hr", "h2", "h3", "h4", "blockquote", "pre", "code", "div"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("a", "abbr", "strong", "em", "b", "i", "s", "del", "ins", "sub", "sup"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
    }
)
# Removed with everything inside them, not only the tags.
CONTENT_REMOVED = frozenset({"script", "style"})
ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "ol": {"start", "reversed"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "td": {"colspan", "rowspan", "style"},
    "code": {"class"},  # Markdown's language-… class on fenced code, filtered below
    # Targets of in-page links: headings (attr_list) and footnotes.
    **{tag: {"id"} for tag in ("h2", "h3", "h4", "li", "sup")},
}
# Classes allowed by value: those Markdown's footnotes use.
CLASSES = {"div": {"footnote"}, "a": {"footnote-ref", "footnote-backref"}}
# Markdown writes table column alignment as style="text-align: …".
STYLE_PROPERTIES = frozenset({"text-align"})
# Links: web, email, and addresses on this site (relative ones, always allowed).
URL_SCHEMES = frozenset({"http", "https", "mailto"})
CODE_LANGUAGE = "language-"


def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Only ``class`` needs more than the lists above: on ``code``, a language name only."""
    if tag == "code" and attribute == "class":
        return " ".join(c for c in value.split() if c.startswith(CODE_LANGUAGE)) or None
    return value


def clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(CONTENT_REMOVED),
        attributes=ATTRIBUTES,
        attribute_filter=keep_attribute,
        allowed_classes=CLASSES,
        filter_style_properties=set(STYLE_PROPERTIES),
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
