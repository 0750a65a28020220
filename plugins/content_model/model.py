"""Checking content against the model: one file at a time, then the rules across files.

Pure functions: they take what was read and return typed items and problems; reading
files and talking to Pelican happen in ``source.py`` and ``__init__.py``.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from .items import TEXT, Item, Problem, Slugify, Source
from .placeholders import placeholder_in
from .places import Places
from .registry import ALL_TYPES, RESERVED_PAGE_SLUGS
from .schema import (
    LANG,
    PAGES,
    RESERVED_ITEM_SLUGS,
    WRITTEN_BY_EACH_VERSION,
    ContentType,
    Field,
)
from .values import (
    PARSERS,
    FieldProblem,
    did_you_mean,
    is_web_address,
    parse_document_or_link,
    parse_documents,
    parse_lang,
    parse_rounds,
    parse_wards,
)

__all__ = ["TEXT", "Item", "Problem", "Slugify", "Source", "check_site", "check_source"]


def with_inherited_fields(
    sources: Iterable[Source], slugify: Slugify, default_lang: str
) -> Iterator[tuple[Source, frozenset[str] | Problem]]:
    """Each source, a translation completed with every field it leaves out from its original
    (same folder and Slug, the default Lang), and the keys it so inherited; or, for a
    translation with no original, the one problem to report (its missing dates and wards
    would only mislead: they are the original's to give).

    This is the one place translations get their data: every check, page and output after it
    sees a translation's inherited dates, wards, alert, notice and bin-change fields.
    """
    originals: dict[tuple[str, str], Source] = {}
    versions = [(source, version_of(source, slugify, default_lang)) for source in sources]
    for source, (folder, slug, lang) in versions:
        if lang == default_lang:
            originals.setdefault((folder, slug), source)
    for source, (folder, slug, lang) in versions:
        original = originals.get((folder, slug)) if lang != default_lang else None
        if original is None and lang not in ("", default_lang):
            known = [s for f, s in originals if f == folder]
            yield source, no_original(source.path, folder, slug, lang, default_lang, known)
            continue
        if original is None:  # an original (or a Lang that cannot be read: said in its check)
            yield source, frozenset()
            continue
        inherited = {
            key: value
            for key, value in original.metadata.items()
            if key not in source.metadata and key not in WRITTEN_BY_EACH_VERSION
        }
        yield replace(source, metadata={**source.metadata, **inherited}), frozenset(inherited)


def version_of(source: Source, slugify: Slugify, default_lang: str) -> tuple[str, str, str]:
    """(folder, slug, lang) as written, before any checking; '' where it cannot be told."""
    metadata = source.metadata
    lang = metadata.get("lang", "").strip() or default_lang
    try:
        lang = parse_lang(lang, LANG)
    except FieldProblem:
        lang = ""
    slug = metadata.get("slug", "").strip() or slugify(metadata.get("title", "").strip())
    return source.folder, slug, lang


def check_source(
    source: Source,
    places: Places,
    slugify: Slugify,
    default_lang: str,
    documents: Collection[str] | None = None,
) -> tuple[Item | None, list[Problem]]:
    """Check one file on its own: known folder, known fields, every value well-formed, and
    (given ``documents``: paths under content/ like ``notices/documents/plan.pdf``) every
    document it names there.

    The problems returned may include warnings; the item is None only if there are others.
    """
    content_type = ALL_TYPES.get(source.folder)
    if content_type is None:
        folders = ", ".join(f"content/{name}/" for name in ALL_TYPES)
        return None, [
            Problem(source.path, "file", f"is not in a content folder; move it to {folders}")
        ]
    problems: list[Problem] = []

    def report(field_name: str, message: str) -> None:
        problems.append(Problem(source.path, field_name, message))

    def warn(field_name: str, message: str) -> None:
        problems.append(Problem(source.path, field_name, message, warning=True))

    names = [f.key for f in content_type.fields]
    for key in source.metadata:
        if content_type.field(key) is None:
            report(
                key.title(),
                f"is not a field of {content_type.label.lower()}"
                + (
                    did_you_mean(key, names)
                    or f"; fields are: {', '.join(f.name for f in content_type.fields)}"
                ),
            )
    values: dict[str, Any] = {}
    for spec in content_type.fields:
        if lines := source.repeated.get(spec.key):
            shown_lines = ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"
            report(spec.name, f"is given more than once (lines {shown_lines}); keep one line")
            continue
        raw = source.metadata.get(spec.key, "").strip()
        if left := placeholder_in(raw):
            wanted = f"one of: {', '.join(spec.choices)}" if spec.choices else f"the {spec.name}"
            report(spec.name, _placeholder_left(left, wanted))
            continue
        if not raw:
            if spec.required:
                report(spec.name, _missing(spec, bool(source.metadata)))
                continue
            if spec.default is None:
                continue
            raw = spec.default
        try:
            values[spec.attr] = _parse(raw, spec, places, content_type)
        except FieldProblem as problem:
            report(spec.name, str(problem))
    slug = values.get("slug") or (slugify(values["title"]) if "title" in values else "")
    if "title" in values and not slug:
        report("Slug", "could not be made from the Title; add a Slug line")
    reserved = RESERVED_PAGE_SLUGS if content_type is PAGES else RESERVED_ITEM_SLUGS
    if slug in reserved:
        report("Slug", f"'{slug}' is used by the site's own addresses; choose another Slug")
    for field_name, message in _rules_within_file(content_type, values):
        report(field_name, message)
    for field_name, message in content_type.place_rules(values, places):
        report(field_name, message)
    if documents is not None:
        for field_name, message in _missing_documents(content_type, values, documents):
            report(field_name, message)
    for number, line in enumerate(source.body.splitlines(), start=source.body_line):
        if left := placeholder_in(line):
            report(TEXT, f"line {number}: " + _placeholder_left(left, "the notice itself"))
    if any(not p.warning for p in problems):
        return None, problems
    for field_name, message in content_type.warnings(values, places.wards):
        warn(field_name, message)
    values["slug"] = slug
    lang = values.get("lang", default_lang)
    return Item(source.path, source.source_path, content_type, slug, lang, values), problems


def _placeholder_left(words: str, wanted: str) -> str:
    return f"still has the placeholder '{words} ...' from make new; replace it with {wanted}"


def _missing(spec: Field, has_metadata: bool) -> str:
    example = spec.example or (spec.choices[0] if spec.choices else "...")
    hint = f"missing; add a line like '{spec.name}: {example}'"
    if not has_metadata and spec.name == "Title":
        hint += " at the very top of the file (metadata lines come first, then a blank line)"
    return hint


def _parse(raw: str, spec: Field, places: Places, content_type: ContentType) -> Any:
    if spec.kind == "wards":
        return parse_wards(raw, places.wards)
    if spec.kind == "rounds":
        return parse_rounds(raw, places.rounds.by_slug)
    if spec.kind == "documents":
        return parse_documents(raw, content_type.documents_folder)
    if spec.kind == "document-or-link":
        return parse_document_or_link(raw, content_type.documents_folder)
    return PARSERS[spec.kind](raw, spec)


def _rules_within_file(
    content_type: ContentType, values: Mapping[str, Any]
) -> Iterable[tuple[str, str]]:
    """Rules between fields: the same for every type, then the type's own.

    Nothing here may depend on optional data reaching outside the file: a warning
    (``warnings``) says what is missed, it never stops an emergency alert."""
    published: datetime | None = values.get("date")
    modified: datetime | None = values.get("modified")
    if published and modified and modified < published:
        yield "Modified", "is before Date; a change cannot come before publication"
    yield from content_type.rules(values)


def check_site(
    items: list[Item], default_lang: str, unchecked: Collection[tuple[str, str]] = ()
) -> list[Problem]:
    """The rules across files: slugs and translations, then each type's own.

    ``unchecked``: (folder, slug) of originals that have problems of their own, whose
    translations are not also told that they have no original."""
    problems: list[Problem] = []
    originals: dict[tuple[str, str], Item] = {}
    by_slug_lang: dict[tuple[str, str, str], Item] = {}
    for item in items:
        key = (item.kind, item.slug, item.lang)
        if key in by_slug_lang:
            problems.append(
                Problem(
                    item.path,
                    "Slug",
                    f"'{item.slug}' is already used by {by_slug_lang[key].path}; "
                    "choose another Slug "
                    "(the same Slug in another Lang is a translation)",
                )
            )
            continue
        by_slug_lang[key] = item
        if item.lang == default_lang:
            originals[(item.kind, item.slug)] = item
    for item in items:
        if item.lang != default_lang and (item.kind, item.slug) not in unchecked:
            problems.extend(
                _check_translation(item, originals.get((item.kind, item.slug)), default_lang)
            )
    by_type: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_type[item.kind].append(item)
    for folder, of_type in by_type.items():
        problems.extend(ALL_TYPES[folder].site_rules(of_type, default_lang))
    return problems


def _missing_documents(
    content_type: ContentType, values: Mapping[str, Any], available: Collection[str]
) -> Iterable[tuple[str, str]]:
    folder = content_type.documents_folder
    for spec in content_type.fields:
        value = values.get(spec.attr)
        if spec.kind == "documents":
            names = value or ()
        elif spec.kind == "document-or-link" and value and not is_web_address(value):
            names = (value,)
        else:
            continue
        for name in names:
            if f"{folder}/{name}" not in available:
                yield (
                    spec.name,
                    f"'{name}' is not in content/{folder}/; add the file or fix the name",
                )


def no_original(
    path: str, folder: str, slug: str, lang: str, default_lang: str, known: Collection[str]
) -> Problem:
    """A translation whose Slug no original in its folder has, and the nearest one."""
    nearest = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
    hint = f" (did you mean '{nearest[0]}'?)" if nearest else ""
    return Problem(
        path,
        "Slug",
        f"this '{lang}' translation has no '{default_lang}' original in content/{folder}/ "
        f"with the Slug '{slug}'{hint}; give it the same Slug as the original (an original "
        "without a Slug line has its Title's, as its page address shows)",
    )


def _check_translation(item: Item, original: Item | None, default_lang: str) -> Iterable[Problem]:
    if original is None:
        known = ()  # its source was told, with the nearest Slug (with_inherited_fields)
        yield no_original(item.path, item.kind, item.slug, item.lang, default_lang, known)
        return
    for spec in item.type.fields:
        if spec.shared and item.values.get(spec.attr) != original.values.get(spec.attr):
            yield Problem(
                item.path,
                spec.name,
                f"differs from the original {original.path}; leave it out and the "
                "translation takes the original's",
            )
