"""Checking content against the model: one file at a time, then the rules across files.

Pure functions: they take what was read and return typed items and problems; reading
files and talking to Pelican happen in ``source.py`` and ``__init__.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from .london_time import LONDON
from .placeholders import placeholder_in
from .schema import (
    ALERT_TITLE_MAX,
    ALL_TYPES,
    LANG,
    PAGES,
    REFERENCE_MAX,
    RESERVED_ITEM_SLUGS,
    RESERVED_PAGE_SLUGS,
    SHARED_WITH_TRANSLATIONS,
    WRITTEN_BY_EACH_VERSION,
    ContentType,
    Field,
)
from .values import PARSERS, FieldProblem, did_you_mean, parse_lang, parse_wards
from .wards import Ward

Slugify = Callable[[str], str]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one field of one file, printed as ``path: field: what is wrong``.

    A warning (``path: field: warning: what is missed``) does not stop publishing: it says
    what residents or emergency systems will miss.
    """

    path: str
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {'warning: ' if self.warning else ''}{self.message}"


# The field name problems with the text after the metadata (the body) are reported under.
TEXT = "Text"


@dataclass(frozen=True)
class Source:
    """A content file as read: where it is, its raw metadata (keys in lower case) and the
    text after it, whose first line is line ``body_line`` of the file."""

    path: str  # as shown to officers, e.g. content/alerts/flood.md
    source_path: str  # absolute, as Pelican knows it
    folder: str  # first folder under content/, '' for files at the top
    metadata: Mapping[str, str]
    body: str = ""
    body_line: int = 1


@dataclass
class Item:
    """A checked content file: typed values by attribute name, defaults filled in."""

    path: str
    source_path: str
    type: ContentType
    slug: str
    lang: str
    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Templates read fields as attributes: item.expires, item.respond_by.
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def kind(self) -> str:
        return self.type.folder

    def affects(self, ward: str) -> bool:
        wards = self.values.get("wards", ())
        return "all" in wards or ward in wards


def with_inherited_fields(
    sources: Iterable[Source], slugify: Slugify, default_lang: str
) -> Iterator[tuple[Source, frozenset[str]]]:
    """Each source, a translation completed with every field it leaves out from its original
    (same folder and Slug, the default Lang), and the keys it so inherited.

    This is the one place translations get their data: every check, page and output after it
    sees a translation's inherited dates, wards, alert, notice and bin-change fields.
    """
    originals: dict[tuple[str, str], Source] = {}
    versions = [(source, _version_of(source, slugify, default_lang)) for source in sources]
    for source, (folder, slug, lang) in versions:
        if lang == default_lang:
            originals.setdefault((folder, slug), source)
    for source, (folder, slug, lang) in versions:
        original = originals.get((folder, slug)) if lang != default_lang else None
        if original is None:
            yield source, frozenset()
            continue
        inherited = {
            key: value
            for key, value in original.metadata.items()
            if key not in source.metadata and key not in WRITTEN_BY_EACH_VERSION
        }
        yield replace(source, metadata={**source.metadata, **inherited}), frozenset(inherited)


