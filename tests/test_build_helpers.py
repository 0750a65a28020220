"""A build shares converting Markdown and rendering item pages with forked helpers, one per
other core (ADR 28). The site is byte for byte the site one process builds, and a helper
that fails or is killed leaves its share to the build, never a page missing or different."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pelican import Pelican
from pelican.writers import Writer

from bench.build_bench import generate
from plugins import build_children, forked
from plugins.content_model import reader
from plugins.govuk_theme import ahead
from tests.sitebuilder import ROOT, settings_for

ITEMS = 150  # enough for a helper's share of each (forked.SMALLEST_SHARE)


def build(root: Path, processes: int) -> dict[str, bytes]:
    """The synthetic site of the benchmark, with the example's wards and outlines, built
    by ``processes`` processes: every file's bytes by its name."""
    content = root / "content"
    if not content.exists():
        generate(content, ITEMS)
    output = root / f"output-{processes}"
    settings = settings_for(
        root,
        OUTPUT_PATH=str(output),
        WARDS_FILE=str(ROOT / "data" / "wards.csv"),
        WARD_OUTLINES_FILE=str(ROOT / "data" / "ward-outlines.geojson"),
        BUILD_PROCESSES=processes,
    )
    Pelican(settings).run()
    return {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def helpers_started(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[str]]:
    """The share of each helper the build starts."""
    started: list[frozenset[str]] = []

    class Counted(forked.Helper):
        def __init__(self, what: str, names: Any, work: Any) -> None:
            super().__init__(what, names, work)
            started.append(self.names)

    monkeypatch.setattr(forked, "Helper", Counted)
    return started


TWO_CORES = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="helpers need a second core (CI has two)"
)


@TWO_CORES
def test_a_site_built_with_helpers_is_the_site_one_process_builds(
    tmp_path: Path, helpers_started: list[frozenset[str]]
) -> None:
    alone = build(tmp_path, 1)
    assert helpers_started == []
    shared = build(tmp_path, 2)
    # One helper converting Markdown (most of it: the build makes each file's article
    # meanwhile), one rendering half the item pages.
    converting, rendering = helpers_started
    items = [p for p in (tmp_path / "content").rglob("*.md") if "pages" not in p.parts]
    own = round(len(items) * reader.OWN_SHARE / (reader.OWN_SHARE + 1))
    assert len(converting) == len(items) - own
    assert len(rendering) == len(items) // 2
    assert shared.keys() == alone.keys()
    assert [name for name in alone if shared[name] != alone[name]] == []


def fail(*args: Any) -> None:
    raise RuntimeError("a helper's own failure")


