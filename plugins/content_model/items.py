"""What the content check works on and returns: files as read, checked items, problems.

Plain data, imported by the check (``model.py``) and by each type's module in ``types/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .schema import ContentType

Slugify = Callable[[str], str]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one field of one file, printed as ``path: field: what is wrong``.

    A warning (``path: field: warning: what is missed``) does not stop publishing: it says
    what residents or emergency systems will miss.
    """

    path: str
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {'warning: ' if self.warning else ''}{self.message}"


# The field name problems with the text after the metadata (the body) are reported under.
TEXT = "Text"


@dataclass(frozen=True)
class Source:
    """A content file as read: where it is, its raw metadata (keys in lower case) and the
    text after it, whose first line is line ``body_line`` of the file."""

    path: str  # as shown to officers, e.g. content/alerts/flood.md
    source_path: str  # absolute, as Pelican knows it
    folder: str  # first folder under content/, '' for files at the top
    metadata: Mapping[str, str]
    body: str = ""
    body_line: int = 1
    # Keys written on more than one line, with those lines' numbers: Markdown would join
    # the values ("Old Hall New Hall"), so the check refuses them instead.
    repeated: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass
class Item:
    """A checked content file: typed values by attribute name, defaults filled in."""

    path: str
    source_path: str
    type: ContentType
    slug: str
    lang: str
    values: dict[str, Any] = field(default_factory=dict)
    # A translation's words taken from its original (an Instruction it leaves out): the
    # language each is in, by attribute.
    borrowed: dict[str, str] = field(default_factory=dict)

    def lang_of(self, attr: str) -> str:
        """The language the value of ``attr`` is written in."""
        return self.borrowed.get(attr, self.lang)

    def __getattr__(self, name: str) -> Any:
        # Templates read fields as attributes: item.expires, item.respond_by.
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def kind(self) -> str:
        return self.type.folder

    def affects(self, ward: str) -> bool:
        wards = self.values.get("wards", ())
        return "all" in wards or ward in wards
