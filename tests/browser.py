"""Helpers for tests that drive Debian's Chromium through Playwright against a local server."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.http_server import backend_environment, running
from tests.sitebuilder import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@contextmanager
def serving(site_dir: Path) -> Iterator[str]:
    """Serve a built site (and the routes) on a free loopback port; yields its base URL."""
    with (
        tempfile.TemporaryDirectory(prefix="serve-") as var,
        running(site_dir, backend_environment(Path(var), b"b" * 32)) as url,
    ):
        yield url


def axe_violations(page: Any) -> list[str]:
    """Run axe-core's WCAG 2.2 A and AA rules on the loaded page; one line per violation."""
    # Evaluated over the DevTools protocol rather than added as a <script>, which the
    # site's Content-Security-Policy refuses, as it refuses any inline script.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
    ]


def has_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def wait_for_count(page: Any, selector: str, count: int) -> None:
    """Wait until ``count`` elements match; Playwright's locators, not a string evaluated
    in the page (which the Content-Security-Policy rightly refuses)."""
    page.wait_for_function(
        "([selector, count]) => document.querySelectorAll(selector).length === count",
        arg=[selector, count],
    )
