"""What the backend needs from the built site: the choices on the forms, the postcode
lookup and the page shell (header, footer, styles, the alert banner) that its pages are
put in. The shell is read again whenever the build replaces it, so a new alert's banner
is on the subscription pages as soon as it is on the site's.

Postcode files are read through a ``SiteFiles`` reader: the site's folder when embedded,
the site's S3 bucket on Lambda (``adapters.s3_site``), where the postcode files are not
copied into the function (there may be hundreds) but fetched when a resident types one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .core.postcodes import normalise_postcode, outward_code
from .core.preferences import Choices

SHELL = "subscriptions/shell.html"
OPTIONS = "subscriptions/options.json"
POSTCODES = "api/v1/postcodes/{outward}.json"
TITLE_MARK, CONTENT_MARK = "<!--SUBSCRIPTIONS-TITLE-->", "<!--SUBSCRIPTIONS-CONTENT-->"
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
class Shell:
    """The page shell file, read when it changes. The cached (stamp, text) pair is
    replaced whole, so threads reading at once see one version or the other."""

    path: Path
    _cached: tuple[tuple[int, int], str] | None = field(default=None, repr=False)

    def text(self) -> str:
        try:
            status = self.path.stat()
        except OSError:  # gone for a moment while the site is built in place: keep the last
            cached = self._cached
            return cached[1] if cached else PLAIN_SHELL
        stamp = (status.st_mtime_ns, status.st_size)
        cached = self._cached
        if cached is None or cached[0] != stamp:
            cached = self._cached = (stamp, self.path.read_text(encoding="utf-8"))
        return cached[1]


@dataclass(frozen=True)
class SiteData:
    shell: Shell
    wards: list[tuple[str, str]]  # (slug, name)
    notice_types: list[tuple[str, str]]
    languages: list[tuple[str, str]]
    council: str
    files: SiteFiles  # where postcode files are read from
    postcodes: bool = False  # whether the site publishes a postcode lookup

    @classmethod
    def load(cls, site_dir: Path, files: SiteFiles | None = None) -> SiteData:
        """The shell and options from ``site_dir``; postcode files from ``files``, by
        default the same folder."""
        options_path = site_dir / OPTIONS
        options = (
            json.loads(options_path.read_text(encoding="utf-8")) if options_path.is_file() else {}
        )
        return cls(
            shell=Shell(site_dir / SHELL),
            wards=[(w["slug"], w["name"]) for w in options.get("wards", [])],
            notice_types=[(t["slug"], t["label"]) for t in options.get("notice_types", [])],
            languages=[(lang["tag"], lang["name"]) for lang in options.get("languages", [])]
            or [("en", "English")],
            council=options.get("council", "the council"),
            files=files or SiteFolder(site_dir),
            postcodes=bool(options.get("postcodes")),
        )

    def ward_for_postcode(self, typed: str) -> str | None:
        """The ward of a postcode from the site's published lookup, or None."""
        postcode = normalise_postcode(typed)
        if postcode is None:
            return None
        document = self.files.read(POSTCODES.format(outward=outward_code(postcode)))
        if document is None:
            return None
        ward: str | None = json.loads(document)["postcodes"].get(postcode)
        return ward

    def page(self, title: str, content: str) -> str:
        return self.shell.text().replace(TITLE_MARK, title).replace(CONTENT_MARK, content)

    def choices(self) -> Choices:
        return Choices(
            wards=[slug for slug, _ in self.wards],
            notice_types=[slug for slug, _ in self.notice_types],
            languages=[tag for tag, _ in self.languages],
            ward_for_postcode=self.ward_for_postcode,
            postcodes=self.postcodes,
        )
