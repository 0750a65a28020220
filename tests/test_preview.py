"""``make preview`` while an officer writes: every save is checked (metadata too) and built,
the open page reloads itself, and stopping it leaves no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.sitebuilder import EXAMPLE_NOW, ROOT, item, write_content

NOTICE = "notices/plan.md"


@dataclass
class Preview:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def said(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def build(self) -> int:
        return int(get(f"{self.url}__preview__/build"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode("utf-8"))


def wait_until(done: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if done():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def session_processes(session: int) -> list[int]:
    """Processes still in the preview's session (its children, had it left any)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@contextmanager
def previewing(tmp_path: Path) -> Iterator[Preview]:
    content = write_content(tmp_path, {NOTICE: item("notices", Slug="plan")})
    port, log = free_port(), tmp_path / "preview.log"
    command = [sys.executable, "-m", "noticeboard.preview", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--content", str(content), "--output", str(tmp_path / "output")],
            cwd=ROOT,
            env={**os.environ, "NOTICEBOARD_NOW": EXAMPLE_NOW},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    preview = Preview(process, f"http://127.0.0.1:{port}/", log)
    try:
        wait_until(lambda: preview.build() == 1, "the first build")
        yield preview
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def edit(content: Path, **fields: str) -> None:
    (content / NOTICE).write_text(item("notices", Slug="plan", **fields), encoding="utf-8")


def test_every_save_is_checked_and_stopping_leaves_nothing_running(tmp_path: Path) -> None:
    with previewing(tmp_path) as preview:
        page = get(f"{preview.url}notices/plan/")
        assert '<script src="/__preview__/reload.js?build=1" defer></script></body>' in page

        edit(tmp_path / "content", Notice_Type="planing")
        refused = f"{tmp_path}/content/{NOTICE}: Notice-Type: 'planing' is not allowed"
        wait_until(lambda: refused in preview.said(), "the content check's message")
        assert preview.build() == 1

        edit(tmp_path / "content", Title="Planning application: 2 High Street")
        wait_until(lambda: preview.build() == 2, "a build after the fix")
        assert "2 High Street" in get(f"{preview.url}notices/plan/")

        preview.process.send_signal(signal.SIGTERM)
        assert preview.process.wait(timeout=30) == 0
        assert "Preview stopped." in preview.said()
        assert session_processes(preview.process.pid) == []


@pytest.mark.browser
def test_the_open_page_reloads_itself_after_a_save(tmp_path: Path) -> None:
    with previewing(tmp_path) as preview, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{preview.url}notices/plan/")
        with page.expect_navigation(timeout=60_000):
            edit(tmp_path / "content", Title="Planning application: 3 High Street")
        assert page.locator("h1").inner_text() == "Planning application: 3 High Street"
        browser.close()
