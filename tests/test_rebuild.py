"""Scheduled rebuilds change only what differs, and nothing when nothing is due."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.build_bench import generate
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


def test_what_a_rebuild_killed_outright_left_the_next_one_clears(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, "2026-11-28T12:00:00+00:00")
    left = tmp_path / ".rebuild-live-k1ll3d_x"  # by a rebuild of live/ (SIGKILL, power cut)
    others = [  # other sites', being built beside it (each has its own lock)
        tmp_path / ".rebuild-other-b0sy_now",
        tmp_path / ".rebuild-live-2-b0sy_now",
        tmp_path / ".rebuild-live-b0sy_now-and-more",
    ]
    for folder in (left, *others):
        (folder / "notices").mkdir(parents=True)
        (folder / "notices" / "index.html").write_text("half a site")
    rebuild(str(ROOT / "pelicanconf.py"), tmp_path / "live", str(content), tmp_path / "cache")
    assert not left.exists() and all(other.exists() for other in others)


def pages_written(root: Path) -> bool:
    return bool(list(root.glob(".rebuild-live-*/notices/*")))


def indexing(root: Path) -> bool:
    return any("pagefind" in command for command in running_in(root))


STOPPED = "rebuild: stopped before it finished; "


@pytest.mark.parametrize(
    ("stop", "times", "status", "said", "when"),
    [
        (signal.SIGTERM, 1, 128 + signal.SIGTERM, "", indexing),  # a timer's stop, kill
        (signal.SIGINT, 1, 130, STOPPED, pages_written),  # Ctrl-C
        (signal.SIGINT, 2, 130, STOPPED, pages_written),  # Ctrl-C, Ctrl-C
        (signal.SIGTERM, 2, 128 + signal.SIGTERM, "", pages_written),
    ],
    ids=["terminated", "interrupted", "interrupted twice", "terminated twice"],
)
def test_a_stopped_rebuild_deletes_its_half_made_site_and_ends_what_it_started(
    tmp_path: Path, stop: signal.Signals, times: int, status: int, said: str, when: Any
) -> None:
    """The live site as it was, no folder left, no helper or Pagefind left running."""
    generate(tmp_path / "content", 600)  # a site that takes a few seconds to build
    conf = tmp_path / "conf.py"  # its bin changes are not made to fit the example's rounds
    conf.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\n"
        "ROUNDS_FILE = None\n"
    )
    env = {**os.environ, "NOTICEBOARD_NOW": "2026-11-28T12:00:00+00:00"}
    command = [sys.executable, "-m", "noticeboard.rebuild", "--settings", str(conf)]
    command += ["--content", str(tmp_path / "content"), "--output", str(tmp_path / "live")]
    command += ["--cache", str(tmp_path / "cache")]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not when(tmp_path) and time.monotonic() < deadline:
        assert process.poll() is None, "the rebuild ended before it could be stopped"
        time.sleep(0.01)
    for _ in range(times):  # a second one while the first is being acted on
        process.send_signal(stop)
        time.sleep(0.01)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == status, errors
    assert "Traceback" not in errors and said in errors
    assert list(tmp_path.glob(".rebuild-*")) == []
    assert not (tmp_path / "live" / "index.html").exists()
    assert running_in(tmp_path) == []


def running_in(folder: Path) -> list[str]:
    """Processes (not zombies) whose command line names ``folder``: helpers, Pagefind."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if str(folder) in command and state != "Z":
            found.append(command)
    return found
