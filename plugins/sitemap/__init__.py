"""Pelican plugin: sitemap.xml (every page of the built site) and robots.txt.

Other plugins leave a page they write out of the sitemap by adding its path under the
output folder to the ``SITEMAP_EXCLUDE`` setting (the reach dashboard, for officers)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pelican import signals

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NOT_LISTED = {"404.html", "admin/index.html"}
NOT_LISTED_FOLDERS = ("subscriptions/",)  # the backend's page shells: not pages


def page_urls(output: Path, site_url: str, excluded: Iterable[str] = ()) -> list[str]:
    """The address of every HTML page, folders as '/' (as they are linked), but those
    ``excluded``."""
    not_listed = NOT_LISTED | set(excluded)
    urls = []
    for path in output.rglob("*.html"):
        relative = path.relative_to(output).as_posix()
        not_found = relative.endswith("/404.html")  # in each language
        if relative in not_listed or relative.startswith(NOT_LISTED_FOLDERS) or not_found:
            continue
        urls.append(f"{site_url}/{relative.removesuffix('index.html')}")
    return sorted(urls)


def sitemap(urls: Iterable[str]) -> str:
    entries = "".join(f"  <url><loc>{escape(url)}</loc></url>\n" for url in urls)
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
    return f"{head}{entries}</urlset>\n"


def robots(site_url: str) -> str:
    return (
        "User-agent: *\nDisallow: /subscriptions/\nDisallow: /admin/\nAllow: /\n"
        f"Sitemap: {site_url}/sitemap.xml\n"
    )


def write_sitemap(pelican: Any) -> None:
    output, site = Path(pelican.output_path), pelican.settings["SITE_URL"]
    urls = page_urls(output, site, pelican.settings.get("SITEMAP_EXCLUDE", ()))
    (output / "sitemap.xml").write_text(sitemap(urls), encoding="utf-8")
    (output / "robots.txt").write_text(robots(site), encoding="utf-8")


def register() -> None:
    signals.finalized.connect(write_sitemap)
