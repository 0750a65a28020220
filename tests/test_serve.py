"""``python -m subscriber_lambda serve``: the built site, its 404 page, types and headers."""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from tests.browser import serving


def fetch(url: str) -> tuple[int, Message, bytes]:
    """Status, headers (names in any case) and body of a GET."""
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/alerts/bird-flu-deal-beach.cap.xml", "application/cap+xml"),
        ("/feeds/alerts.cap.atom.xml", "application/atom+xml"),
        ("/theme/build/noticeboard.css", "text/css; charset=utf-8"),
        ("/notices/documents/tro-2026-041-plan.pdf", "application/pdf"),
    ],
)
def test_files_are_served_with_their_types(
    example_site: Path, path: str, content_type: str
) -> None:
    with serving(example_site) as url:
        status, headers, _ = fetch(url + path)
    assert (status, headers["Content-Type"]) == (200, content_type)
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_paths_and_folders_get_the_404_page(example_site: Path) -> None:
    with serving(example_site) as url:
        for path in ("/no-such-page/", "/theme/"):
            status, _, body = fetch(url + path)
            assert status == 404
            assert b"Page not found" in body


def test_every_inline_script_of_the_site_is_allowed_by_its_hash(example_site: Path) -> None:
    from lxml import html

    from subscriber_lambda.site_policy import CONTENT_SECURITY_POLICY, script_hash

    for page in example_site.rglob("*.html"):
        for script in html.parse(str(page)).getroot().iter("script"):
            data = script.get("type", "").endswith("json")  # JSON-LD is data, not run
            if script.get("src") is None and not data:
                assert script_hash(script.text or "") in CONTENT_SECURITY_POLICY, page
            assert not any(name.startswith("on") for name in script.attrib), page
