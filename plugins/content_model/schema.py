"""The content model's vocabulary: what a field and a type of content are.

The types themselves are declared in ``types/`` (one small module each) and gathered in
``registry.py``; the content check, ``make new``, the editor, the JSON Schemas, feeds,
lists, navigation, calendars and subscription topics are all derived from them (ADR 19).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .items import Item, Problem
    from .places import Places
    from .rounds import Rounds
    from .wards import Ward

Kind = Literal[
    "text",
    "summary",
    "datetime",
    "date",
    "choice",
    "choices",
    "wards",
    "rounds",
    "slug",
    "slug-ref",
    "lang",
    "yes-no",
    "polygon",
    "changes",
    "documents",
    "url",
    "document-or-link",
    "contact",
]

SUMMARY_MAX = 300
TEXT_MAX = 1000  # any other plain-text field: a venue, an instruction, an outcome
TITLE_MAX = 200
ALERT_TITLE_MAX = 140  # CAP headline, and the Google Public Alerts profile
REFERENCE_MAX = 60


@dataclass(frozen=True)
class Field:
    """One metadata field as officers write it (``Notice-Type: planning``)."""

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    help: str = ""
    example: str = ""
    # Data, not prose: a translation inherits the original's value and may not give another.
    shared: bool = False
    # Listed as a category (with its own scheme) in feeds: an alert's event, a notice's type.
    category: bool = False
    # What residents read for a choice, where its name made readable is not enough.
    labels: tuple[tuple[str, str], ...] = ()

    @cached_property
    def key(self) -> str:
        """The key as Markdown's metadata reader reports it: lower case."""
        return self.name.lower()

    @cached_property
    def attr(self) -> str:
        """The Python and template name: ``Respond-By`` is ``respond_by``."""
        return self.key.replace("-", "_")

    def label(self, choice: str) -> str:
        """A choice as residents read it (templates translate it): its label, or its name
        made readable ('road-closure' is 'Road closure')."""
        return dict(self.labels).get(choice) or choice.replace("-", " ").capitalize()


Rule = tuple[str, str]  # (field name, what is wrong)


def no_rules(values: Mapping[str, Any]) -> Iterable[Rule]:
    return ()


def no_warnings(values: Mapping[str, Any], wards: Mapping[str, Ward]) -> Iterable[Rule]:
    return ()


def no_place_rules(values: Mapping[str, Any], places: Places) -> Iterable[Rule]:
    return ()


def no_site_rules(items: Sequence[Item], default_lang: str) -> Iterable[Problem]:
    return ()


def supersedes_nothing(item: Item) -> str | None:
    return None


def no_status(item: Item, now: datetime, successor: Item | None) -> str:
    return ""


def no_events(item: Item) -> Sequence[CalendarEvent]:
    return ()


def nothing_withheld(item: Item, status: str) -> frozenset[str]:
    return frozenset()


def its_title(item: Item) -> str:
    title: str = item.values["title"]
    return title


@dataclass(frozen=True)
class CalendarEvent:
    """One event an item puts in its type's calendar; iCalendar is written from this.

    ``key`` tells the item's events apart and stays the same across rebuilds, so calendar
    apps update an event (a moved or cancelled meeting) rather than add another. A ``date``
    start is an all-day event; a ``datetime`` one is timed.
    """

    key: str
    start: date | datetime
    end: date | datetime | None
    summary: str
    description: str
    location: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class Calendar:
    """A type's iCalendar file of every item's events (``{folder}/calendar.ics``)."""

    title: str  # "changed bin collections": the calendar is "{council}: {title}"
    description: str  # "{place}" in it is "" here, " in {ward name}" in a ward's
    per_ward: bool = False  # also /wards/{ward}/{folder}.ics
    per_item: bool = False  # also /{folder}/{slug}.ics for each current item
    item_title: str = "{title}"  # its name there: "last day to comment on {title}"
    item_description: str = ""  # its description there; '' for the type's
    # An item's events in a ward's calendar, given the rounds (a bin change's moves of that
    # ward's rounds, naming what moves there); None: all of its own, if it names the ward.
    ward_events: Callable[[Item, str, Rounds], Sequence[CalendarEvent] | None] | None = None


