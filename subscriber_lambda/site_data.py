"""What the backend needs from the built site: the choices on the forms, the postcode
lookup and the page shell (header, footer, styles, the alert banner) that its pages are
put in. The shell is read again whenever the build replaces it, so a new alert's banner
is on the subscription pages as soon as it is on the site's."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .core.postcodes import normalise_postcode, outward_code
from .core.preferences import Choices

SHELL = "subscriptions/shell.html"
OPTIONS = "subscriptions/options.json"
TITLE_MARK, CONTENT_MARK = "<!--SUBSCRIPTIONS-TITLE-->", "<!--SUBSCRIPTIONS-CONTENT-->"
PLAIN_SHELL = (
    f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE_MARK}</title>'
    f"</head><body><main>{CONTENT_MARK}</main></body></html>"
)


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
    postcodes_dir: Path

    @classmethod
    def load(cls, site_dir: Path) -> SiteData:
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
            postcodes_dir=site_dir / "api" / "v1" / "postcodes",
        )

    def ward_for_postcode(self, typed: str) -> str | None:
        """The ward of a postcode from the site's published lookup, or None."""
        postcode = normalise_postcode(typed)
        if postcode is None:
            return None
        path = self.postcodes_dir / f"{outward_code(postcode)}.json"
        if not path.is_file():
            return None
        ward: str | None = json.loads(path.read_text(encoding="utf-8"))["postcodes"].get(postcode)
        return ward

    def page(self, title: str, content: str) -> str:
        return self.shell.text().replace(TITLE_MARK, title).replace(CONTENT_MARK, content)

    def choices(self) -> Choices:
        return Choices(
            wards=[slug for slug, _ in self.wards],
            notice_types=[slug for slug, _ in self.notice_types],
            languages=[tag for tag, _ in self.languages],
            ward_for_postcode=self.ward_for_postcode,
        )
