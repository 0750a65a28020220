"""Scheduled rebuilds: build the site again and change only the files that differ.

Run every few minutes (cron, a systemd timer or CI's schedule) so that future-dated items
appear and expired alerts leave the banner. The site is built into a fresh folder beside
the live one, then copied over file by file: unchanged files are left alone (same bytes,
same modification time), so a rebuild with nothing due changes nothing, and a build that
fails leaves the live site as it was.

    python -m noticeboard.rebuild --settings pelicanconf.py --output output
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pelican import Pelican
from pelican.log import console
from pelican.settings import read_settings


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


def sync_tree(new: Path, live: Path) -> SyncReport:
    """Make ``live`` the same as ``new``, touching only what differs. New and changed files
    are written first, removals last, so nothing links to a file that is not there yet."""
    live.mkdir(parents=True, exist_ok=True)
    new_files, live_files = relative_files(new), relative_files(live)
    report = SyncReport()
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


def _sync(
    new: Path, live: Path, new_files: set[str], live_files: set[str], report: SyncReport
) -> None:
    for name in sorted(new_files):
        source, target = new / name, live / name
        if name not in live_files:
            report.added.append(name)
        elif filecmp.cmp(source, target, shallow=False):
            report.unchanged += 1
            continue
        else:
            report.changed.append(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.new")
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)  # atomic: a reader sees the old file or the new one
    for name in sorted(live_files - new_files):
        (live / name).unlink()
        report.removed.append(name)


def rebuild(settings_file: str, output: Path, content: str | None = None) -> SyncReport:
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".rebuild-", dir=output.parent) as work:
        override = {"OUTPUT_PATH": work, "DELETE_OUTPUT_DIRECTORY": False}
        if content:
            override["PATH"] = str(Path(content).resolve())
        Pelican(read_settings(settings_file, override=override)).run()
        return sync_tree(Path(work), output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument("--output", type=Path, default=Path("output"))
    parser.add_argument("--content", default=None, help="content folder (default: the settings')")
    args = parser.parse_args(argv)
    console.quiet = not sys.stdout.isatty()  # on a schedule: one line, not Pelican's chatter
    report = rebuild(args.settings, args.output, args.content)
    print(f"rebuild: {report.summary()}")
    if sys.stdout.isatty():
        for kind in ("added", "changed", "removed"):
            for name in getattr(report, kind):
                print(f"  {kind}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