def _version_of(source: Source, slugify: Slugify, default_lang: str) -> tuple[str, str, str]:
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
    source: Source, wards: Mapping[str, Ward], slugify: Slugify, default_lang: str
) -> tuple[Item | None, list[Problem]]:
    """Check one file on its own: known folder, known fields, every value well-formed.

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
            values[spec.attr] = _parse(raw, spec, wards)
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
    for number, line in enumerate(source.body.splitlines(), start=source.body_line):
        if left := placeholder_in(line):
            report(TEXT, f"line {number}: " + _placeholder_left(left, "the notice itself"))
    if any(not p.warning for p in problems):
        return None, problems
    for field_name, message in _warnings_within_file(content_type, values, wards):
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


def _parse(raw: str, spec: Field, wards: Mapping[str, Ward]) -> Any:
    if spec.kind == "wards":
        return parse_wards(raw, wards)
    return PARSERS[spec.kind](raw, spec)


def _rules_within_file(
    content_type: ContentType, values: Mapping[str, Any]
) -> Iterable[tuple[str, str]]:
    """Rules between fields."""
    published: datetime | None = values.get("date")
    modified: datetime | None = values.get("modified")
    if published and modified and modified < published:
        yield "Modified", "is before Date; a change cannot come before publication"
    if content_type.folder == "alerts":
        yield from _alert_rules(values, published)
    if content_type.folder == "notices":
        yield from _notice_rules(values, published)


def _warnings_within_file(
    content_type: ContentType, values: Mapping[str, Any], wards: Mapping[str, Ward]
) -> Iterable[tuple[str, str]]:
    """What a valid file leaves residents or emergency systems without. Never an error:
    nothing optional may stop an emergency alert from publishing."""
    if content_type.folder == "alerts" and "polygon" not in values:
        yield from _alert_area_warnings(values, wards)


def _alert_area_warnings(
    values: Mapping[str, Any], wards: Mapping[str, Ward]
) -> Iterable[tuple[str, str]]:
    """Emergency systems place a CAP alert on a map by ONS codes (geocodes) or a polygon;
    a ward with neither reaches them by name only (areaDesc)."""
    named = [wards[s] for s in values.get("wards", ()) if s in wards]
    uncoded = [ward.name for ward in named if not ward.gss]
    if uncoded:
        one = len(uncoded) == 1
        yield (
            "Wards",
            f"{', '.join(uncoded)} {'has' if one else 'have'} no ONS code in the wards file "
            "and the alert has no Polygon, so emergency systems get "
            f"{'it' if one else 'them'} by name only (CAP areaDesc: no geocode, no polygon) "
            f"and cannot place {'it' if one else 'them'} on a map; add the codes to the wards "
            "file, or a Polygon",
        )


def _alert_rules(
    values: Mapping[str, Any], published: datetime | None
) -> Iterable[tuple[str, str]]:
    expires: datetime | None = values.get("expires")
    onset: datetime | None = values.get("onset")
    title: str = values.get("title", "")
    if len(title) > ALERT_TITLE_MAX:
        yield (
            "Title",
            f"is {len(title)} characters long; alert headlines must be {ALERT_TITLE_MAX} or fewer",
        )
    if title and title == values.get("summary"):
        yield "Summary", "repeats the Title; say in a sentence what is happening and where"
    if published and expires and expires <= published:
        yield "Expires", f"must be after Date ({_show(published)})"
    if onset and expires and onset >= expires:
        yield "Onset", f"must be before Expires ({_show(expires)})"
    if values.get("updates") and values.get("cancels"):
        yield "Cancels", "an alert either updates or cancels another, not both; keep one"


def _notice_rules(
    values: Mapping[str, Any], published: datetime | None
) -> Iterable[tuple[str, str]]:
    respond_by: date | None = values.get("respond_by")
    reference: str = values.get("reference", "")
    if len(reference) > REFERENCE_MAX:
        yield "Reference", f"is longer than {REFERENCE_MAX} characters"
    if published and respond_by and respond_by < published.astimezone(LONDON).date():
        yield "Respond-By", f"is before Date ({_show(published)}); residents need time to respond"
    if respond_by and not values.get("respond_to"):
        yield (
            "Respond-To",
            "is needed with Respond-By: say where responses go (an email address, a web "
            "address or a postal address)",
        )


def _show(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def check_site(
    items: list[Item], available_documents: Collection[str], default_lang: str
) -> list[Problem]:
    """The rules across files: slugs, translations, references, updates and documents."""
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
        if item.lang != default_lang:
            problems.extend(
                _check_translation(item, originals.get((item.kind, item.slug)), default_lang)
            )
    problems.extend(_check_references(items, default_lang))
    problems.extend(_check_alert_chains(items, originals, default_lang))
    for item in items:
        for name in item.values.get("documents", ()):
            if name not in available_documents:
                problems.append(
                    Problem(
                        item.path,
                        "Documents",
                        f"'{name}' is not in content/notices/documents/; "
                        "add the file or fix the name",
                    )
                )
    return problems


def _check_translation(item: Item, original: Item | None, default_lang: str) -> Iterable[Problem]:
    if original is None:
        yield Problem(
            item.path,
            "Lang",
            f"this '{item.lang}' translation has no '{default_lang}' original "
            f"in content/{item.kind}/ "
            f"with the Slug '{item.slug}'; give it the same Slug as the original",
        )
        return
    for spec in item.type.fields:
        if spec.key in SHARED_WITH_TRANSLATIONS and item.values.get(
            spec.attr
        ) != original.values.get(spec.attr):
            yield Problem(
                item.path,
                spec.name,
                f"differs from the original {original.path}; leave it out and the "
                "translation takes the original's",
            )


def _check_references(items: list[Item], default_lang: str) -> Iterable[Problem]:
    seen: dict[str, Item] = {}
    for item in items:
        if item.kind != "notices" or item.lang != default_lang:
            continue
        reference = item.values["reference"].casefold()
        if reference in seen:
            yield Problem(
                item.path,
                "Reference",
                f"'{item.values['reference']}' is already the reference of {seen[reference].path}; "
                "references must be unique",
            )
        else:
            seen[reference] = item


def _check_alert_chains(
    items: list[Item], originals: Mapping[tuple[str, str], Item], default_lang: str
) -> Iterable[Problem]:
    superseded_by: dict[str, Item] = {}
    for item in items:
        if item.kind != "alerts" or item.lang != default_lang:
            continue
        for name in ("updates", "cancels"):
            target_slug = item.values.get(name)
            if not target_slug:
                continue
            field_name = name.title()
            target = originals.get(("alerts", target_slug))
            if target is None:
                yield Problem(
                    item.path,
                    field_name,
                    f"no alert has the Slug '{target_slug}'"
                    + did_you_mean(
                        target_slug, [slug for kind, slug in originals if kind == "alerts"]
                    ),
                )
            elif target is item:
                yield Problem(item.path, field_name, "an alert cannot update or cancel itself")
            elif target.values.get("status") == "draft":
                yield Problem(
                    item.path,
                    field_name,
                    f"'{target_slug}' is a draft; publish it first, or remove {field_name}",
                )
            elif target.values["date"] >= item.values["date"]:
                yield Problem(
                    item.path,
                    field_name,
                    f"'{target_slug}' was published at the same time or later; Date must be after "
                    f"its Date ({_show(target.values['date'])})",
                )
            elif target_slug in superseded_by:
                yield Problem(
                    item.path,
                    field_name,
                    f"'{target_slug}' is already updated or cancelled by "
                    f"{superseded_by[target_slug].path}; "
                    f"point this alert at '{superseded_by[target_slug].slug}' instead",
                )
            else:
                superseded_by[target_slug] = item