def be_killed(*args: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@TWO_CORES
@pytest.mark.parametrize("end", [fail, be_killed], ids=["fails", "is killed"])
def test_a_helper_that_fails_or_is_killed_leaves_its_share_to_the_build(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    helpers_started: list[frozenset[str]],
    end: Any,
) -> None:
    alone = build(tmp_path, 1)
    # The helpers are forked from this process, so they do what it has patched in.
    monkeypatch.setattr(reader, "convert_share", end)
    monkeypatch.setattr(ahead, "render_share", end)
    with caplog.at_level(logging.WARNING, logger=forked.__name__):
        shared = build(tmp_path, 2)
    assert len(helpers_started) == 2
    assert shared == alone
    assert sum(said.startswith(forked.STOPPED_EARLY) for said in caplog.messages) == 2


def stop_self(*args: Any) -> None:
    os.kill(os.getpid(), signal.SIGSTOP)  # as if stopped, or stuck on a lock after the fork


@TWO_CORES
def test_a_stuck_helper_is_ended_and_the_build_does_its_share(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    helpers_started: list[frozenset[str]],
) -> None:
    alone = build(tmp_path, 1)
    monkeypatch.setattr(forked, "PATIENCE", 1.0)  # 30 s in a build
    monkeypatch.setattr(ahead, "render_share", stop_self)
    with caplog.at_level(logging.WARNING, logger=forked.__name__):
        shared = build(tmp_path, 2)
    assert len(helpers_started) == 2
    assert shared == alone
    assert [said for said in caplog.messages if said.startswith(forked.STUCK)] != []


def test_work_is_shared_in_order_in_even_runs_and_only_when_worth_a_process() -> None:
    names = [f"page-{n}" for n in range(230)]
    runs = forked.shares(names, 3)
    assert [len(run) for run in runs] == [77, 77, 76]
    assert [name for run in runs for name in run] == names
    assert forked.shares(names, 8) == forked.shares(names, 4)  # 230 // SMALLEST_SHARE
    assert forked.shares(names[:99], 2) == [names[:99]]
    assert forked.shares([], 2) == [[]]
    # The build's own share a third of a helper's: it has more to do for each.
    assert [len(run) for run in forked.shares(names, 2, own=1 / 3)] == [57, 173]


def test_processes_are_the_setting_else_one_per_core_this_process_may_use() -> None:
    cores = len(os.sched_getaffinity(0))
    assert forked.processes({forked.PROCESSES: 1}) == 1
    assert forked.processes({forked.PROCESSES: 2}) == min(2, cores)
    assert forked.processes({forked.PROCESSES: cores + 3}) == cores  # more: only slower
    assert forked.processes({}) == min(cores, forked.MAX_PROCESSES)


@pytest.mark.parametrize("wrong", ["four", 0, -1, 2.5, True])
def test_a_wrong_number_of_processes_stops_the_build_before_it_writes(
    tmp_path: Path, wrong: object
) -> None:
    with pytest.raises(SystemExit) as stopped:
        build(tmp_path, wrong)  # type: ignore[arg-type]
    assert str(stopped.value).startswith(f"BUILD_PROCESSES: {wrong!r} is not a number")
    assert not (tmp_path / f"output-{wrong}").exists()


def sleep_on(*args: Any) -> None:
    time.sleep(600)


def test_a_failed_or_stopped_build_ends_its_helpers_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    helper = forked.Helper("waiting", ["page"], sleep_on)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger=forked.__name__):
        build_children.end_all()
    assert time.monotonic() - started < 10
    assert helper.take("page") is None  # the build renders it itself
    assert caplog.messages == []  # ended on purpose: nothing to warn of
    with pytest.raises(ChildProcessError):
        os.waitpid(helper.pid, os.WNOHANG)  # reaped


HELPER_OF_A_BUILD_THAT_DIES = """
import os, sys, time
from plugins import forked
helper = forked.Helper("waiting", ["page"], lambda hand_back: time.sleep(600))
print(helper.pid, flush=True)
os._exit(0)  # the build's process ends (as if killed), its helper still at work
"""


def test_a_helper_ends_when_its_build_does_however_the_build_ends() -> None:
    build = subprocess.run(
        [sys.executable, "-c", HELPER_OF_A_BUILD_THAT_DIES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(build.stdout)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def alive(pid: int) -> bool:
    """Running (not a zombie waiting to be reaped by init)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@TWO_CORES
def test_a_build_after_a_failed_one_with_the_same_settings_uses_none_of_its_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make preview`` builds again with the same settings after a failure: the pages are
    the new content's, not what the failed build's helpers rendered."""
    generate(tmp_path / "content", ITEMS)
    settings = settings_for(
        tmp_path,
        WARDS_FILE=str(ROOT / "data" / "wards.csv"),
        BUILD_PROCESSES=2,
        NOTICEBOARD_NOW="2026-11-28T12:00:00+00:00",
    )
    build, write = os.getpid(), Writer.write_file

    def fail_in_the_build(self: Writer, name: str, *args: Any, **kwargs: Any) -> Any:
        if os.getpid() == build and name.startswith("notices/"):  # its first item page
            raise RuntimeError("a fault while its helper renders the other half")
        return write(self, name, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(Writer, "write_file", fail_in_the_build)
        with pytest.raises(RuntimeError):
            Pelican(settings).run()
        time.sleep(1)  # the helper hands back its pages, which nobody takes
    build_children.end_all()
    last = tmp_path / "content" / "notices" / "item-000000.md"  # the oldest: a helper's share
    last.write_text(last.read_text().replace("Title: ", "Title: Edited "))
    Pelican(settings).run()
    page = (tmp_path / "output" / "notices" / "item-000000" / "index.html").read_text()
    assert "Edited " in page
