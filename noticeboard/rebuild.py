"""Scheduled rebuilds: build the site again and change only the files that differ.

Run every few minutes (cron, a systemd timer or CI's schedule) so that future-dated items
appear and expired alerts leave the banner; and after an officer's change, to publish it
on the embedded site. The site is built into a fresh folder beside the live one, then
copied over file by file: unchanged files are left alone (same bytes, same modification
time), so a rebuild with nothing due changes nothing, and a build that fails leaves the
live site as it was. Changed files are replaced in the order ``make publish`` uploads them
(``noticeboard/publish/plan.py``): a new alert's page and the home page before the
manifest, every other page after. What Pelican read and converted is kept in
``var/cache/`` and reused for every file whose bytes did not change.

    python -m noticeboard.rebuild --settings pelicanconf.py --output output
"""

from __future__ import annotations

import argparse
import fcntl
import filecmp
import json
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pelican import Pelican, signals
from pelican.log import console
from pelican.settings import read_settings

from plugins import build_children
from plugins.cache_keys import READER_SETTINGS, settings_key
from plugins.open_data.manifest import MANIFEST_FIRST
from subscriber_lambda.site_policy import MANIFEST

from .publish.plan import is_new_urgent, new_items, plan


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.changed)} changed, {len(self.added)} added, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged"
        )


def relative_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# Files made from the pages (the search index): Pagefind does not write the same bytes
# twice, so they are replaced only when a page changed.
DERIVED = "pagefind/"


def is_derived(name: str) -> bool:
    return name.startswith(DERIVED)