@dataclass(frozen=True)
class ContentType:
    """A type of content, identified by its folder under ``content/``.

    Everything particular to a type is declared here, by its own module in ``types/``:
    its fields, its words, its templates and the small functions that give it behaviour.
    Code elsewhere reads these and never tests which type it has.
    """

    folder: str
    label: str  # plural, as lists and menus say it: "Emergency alerts"
    fields: tuple[Field, ...]
    singular: str = ""  # "Emergency alert"
    # Its page template, and the folder of its partials: theme/templates/types/{template}/
    # (meta.html: its line in lists; email.txt, email.html, subject.txt: its emails).
    template: str = "page"
    intro: str = ""  # the first line of its list page
    nav_label: str = ""  # in the site's menu, or '' for none
    # Its current items ("open for comments", "coming") on the home and ward pages.
    current_heading: str = ""
    none_current: str = ""
    on_home: bool = True
    # The home page shows its newest items under this heading instead ('' for current).
    latest_heading: str = ""
    none_latest: str = ""
    urgent: bool = False  # goes to every subscriber at once, and to the banner
    # Residents may choose it by text message (urgent types always may: see by_text).
    texts: bool = False
    topic_detail: str = ""  # key of the field the notify manifest gives as topic_detail
    documents: bool = False  # files under content/{folder}/documents/ that items link to
    outputs: frozenset[str] = frozenset()  # extra outputs by name: "cap"
    archive_by_year: bool = False  # /{folder}/archive/{year}/
    calendar: Calendar | None = None
    statuses: tuple[str, ...] = ()  # what status() may say, in the JSON Schema
    current_statuses: frozenset[str] = frozenset()  # which of them are current
    status: Callable[[Item, datetime, Item | None], str] = no_status
    current_order: Callable[[Item], Any] | None = None  # None: newest first
    # The order of the others in its list, latest first (None: newest published first).
    past_order: Callable[[Item], Any] | None = None
    # The statuses in which a change (a later Modified) is sent to subscribers again;
    # None for any. A past meeting's notes, say, are not news.
    changes_notified: frozenset[str] | None = None
    rules: Callable[[Mapping[str, Any]], Iterable[Rule]] = no_rules
    warnings: Callable[[Mapping[str, Any], Mapping[str, Ward]], Iterable[Rule]] = no_warnings
    # Rules between its fields and the places it names: where the wards are (their
    # outlines, when imported), the bin collection rounds.
    place_rules: Callable[[Mapping[str, Any], Places], Iterable[Rule]] = no_place_rules
    site_rules: Callable[[Sequence[Item], str], Iterable[Problem]] = no_site_rules
    supersedes: Callable[[Item], str | None] = supersedes_nothing
    events: Callable[[Item], Sequence[CalendarEvent]] = no_events
    # Its title in feeds, where readers see only the title of an entry that changed.
    headline: Callable[[Item], str] = its_title
    # Fields (attribute names) not yet published in this status: a consultation's Outcome
    # until it has closed.
    withheld: Callable[[Item, str], frozenset[str]] = nothing_withheld
    # schema.org JSON-LD for its pages, from its API record and the council's name.
    json_ld: Callable[[dict[str, Any], str], dict[str, Any]] | None = None
    # More lists in its JSON file, made from its records: name -> (function, JSON Schema).
    api_extras: Mapping[str, tuple[Callable[[list[dict[str, Any]]], Any], dict[str, Any]]] = (
        dataclass_field(default_factory=dict)
    )

    @cached_property
    def _by_key(self) -> dict[str, Field]:
        return {f.key: f for f in self.fields}

    @property
    def by_text(self) -> bool:
        """Whether residents may have it by text message: what cannot wait."""
        return self.urgent or self.texts

    def field(self, key: str) -> Field | None:
        return self._by_key.get(key)

    @property
    def json_key(self) -> str:
        """Its list's name in its JSON file: ``bin_changes``."""
        return self.folder.replace("-", "_")

    @property
    def documents_folder(self) -> str:
        return f"{self.folder}/documents"


LANG = Field(
    "Lang",
    "lang",
    default="en",
    help="Language (BCP 47 tag). The same Slug in another Lang is a translation.",
    example="cy",
)

COMMON_FIELDS: tuple[Field, ...] = (
    Field("Title", "text", required=True, help="Headline, plain text.", example="Flood warning"),
    Field(
        "Date",
        "datetime",
        required=True,
        shared=True,
        help="Publication time (Europe/London unless it has an offset). "
        "A future date holds the item back until then.",
        example="2026-11-28 09:30",
    ),
    Field(
        "Summary",
        "summary",
        required=True,
        help=f"One or two plain sentences, at most {SUMMARY_MAX} characters, "
        "used in feeds, emails and banners.",
        example="Roads near the river may flood overnight.",
    ),
    Field(
        "Wards",
        "wards",
        required=True,
        shared=True,
        help="Ward slugs from the wards file, separated by commas, or 'all'.",
        example="sandwich, little-stour-and-ashstone",
    ),
    Field("Slug", "slug", help="URL name; made from the Title when absent.", example="flood"),
    LANG,
    Field("Modified", "datetime", help="Time of the last substantive change."),
    Field(
        "Notify",
        "yes-no",
        default="yes",
        choices=("yes", "no"),
        help="Whether subscribers are emailed.",
    ),
    Field(
        "Status",
        "choice",
        default="published",
        choices=("published", "draft"),
        help="A draft is never published.",
    ),
)

PAGE_FIELDS: tuple[Field, ...] = (
    Field("Title", "text", required=True, help="Page heading."),
    Field("Summary", "summary", help="One or two sentences for search engines and lists."),
    Field("Slug", "slug", help="URL name; made from the Title when absent."),
    Field("Lang", "lang", default="en", help="Language (BCP 47 tag)."),
    Field("Status", "choice", default="published", choices=("published", "draft")),
)

PAGES = ContentType("pages", "Pages", PAGE_FIELDS, singular="Page", template="page")

# Names an item may not take because the site's own URLs use them inside a type's folder.
RESERVED_ITEM_SLUGS = frozenset({"page", "archive", "calendar", "feed", "documents"})
# The top-level folders the build writes besides the types' own (a test checks that every
# folder of a built site is a type, one of these, a page or a translation's language).
SITE_FOLDERS = frozenset(
    {"wards", "feeds", "api", "subscriptions", "theme", "search", "admin", "pagefind", "bin-days"}
)

# What each language version writes itself: which item it is, and the words every listing,
# feed, email and banner shows. A translation inherits every other field it leaves out.
WRITTEN_BY_EACH_VERSION = frozenset({"title", "summary", "slug", "lang"})
