"""What the backend needs from the built site: the choices on the forms, the postcode
lookup and the page shell (header, footer, styles, the alert banner) that its pages are
put in. Both are read again whenever the build replaces them, so a new alert's banner is
on the subscription pages as soon as it is on the site's, and a ward added to the wards
file is on the forms after the next build, without a restart.

Postcode files are read through a ``SiteFiles`` reader: the site's folder when embedded,
the site's S3 bucket on Lambda (``adapters.s3_site``), where the postcode files are not
copied into the function (there may be hundreds) but fetched when a resident types one.
The bin collection rounds (``api/v1/rounds``) are read through it too."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

from .core.catalogues import DEFAULT_LANGUAGE, SPEAKING
from .core.postcodes import normalise_postcode, outward_code
from .core.preferences import BIN_DAYS, Choices, located
from .languages import SPOKEN

SHELL = "subscriptions/shell.html"
SHELL_IN = "subscriptions/{lang}/shell.html"  # in each other language the site speaks
OPTIONS = "subscriptions/options.json"
POSTCODES = "api/v1/postcodes/{outward}.json"
ROUNDS = "api/v1/rounds.json"
ROUND = "api/v1/rounds/{round}.json"  # a round's collections for the next twelve months
TITLE_MARK, CONTENT_MARK = "<!--SUBSCRIPTIONS-TITLE-->", "<!--SUBSCRIPTIONS-CONTENT-->"
T = TypeVar("T")
Labels = list[tuple[str, str]]
PLAIN_SHELL = (
    f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE_MARK}</title>'
    f"</head><body><main>{CONTENT_MARK}</main></body></html>"
)


class SiteFiles(Protocol):
    def read(self, name: str) -> bytes | None:
        """The built site's file ``name`` (a path from the site's root), or None if the
        site has no such file."""


@dataclass(frozen=True)
class SiteFolder:
    """The built site's files in a local folder (embedded)."""

    root: Path

    def read(self, name: str) -> bytes | None:
        path = self.root / name
        return path.read_bytes() if path.is_file() else None


@dataclass
class WatchedFile(Generic[T]):
    """A file of the built site, read (and parsed) again whenever the build replaces it.
    The cached (stamp, value) pair is replaced whole, so threads reading at once see one
    version or the other; while the file is gone (the site being built in place), the
    last good value stays."""

    path: Path
    parse: Callable[[bytes], T]
    default: T
    _cached: tuple[tuple[int, int], T] | None = field(default=None, repr=False)

    def value(self) -> T:
        cached = self._cached
        try:
            status = self.path.stat()
            stamp = (status.st_mtime_ns, status.st_size)
            if cached is None or cached[0] != stamp:
                cached = self._cached = (stamp, self.parse(self.path.read_bytes()))
        except (OSError, ValueError):
            return cached[1] if cached else self.default
        return cached[1]


def shell_names() -> list[str]:
    """The site's files of page shells: the site's own language's, then one per other
    language the backend speaks (a site built without one uses its own language's)."""
    return [SHELL, *(SHELL_IN.format(lang=lang) for lang in SPOKEN)]


def decoded(raw: bytes) -> str:
    return raw.decode("utf-8")


