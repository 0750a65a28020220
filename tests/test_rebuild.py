"""Scheduled rebuilds change only what differs, and nothing when nothing is due."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from noticeboard.rebuild import rebuild, sync_tree
from tests.sitebuilder import ROOT, item, write_content

FILES = {
    "alerts/fire.md": item(
        "alerts",
        Slug="fire",
        Title="Moorland fire",
        Date="2026-11-28 08:00",
        Expires="2026-11-28 20:00",
    ),
    "notices/later.md": item("notices", Slug="later", Date="2026-11-28 15:00"),
}


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_content(tmp_path, FILES)


def at(monkeypatch: pytest.MonkeyPatch, now: str) -> None:
    monkeypatch.setenv("NOTICEBOARD_NOW", now)


def test_nothing_due_means_nothing_touched(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "live"
    at(monkeypatch, "2026-11-28T12:00:00+00:00")
    first = rebuild(str(ROOT / "pelicanconf.py"), output, str(content), output.parent / "cache")
    assert first.added and not first.changed
    before = snapshot(output)
    at(monkeypatch, "2026-11-28T14:59:00+00:00")
    report = rebuild(str(ROOT / "pelicanconf.py"), output, str(content), output.parent / "cache")
    assert (report.added, report.changed, report.removed) == ([], [], [])
    assert snapshot(output) == before  # same bytes and same modification times


def test_a_due_item_appears_and_an_expired_alert_goes(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "live"
    at(monkeypatch, "2026-11-28T12:00:00+00:00")
    rebuild(str(ROOT / "pelicanconf.py"), output, str(content), output.parent / "cache")
    at(monkeypatch, "2026-11-28T20:00:00+00:00")
    report = rebuild(str(ROOT / "pelicanconf.py"), output, str(content), output.parent / "cache")
    assert "notices/later/index.html" in report.added
    assert "index.html" in report.changed
    assert "Moorland fire" not in (output / "index.html").read_text().split("<main")[1][:2000]


def test_a_failed_build_leaves_the_live_site_alone(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "live"
    at(monkeypatch, "2026-11-28T12:00:00+00:00")
    rebuild(str(ROOT / "pelicanconf.py"), output, str(content), output.parent / "cache")
    before = snapshot(output)
    (content / "notices" / "broken.md").write_text(item("notices", Severity="x"))
    with pytest.raises(SystemExit):
        rebuild(str(ROOT / "pelicanconf.py"), output, str(content), output.parent / "cache")
    assert snapshot(output) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".rebuild-")] == []


def test_sync_removes_what_is_gone_and_empty_folders(tmp_path: Path) -> None:
    new, live = tmp_path / "new", tmp_path / "live"
    (new / "a").mkdir(parents=True)
    (new / "a" / "keep.html").write_text("same")
    (live / "a").mkdir(parents=True)
    (live / "a" / "keep.html").write_text("same")
    (live / "old" / "page").mkdir(parents=True)
    (live / "old" / "page" / "index.html").write_text("gone")
    report = sync_tree(new, live)
    assert report.removed == ["old/page/index.html"] and report.unchanged == 1
    assert not (live / "old").exists()


def test_on_a_schedule_it_prints_one_line(content: Path, tmp_path: Path) -> None:
    env = {**os.environ, "NOTICEBOARD_NOW": "2026-11-28T12:00:00+00:00"}
    command = [
        sys.executable,
        "-m",
        "noticeboard.rebuild",
        "--settings",
        "pelicanconf.py",
        "--content",
        str(content),
        "--output",
        str(tmp_path / "live"),
        "--cache",
        str(tmp_path / "cache"),
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rebuild: 0 changed, ")
