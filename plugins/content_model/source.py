"""Reading the content folder: the only part of the content model that touches files."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import markdown

from .model import (
    Item,
    Problem,
    Slugify,
    Source,
    check_site,
    check_source,
    version_of,
    with_inherited_fields,
)
from .places import Places
from .registry import ITEM_TYPES

MARKDOWN_SUFFIX = ".md"
METADATA_KEY = re.compile(r"^[ ]{0,3}([A-Za-z0-9_-]+):")
# Other names Markdown and Pelican's readers know: refused, so nothing is read unchecked.
UNREAD_SUFFIXES = (".markdown", ".mdown", ".mkd", ".rst", ".html", ".htm", ".txt")


@dataclass
class ContentReport:
    """What the check of a whole content folder found."""

    items: list[Item] = field(default_factory=list)
    # Every Markdown file as read, by absolute path: Pelican reads these rather than the
    # files again (``reader.py``).
    sources: dict[str, Source] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # reported, but publishing goes on
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, found: Iterable[Problem]) -> None:
        for problem in found:
            (self.warnings if problem.warning else self.problems).append(problem)

    def summary(self, building: bool = True) -> str:
        """One line for the end of a run: what was checked and what happens next."""
        checked = _count(self.files, "content file")
        if self.ok:
            warned = f", {_count(len(self.warnings), 'warning')}" if self.warnings else ""
            return f"{checked} checked; no problems{warned}."
        files = len({p.path for p in self.problems})
        found = f"{_count(len(self.problems), 'problem')} in {files} of {checked}"
        if building:
            return f"{found}; nothing was built. Fix them and build again."
        return f"{found}. Fix them before publishing."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def display_path(path: Path) -> str:
    """A path as officers should see it: relative to where they ran the command, if inside."""
    absolute = os.path.abspath(path)
    here = os.getcwd() + os.sep
    shown = absolute.removeprefix(here) if absolute.startswith(here) else absolute
    return shown.replace(os.sep, "/")


def documents_folders() -> list[str]:
    """The folders under content/ whose files items link to, served as they are."""
    return [t.documents_folder for t in ITEM_TYPES.values() if t.documents]


def content_files(content_dir: Path) -> Iterator[Path]:
    """Every file under the content folder except types' documents and hidden files, in a
    stable order."""
    documents = {os.path.join(content_dir, folder) for folder in documents_folders()}
    found = []
    for folder, subfolders, files in os.walk(content_dir):
        subfolders[:] = [
            s
            for s in subfolders
            if not s.startswith(".") and os.path.join(folder, s) not in documents
        ]
        found += [os.path.join(folder, f) for f in files if not f.startswith(".")]
    for name in sorted(found):
        yield Path(name)


class MetadataReader:
    """Reads the ``Key: value`` lines at the top with the Markdown extension Pelican uses,
    so both see the same fields. One Markdown instance serves every file of a check.

    Returns the metadata, the text after it and the line number that text starts on."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=["meta"])

    def __call__(self, text: str) -> tuple[dict[str, str], str, int]:
        self._md.reset()
        lines = text.split("\n")
        body = self._md.preprocessors["meta"].run(list(lines))
        meta: dict[str, list[str]] = getattr(self._md, "Meta", {})
        metadata = {key: " ".join(part.strip() for part in parts) for key, parts in meta.items()}
        return metadata, "\n".join(body), len(lines) - len(body) + 1


def repeated_keys(text: str) -> dict[str, tuple[int, ...]]:
    """Metadata keys written on more than one line of the file's first block, with the
    lines' numbers (the same pattern as Markdown's metadata reader)."""
    lines: dict[str, list[int]] = defaultdict(list)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            break
        if found := METADATA_KEY.match(line):
            lines[found.group(1).lower()].append(number)
    return {key: tuple(numbers) for key, numbers in lines.items() if len(numbers) > 1}


def read_source(path: Path, content_dir: Path, read_metadata: MetadataReader) -> Source | Problem:
    shown = display_path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return Problem(shown, "file", "is not UTF-8 text; save it as UTF-8")
    text = text.replace("\r\n", "\n")
    if "\r" in text:  # a carriage return alone would silently start a new line (a field)
        line = text.count("\n", 0, text.index("\r")) + 1
        return Problem(
            shown,
            "file",
            f"line {line} has a stray carriage return in it (often from pasted text); "
            "retype the line",
        )
    relative = path.relative_to(content_dir)
    folder = relative.parts[0] if len(relative.parts) > 1 else ""
    metadata, body, body_line = read_metadata(text)
    return Source(
        shown, os.path.abspath(path), folder, metadata, body, body_line, repeated_keys(text)
    )


def check_content(
    content_dir: Path,
    places: Places,
    slugify: Slugify,
    default_lang: str = "en",
    only: set[Path] | None = None,
) -> ContentReport:
    """Check every file in the content folder (cross-file rules need them all).

    ``only`` narrows the problems reported to those files, for checking one file at a time.
    """
    report = ContentReport()
    read_metadata = MetadataReader()
    sources: list[Source] = []
    for path in content_files(content_dir):
        shown = display_path(path)
        if path.suffix.lower() in (MARKDOWN_SUFFIX, *UNREAD_SUFFIXES):
            report.files += 1
        if path.suffix.lower() in UNREAD_SUFFIXES:
            report.problems.append(
                Problem(
                    shown,
                    "file",
                    f"only {MARKDOWN_SUFFIX} files are published; rename it to "
                    f"{path.stem}{MARKDOWN_SUFFIX} or move it out of content/",
                )
            )
            continue
        if path.suffix.lower() != MARKDOWN_SUFFIX:
            continue
        source = read_source(path, content_dir, read_metadata)
        if isinstance(source, Problem):
            report.problems.append(source)
        else:
            sources.append(source)
            report.sources[source.source_path] = source
    documents = {
        f"{folder}/{path.name}"
        for folder in documents_folders()
        if (content_dir / folder).is_dir()
        for path in (content_dir / folder).iterdir()
        if path.is_file()
    }
    unchecked: set[tuple[str, str]] = set()
    for source, inherited in with_inherited_fields(sources, slugify, default_lang):
        if isinstance(inherited, Problem):  # a translation with no original
            report.problems.append(inherited)
            continue
        item, problems = check_source(source, places, slugify, default_lang, documents)
        if item is not None and inherited:
            item.borrowed.update(
                {spec.attr: default_lang for spec in item.type.fields if spec.key in inherited}
            )
        # What a translation inherits is reported once, on the original it comes from.
        report.add(p for p in problems if p.field.lower() not in inherited)
        if item is not None:
            report.items.append(item)
        elif (version := version_of(source, slugify, default_lang))[2] == default_lang:
            unchecked.add(version[:2])  # an original with problems of its own
    report.problems.extend(check_site(report.items, default_lang, unchecked))
    if only is not None:
        wanted = {display_path(p) for p in only}
        report.problems = [p for p in report.problems if p.path in wanted]
        report.warnings = [p for p in report.warnings if p.path in wanted]
    report.problems.sort()
    report.warnings.sort()
    return report