def sync_tree(new: Path, live: Path, report: SyncReport | None = None) -> SyncReport:
    """Make ``live`` the same as ``new``, touching only what differs. New and changed files
    are written first, removals last, so nothing links to a file that is not there yet.
    ``report``: what was already replaced (and is now the same)."""
    live.mkdir(parents=True, exist_ok=True)
    new_files, live_files = relative_files(new), relative_files(live)
    report = report or SyncReport()
    _sync(
        new,
        live,
        {n for n in new_files if not is_derived(n)},
        {n for n in live_files if not is_derived(n)},
        report,
    )
    derived_new = {n for n in new_files if is_derived(n)}
    derived_live = {n for n in live_files if is_derived(n)}
    if report.added or report.changed or report.removed or not derived_live:
        _sync(new, live, derived_new, derived_live, report)
    else:
        report.unchanged += len(derived_live)
    for folder in sorted((p for p in live.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return report


def read_manifest(site: Path) -> dict[str, Any] | None:
    """A built site's notify manifest, or None where it has none."""
    manifest = site / MANIFEST
    found: dict[str, Any] | None = json.loads(manifest.read_bytes()) if manifest.is_file() else None
    return found


def items_new_in(site: Path, previous: dict[str, Any] | None) -> set[str]:
    """The items new (or at a new revision) in the site's manifest since ``previous``."""
    return new_items(read_manifest(site) or {}, previous)


def replace_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.new")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)  # atomic: a reader sees the old file or the new one


def _sync(
    new: Path, live: Path, new_files: set[str], live_files: set[str], report: SyncReport
) -> None:
    done = {*report.added, *report.changed}  # replaced while the site was being built
    for name in (upload.key for upload in plan(new_files, items_new_in(new, read_manifest(live)))):
        if name in done:
            continue
        source, target = new / name, live / name
        if name not in live_files:
            report.added.append(name)
        elif filecmp.cmp(source, target, shallow=False):
            report.unchanged += 1
            continue
        else:
            report.changed.append(name)
        replace_file(source, target)
    for name in sorted(live_files - new_files):
        (live / name).unlink(missing_ok=True)
        report.removed.append(name)


READER_PACKAGES = ("pelican", "markdown")


def build_folder_prefix(name: str) -> str:
    """A build of ``name`` (a rebuild's output folder; ``publish``) builds into a folder
    named so, then 8 letters and digits (``tempfile``'s)."""
    return f".rebuild-{name}-"


def left_build_folders(beside: Path, name: str) -> list[Path]:
    """Build folders of ``name`` in ``beside`` a build killed outright left: exactly its
    own (``live``'s are not ``live-2``'s, and a name may hold ``*`` or ``[``)."""
    own = re.compile(re.escape(build_folder_prefix(name)) + r"[a-z0-9_]{8}")
    return [p for p in beside.iterdir() if own.fullmatch(p.name) and p.is_dir()]


@contextmanager
def build_folder(beside: Path, name: str) -> Iterator[Path]:
    """A new folder in ``beside`` to build ``name`` into, deleted afterwards, one build of
    ``name`` at a time: another waits (two would delete each other's files and share a
    cache). A folder a build killed outright left (SIGKILL, a power cut) is deleted first:
    with the lock held, no build of it is running."""
    beside.mkdir(parents=True, exist_ok=True)
    with (beside / f".{name}.rebuild.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for left in left_build_folders(beside, name):
            shutil.rmtree(left, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix=build_folder_prefix(name), dir=beside) as made:
            yield Path(made)


def reading_cache(settings_file: str) -> Path:
    """Where builds with a settings file keep what Pelican read: var/cache/{its name}."""
    return Path("var") / "cache" / Path(settings_file).stem


def build(
    settings_file: str,
    output: Path,
    content: str | None = None,
    cache: Path | None = None,
    written: Callable[[str], None] | None = None,
) -> None:
    """Pelican into ``output`` (which must be empty or new). With ``cache``, a file whose
    bytes are those of the last build's is not converted from Markdown again (Pelican's
    content cache, in a subfolder named by the reader settings: a build with other
    Markdown settings reads afresh). ``written`` is told the name of each file as soon as
    Pelican has written it, and holds back the notify manifest until the pages it links to
    are live (``Early``), so with it the manifest is written before any page."""
    override: dict[str, Any] = {"OUTPUT_PATH": str(output), "DELETE_OUTPUT_DIRECTORY": False}
    if written:  # something holds the manifest back until its pages are live (Early)
        override[MANIFEST_FIRST] = True
    if content:
        override["PATH"] = str(Path(content).resolve())
    if cache:
        override |= {
            "CACHE_CONTENT": True,
            "LOAD_CONTENT_CACHE": True,
            "CHECK_MODIFIED_METHOD": "md5",
            "GZIP_CACHE": False,
        }
    settings = read_settings(settings_file, override=override)
    if cache:
        readers = settings_key(settings, READER_SETTINGS, READER_PACKAGES)
        settings["CACHE_PATH"] = str((cache / readers).resolve())

    def tell(path: str, context: Any = None) -> None:
        if written:
            written(Path(path).relative_to(output).as_posix())

    signals.content_written.connect(tell)
    try:
        Pelican(settings).run()
    finally:
        signals.content_written.disconnect(tell)
        build_children.end_all()  # of a build that failed or was stopped, before its folder goes


class Early:
    """What goes live while the site is still being built (ADR 27): a new alert's page and
    CAP message as soon as Pelican writes them (``is_new_urgent``), and the notify manifest
    (written before any page) as soon as every item new in it is such an alert already
    live: its emails link only to those pages. ``go_live`` puts one file (its name) live."""

    def __init__(
        self,
        site: Path,
        live: Collection[str],
        previous: dict[str, Any] | None,
        go_live: Callable[[str], None],
    ) -> None:
        self.site, self.live, self.previous, self.go_live = site, live, previous, go_live
        self.done: list[str] = []
        self.announced: set[str] | None = None  # new in the manifest, once it is written

    def __call__(self, name: str) -> None:
        if is_new_urgent(name, self.live):
            self._go_live(name)
        elif name == MANIFEST:
            self.announced = items_new_in(self.site, self.previous)
        if MANIFEST not in self.done and self.manifest_ready():
            self._go_live(MANIFEST)

    def _go_live(self, name: str) -> None:
        self.go_live(name)
        self.done.append(name)

    def manifest_ready(self) -> bool:
        new = self.announced
        return bool(new) and all(f"{item}/index.html" in self.done for item in new or ())


def rebuild(
    settings_file: str, output: Path, content: str | None = None, cache: Path | None = None
) -> SyncReport:
    """Build beside ``output`` and replace what differs in it; a new alert's files (and the
    manifest announcing it) go in as soon as they are written (``Early``)."""
    output = output.resolve()
    with build_folder(output.parent, output.name) as work:
        return rebuild_into(settings_file, output, work, content, cache)


def stop_cleanly_when_stopped() -> None:
    """SIGTERM (a timer's stop, ``kill``) and Ctrl-C unwind: the half-made build folder is
    deleted and what the build started is ended. A second signal while that happens (a
    double Ctrl-C) is ignored: it would cut the clean-up short."""

    def stop(number: int, frame: object) -> None:
        for stopping in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stopping, signal.SIG_IGN)
        if number == signal.SIGINT:
            raise KeyboardInterrupt
        sys.exit(128 + number)

    for stopping in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stopping, stop)


def rebuild_into(
    settings_file: str, output: Path, work: Path, content: str | None, cache: Path | None
) -> SyncReport:
    live = relative_files(output) if output.is_dir() else set()
    early = Early(
        work, live, read_manifest(output), lambda name: replace_file(work / name, output / name)
    )
    build(settings_file, work, content, cache or reading_cache(settings_file), early)
    report = SyncReport(
        added=[n for n in early.done if n not in live],
        changed=[n for n in early.done if n in live],
    )
    return sync_tree(work, output, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument("--output", type=Path, default=Path("output"))
    parser.add_argument("--content", default=None, help="content folder (default: the settings')")
    parser.add_argument(
        "--cache", type=Path, default=None, help="what Pelican read (default: var/cache/NAME)"
    )
    args = parser.parse_args(argv)
    console.quiet = not sys.stdout.isatty()  # on a schedule: one line, not Pelican's chatter
    stop_cleanly_when_stopped()
    try:
        report = rebuild(args.settings, args.output, args.content, args.cache)
    except KeyboardInterrupt:
        print(
            f"rebuild: stopped before it finished; {args.output} may have some of the new "
            "files (a new alert's first), never half a file: run it again to finish",
            file=sys.stderr,
        )
        return 130
    print(f"rebuild: {report.summary()}")
    if sys.stdout.isatty():
        for kind in ("added", "changed", "removed"):
            for name in getattr(report, kind):
                print(f"  {kind}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