@dataclass(frozen=True)
class SiteData:
    """The page shells and the form's options, as the latest build wrote them."""

    shell: WatchedFile[str]
    options: WatchedFile[dict[str, Any]]
    files: SiteFiles  # where postcode files are read from
    shells: Mapping[str, WatchedFile[str | None]] = field(default_factory=dict)  # by language
    # Files already read and parsed, by name, in a copy made for one run (``for_one_run``).
    parsed: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, site_dir: Path, files: SiteFiles | None = None) -> SiteData:
        """The shells and options from ``site_dir``; postcode files from ``files``, by
        default the same folder."""
        return cls(
            shell=WatchedFile(site_dir / SHELL, decoded, PLAIN_SHELL),
            options=WatchedFile(site_dir / OPTIONS, json.loads, {}),
            files=files or SiteFolder(site_dir),
            shells={
                lang: WatchedFile(site_dir / SHELL_IN.format(lang=lang), decoded, None)
                for lang in SPOKEN
            },
        )

    def labelled(
        self, name: str, only: Callable[[Mapping[str, Any]], bool] | None = None
    ) -> Labels:
        """(slug, name) of each of the options' ``name`` (topics, notice types), named in
        the language being spoken when the build translated it."""
        lang = SPEAKING.get()
        return [
            (entry["slug"], (entry.get("labels") or {}).get(lang, entry["label"]))
            for entry in self.options.value().get(name, [])
            if only is None or only(entry)
        ]

    @property
    def wards(self) -> list[tuple[str, str]]:
        """(slug, name) of every ward."""
        return [(w["slug"], w["name"]) for w in self.options.value().get("wards", [])]

    @property
    def topics(self) -> Labels:
        """(slug, label) of every topic: the types of content the site publishes."""
        return self.labelled("topics")

    @property
    def text_topics(self) -> Labels:
        """(slug, label) of the topics that may go by text message: urgent ones, and those
        residents need on the day (bin collection changes)."""
        return self.labelled("topics", lambda topic: bool(topic.get("texts")))

    @property
    def notice_types(self) -> Labels:
        return self.labelled("notice_types")

    @property
    def languages(self) -> list[tuple[str, str]]:
        languages = self.options.value().get("languages", [])
        return [(lang["tag"], lang["name"]) for lang in languages] or [("en", "English")]

    @property
    def interface_lang(self) -> str:
        """The site's own language: what pages speak when nothing chose another."""
        return str(self.options.value().get("interface_lang", DEFAULT_LANGUAGE))

    def home(self, lang: str) -> str:
        """The address (from the site's root) of the home page in ``lang``, or the root."""
        homes = self.options.value().get("homes") or {}
        return f"/{homes.get(lang, '')}"

    def bin_days_page(self, lang: str, round_slug: str = "") -> str:
        """The address (from the site's root) of "Find your bin days", or of a round's
        page, in ``lang`` where the site has them in it."""
        return f"{self.home(lang)}bin-days/" + (f"{quote(round_slug)}/" if round_slug else "")

    @property
    def council(self) -> str:
        return str(self.options.value().get("council", "the council"))

    @property
    def postcodes(self) -> bool:
        """Whether the site publishes a postcode lookup."""
        return bool(self.options.value().get("postcodes"))

    @property
    def bin_days(self) -> bool:
        """Whether the site publishes bin collection rounds (so residents may ask for
        reminders)."""
        return bool(self.options.value().get("bin_days"))

    def for_one_run(self, files: SiteFiles | None = None) -> SiteData:
        """A copy that reads and parses each postcode or round file once (from ``files``,
        by default the same): for a run that asks for the same few files again and again
        (a reminders run reads a postcode file per subscriber, a round's per household).
        Each run makes its own, so the next reads what the build has published since."""
        return replace(self, files=files or self.files, parsed={})

    def _json(self, name: str) -> Any:
        """A site file, parsed; None when the site has no such file."""
        if self.parsed is not None and name in self.parsed:
            return self.parsed[name]
        document = self.files.read(name)
        value = json.loads(document) if document is not None else None
        if self.parsed is not None:
            self.parsed[name] = value
        return value

    def _lookup(self, typed: str) -> tuple[str, dict[str, Any]] | None:
        """A postcode, and the site's published lookup of its outward code."""
        postcode = normalise_postcode(typed)
        if postcode is None:
            return None
        document = self._json(POSTCODES.format(outward=outward_code(postcode)))
        return (postcode, document) if document is not None else None

    def ward_for_postcode(self, typed: str) -> str | None:
        """The ward of a postcode from the site's published lookup, or None."""
        found = self._lookup(typed)
        ward: str | None = found[1]["postcodes"].get(found[0]) if found else None
        return ward

    def location_for_postcode(self, typed: str) -> tuple[float, float] | None:
        """Where a postcode is (its centroid), from the site's lookup, or None."""
        found = self._lookup(typed)
        return located((found[1].get("locations") or {}).get(found[0])) if found else None

    def rounds_for_postcode(self, typed: str) -> dict[str, str]:
        """A postcode's bin collection round for each service (service -> round slug),
        from the site's lookup; empty when it has none."""
        found = self._lookup(typed)
        rounds = (found[1].get("rounds") or {}).get(found[0]) if found else None
        return {str(service): str(slug) for service, slug in (rounds or {}).items()}

    def has_rounds(self, typed: str) -> bool:
        return bool(self.rounds_for_postcode(typed))

    def round_names(self) -> dict[str, str]:
        """Each round's name, by slug (``api/v1/rounds.json``)."""
        published = self._json(ROUNDS) or {}
        return {r["slug"]: r["name"] for r in published.get("rounds", [])}

    def round_schedule(self, slug: str) -> dict[str, Any] | None:
        """A round's published collections (``api/v1/rounds/{round}.json``), or None."""
        schedule: dict[str, Any] | None = self._json(ROUND.format(round=slug))
        return schedule

    def page(self, title: str, content: str) -> str:
        """A page in the shell of the language being spoken (the site's header, footer
        and banner in that language, ``lang`` and ``dir`` set)."""
        in_language = self.shells.get(SPEAKING.get())
        shell = (in_language.value() if in_language else None) or self.shell.value()
        return shell.replace(TITLE_MARK, title).replace(CONTENT_MARK, content)

    def choices(self, texts: bool = False) -> Choices:
        """What the forms offer; texts only when the backend has a text provider."""
        return Choices(
            topics=[slug for slug, _ in self.topics],
            text_topics=[slug for slug, _ in self.text_topics] if texts else [],
            wards=[slug for slug, _ in self.wards],
            notice_types=[slug for slug, _ in self.notice_types],
            languages=[tag for tag, _ in self.languages],
            ward_for_postcode=self.ward_for_postcode,
            postcodes=self.postcodes,
            location_for_postcode=self.location_for_postcode,
            reminders=[BIN_DAYS] if self.bin_days and self.postcodes else [],
            has_rounds=self.has_rounds,
        )
