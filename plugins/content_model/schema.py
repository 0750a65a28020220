"""The content model: which fields each type of content has and what they may hold.

This is the contract of ``shared/design.md`` written as data, so that the validator,
the officers' documentation and (later) the web editor are all generated from one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Kind = Literal[
    "text",
    "summary",
    "datetime",
    "date",
    "choice",
    "choices",
    "wards",
    "slug",
    "slug-ref",
    "lang",
    "yes-no",
    "polygon",
    "changes",
    "documents",
]

SUMMARY_MAX = 300
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

    @cached_property
    def key(self) -> str:
        """The key as Markdown's metadata reader reports it: lower case."""
        return self.name.lower()

    @cached_property
    def attr(self) -> str:
        """The Python and template name: ``Respond-By`` is ``respond_by``."""
        return self.key.replace("-", "_")


@dataclass(frozen=True)
class ContentType:
    """A type of content, identified by its folder under ``content/``."""

    folder: str
    label: str
    fields: tuple[Field, ...]

    @cached_property
    def _by_key(self) -> dict[str, Field]:
        return {f.key: f for f in self.fields}

    def field(self, key: str) -> Field | None:
        return self._by_key.get(key)


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

ALERT_FIELDS: tuple[Field, ...] = (
    Field(
        "Event",
        "choice",
        required=True,
        choices=(
            "flooding",
            "road-closure",
            "public-health",
            "severe-weather",
            "water-supply",
            "power-outage",
            "fire",
            "pollution",
            "other",
        ),
        help="What kind of hazard.",
    ),
    Field(
        "Severity",
        "choice",
        required=True,
        choices=("extreme", "severe", "moderate", "minor"),
        help="CAP 1.2 severity.",
    ),
    Field(
        "Urgency",
        "choice",
        default="expected",
        choices=("immediate", "expected", "future", "past"),
        help="CAP 1.2 urgency.",
    ),
    Field(
        "Certainty",
        "choice",
        default="likely",
        choices=("observed", "likely", "possible", "unlikely"),
        help="CAP 1.2 certainty.",
    ),
    Field(
        "Expires",
        "datetime",
        required=True,
        help="When the alert stops applying; after it the alert leaves the banner.",
        example="2026-11-29 18:00",
    ),
    Field("Onset", "datetime", help="When the hazard begins."),
    Field("Instruction", "text", help="What residents should do, plain text."),
    Field("Area", "text", help="A plain description of the area."),
    Field(
        "Polygon",
        "polygon",
        help="CAP polygon: 'lat,lon lat,lon ...', at least four points, first = last.",
        example="51.27,1.33 51.28,1.35 51.26,1.36 51.27,1.33",
    ),
    Field("Updates", "slug-ref", help="Slug of the alert this one updates."),
    Field("Cancels", "slug-ref", help="Slug of the alert this one cancels."),
    Field(
        "Exercise",
        "yes-no",
        default="no",
        choices=("yes", "no"),
        help="'yes' marks a test or exercise; never emailed as real.",
    ),
)

NOTICE_FIELDS: tuple[Field, ...] = (
    Field(
        "Notice-Type",
        "choice",
        required=True,
        choices=(
            "environmental-protection",
            "licensing",
            "planning",
            "traffic-regulation-order",
            "public-spaces-protection-order",
            "highways",
            "elections",
            "council-tax",
            "housing",
            "other",
        ),
        help="Which kind of statutory notice.",
    ),
    Field(
        "Reference",
        "text",
        required=True,
        help=f"The council's reference, unique across notices (at most {REFERENCE_MAX} "
        "characters).",
        example="TRO/2026/041",
    ),
    Field(
        "Legislation",
        "text",
        required=True,
        help="Act and section, plain text.",
        example="Road Traffic Regulation Act 1984, section 14",
    ),
    Field("Effective", "date", help="Date the notice takes effect.", example="2026-12-07"),
    Field(
        "Respond-By",
        "date",
        help="Last date for representations or objections.",
        example="2026-12-19",
    ),
    Field(
        "Respond-To",
        "text",
        help="Where responses go: an email address, a web address or a postal address.",
        example="licensing@example.org",
    ),
    Field("Location", "text", help="Address or place description."),
    Field(
        "Documents",
        "documents",
        help="File names under content/notices/documents/, separated by commas.",
        example="tro-2026-041-plan.pdf",
    ),
)

BIN_CHANGE_FIELDS: tuple[Field, ...] = (
    Field(
        "Changes",
        "changes",
        required=True,
        help="'YYYY-MM-DD -> YYYY-MM-DD' pairs (usual day -> new day) separated by ';'.",
        example="2026-12-25 -> 2026-12-27; 2026-12-26 -> 2026-12-28",
    ),
    Field(
        "Services",
        "choices",
        default="all",
        choices=("refuse", "recycling", "food", "garden", "all"),
        help="Which collections move, separated by commas, or 'all'.",
    ),
    Field("Reason", "text", help="Why the collections move, e.g. bank holiday."),
)

PAGE_FIELDS: tuple[Field, ...] = (
    Field("Title", "text", required=True, help="Page heading."),
    Field("Summary", "summary", help="One or two sentences for search engines and lists."),
    Field("Slug", "slug", help="URL name; made from the Title when absent."),
    Field("Lang", "lang", default="en", help="Language (BCP 47 tag)."),
    Field("Status", "choice", default="published", choices=("published", "draft")),
)

ALERTS = ContentType("alerts", "Emergency alerts", COMMON_FIELDS + ALERT_FIELDS)
NOTICES = ContentType("notices", "Statutory notices", COMMON_FIELDS + NOTICE_FIELDS)
BIN_CHANGES = ContentType(
    "bin-changes", "Bin collection changes", COMMON_FIELDS + BIN_CHANGE_FIELDS
)
PAGES = ContentType("pages", "Pages", PAGE_FIELDS)

ITEM_TYPES: dict[str, ContentType] = {t.folder: t for t in (ALERTS, NOTICES, BIN_CHANGES)}
ALL_TYPES: dict[str, ContentType] = {**ITEM_TYPES, PAGES.folder: PAGES}

# Folder under content/ that holds notices' documents (served as files, never parsed).
DOCUMENTS_FOLDER = "notices/documents"

# Names an item may not take because the site's own URLs use them inside a type's folder.
RESERVED_ITEM_SLUGS = frozenset({"page", "archive", "calendar", "feed"})
# The top-level folders the build writes besides the types' own (a test checks that every
# folder of a built site is a type, one of these, a page or a translation's language).
SITE_FOLDERS = frozenset(
    {"wards", "feeds", "api", "subscriptions", "theme", "search", "admin", "pagefind"}
)
# Names a page may not take because they are the site's own top-level folders (and the
# folders of translations in the languages the council publishes in most).
RESERVED_PAGE_SLUGS = frozenset({*ITEM_TYPES, *SITE_FOLDERS, "cy", "en", "pl"})

# What each language version writes itself: which item it is, and the words every listing,
# feed, email and banner shows. A translation inherits every other field it leaves out.
WRITTEN_BY_EACH_VERSION = frozenset({"title", "summary", "slug", "lang"})

# Fields whose values are data, not prose: a translation inherits the original's, and may
# not give another.
SHARED_WITH_TRANSLATIONS = frozenset(
    {
        "date",
        "wards",
        "event",
        "severity",
        "urgency",
        "certainty",
        "expires",
        "onset",
        "polygon",
        "updates",
        "cancels",
        "exercise",
        "notice-type",
        "reference",
        "effective",
        "respond-by",
        "changes",
        "services",
    }
)
