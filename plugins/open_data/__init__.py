"""Pelican plugin: the open data API under /api/v1/, its JSON Schemas, the notify manifest
for the subscription backend, and item pages' JSON-LD.

Records are built by ``records.py`` (pure); this module gathers what Pelican read, renders
the emails with the theme's templates and writes files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from plugins.cap import CAP_SAVE_AS
from plugins.content_model import checked_content
from plugins.content_model.registry import ITEM_TYPES
from plugins.content_model.schema import ContentType
from plugins.content_model.types.words import N_
from plugins.govuk_theme.interface import (
    catalogue,
    language_of,
    shipped_languages,
    speaking,
    translations_dir,
)
from plugins.output_files import write_document
from plugins.site_pages.board import Board
from subscriber_lambda.core.messages import PLACEHOLDERS
from subscriber_lambda.core.texts import (
    MAX_SEGMENTS,
    fit_post,
    fit_text,
    plain_text,
    sent_length,
)

from .records import Published, Record, iso, item_record, ward_record, ward_slugs
from .schemas import api_schemas

API = "api/v1"
Rendered = tuple[Record, list[str]]  # a version, and the lines of its text and post
# Tops the email of a resident whose language the item has no version in.
NOT_TRANSLATED = N_(
    "This has not been translated into your language yet, so here it is in English."
)
# Tops their text message, where every character counts.
NOT_TRANSLATED_TEXT = N_("Not yet in your language:")
# Before each text's stop link. Translators: the word for stop, short; in the GSM alphabet
# (no letters such as ł, ŵ or ă) if the language allows, so that a text without them
# keeps twice the room.
STOP_LABEL = N_("Stop")

logger = logging.getLogger(__name__)


def as_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def revision(item: Any, status: str) -> Any:
    """The item's revision for subscribers: its Modified time when a change in this status
    is news (``ContentType.changes_notified``), else its Date, already sent."""
    modified = item.values.get("modified")
    notified = item.type.changes_notified
    if modified and (notified is None or status in notified):
        return modified
    return item.values["date"]


class Catalogue:
    """Every published item as the API records it, made once per build."""

    def __init__(self, context: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        self.board: Board = context["board"]
        self.site = settings["SITE_URL"]
        self.wards = checked_content(context).wards
        self.articles = {
            (a.item.kind, a.item.slug): a
            for a in context.get("articles", [])
            if getattr(a, "item", None)
        }

    def published(self, entry: Any) -> Published:
        item = entry.item
        article = self.articles.get((item.kind, item.slug))
        translations = tuple(
            (t.lang, f"{self.site}/{t.url}") for t in (article.translations if article else ())
        )
        return Published(
            item,
            f"{self.site}/{entry.url}",
            translations,
            self.board.status(entry),
            f"{self.site}/{item.type.documents_folder}",
        )

    def record(self, entry: Any) -> Record:
        item = entry.item
        cap_url = (
            f"{self.site}/{CAP_SAVE_AS.format(slug=item.slug)}"
            if "cap" in item.type.outputs
            else None
        )
        return item_record(self.published(entry), self.wards, cap_url)

    def records(self, kind: str) -> list[Record]:
        return [self.record(entry) for entry in self.board.of(kind)]

    def type_file(self, content_type: ContentType) -> Record:
        """``/api/v1/{folder}.json``: the type's records, and any lists made from them."""
        records = self.records(content_type.folder)
        extras = {name: made(records) for name, (made, _) in content_type.api_extras.items()}
        return {content_type.json_key: records, **extras}


def ward_calendar_kind() -> str:
    """The type whose calendar each ward's record points to (the first with one per ward)."""
    return next((t.folder for t in ITEM_TYPES.values() if t.calendar and t.calendar.per_ward), "")


class OpenDataGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        catalogue = Catalogue(self.context, self.settings)
        council = {"council": self.settings["COUNCIL_NAME"], "site_url": catalogue.site}

        def write(name: str, data: Any) -> None:
            write_document(writer, self.context, f"{API}/{name}", as_json(data))

        for content_type in ITEM_TYPES.values():
            write(f"{content_type.folder}.json", {**council, **catalogue.type_file(content_type)})
        calendar_kind = ward_calendar_kind()
        write(
            "wards.json",
            {
                **council,
                "local_authority_code": self.settings.get("LOCAL_AUTHORITY_CODE"),
                "wards": [
                    ward_record(w, catalogue.site, calendar_kind) for w in catalogue.wards.values()
                ],
            },
        )
        write("notify.json", self.notify_manifest(catalogue, council))
        for name, schema in api_schemas(ITEM_TYPES.values()).items():
            # Each with its own absolute $id, so its relative $refs (common.schema.json#/...)
            # resolve for any validator, wherever it is read from.
            write(f"schema/{name}", {"$id": f"{catalogue.site}/{API}/schema/{name}", **schema})

    def notify_manifest(self, catalogue: Catalogue, council: Mapping[str, Any]) -> Record:
        """Items with Notify: yes published, or changed (Modified) in a way that is news, in
        the last NOTIFY_WINDOW_DAYS, each version (the original and each translation) with its
        email rendered by the theme."""
        window = self.settings.get("NOTIFY_WINDOW_DAYS", 14)
        shipped = shipped_languages(translations_dir(self.settings))  # read once, not per item
        since = catalogue.board.now - timedelta(days=window)
        items = []
        for entry in catalogue.board.everything:
            item, values = entry.item, entry.item.values
            status = catalogue.board.status(entry)
            revised = revision(entry.item, status)
            if not values["notify"] or revised < since:
                continue
            article = catalogue.articles.get((item.kind, item.slug))
            versions = [article, *article.translations] if article else []
            is_revised = revised != values["date"]
            rendered = [self.version(v, catalogue.site, status, is_revised) for v in versions]
            untranslated = [lang for lang in shipped if lang not in {v.lang for v in versions}]
            detail = item.type.field(item.type.topic_detail)
            supersedes = item.type.supersedes(item)
            items.append(
                {
                    "id": f"{item.kind}/{item.slug}",
                    "revision": iso(revised),
                    "type": item.kind,
                    "topic_detail": values.get(detail.attr) if detail else None,
                    "supersedes": f"{item.kind}/{supersedes}" if supersedes else None,
                    "urgency": "immediate" if item.type.urgent else "routine",
                    "exercise": bool(values.get("exercise")),
                    "wards": ward_slugs(item, catalogue.wards),
                    "district_wide": "all" in values["wards"],
                    # Its own Polygon: residents who gave a postcode get it if it is inside.
                    "polygons": [[list(p) for p in ring] for ring in drawn(values)],
                    "published": iso(values["date"]),
                    "expires": iso(values["expires"]) if values.get("expires") else None,
                    "versions": [record for record, _ in rendered],
                    "not_translated": self.not_translated(untranslated),
                    "emails_not_translated": {
                        lang: self.email_in(lang, versions[0], catalogue.site, status, is_revised)
                        for lang in (untranslated if versions else [])
                    },
                    "texts_not_translated": {
                        lang: text
                        for lang in (untranslated if rendered else [])
                        if (text := self.text_not_translated(lang, rendered[0], catalogue.site))
                    },
                }
            )
        return {**council, "placeholders": PLACEHOLDERS, "window_days": window, "items": items}

    def said(self, lang: str, message: str) -> str:
        return str(catalogue(translations_dir(self.settings), lang).gettext(message))

    def not_translated(self, languages: list[str]) -> dict[str, str]:
        """For each of ``languages`` (that the interface speaks and the item has no version
        in), the line (in that language) that tops the email a resident who chose it
        gets."""
        return {lang: self.said(lang, NOT_TRANSLATED) for lang in languages}

    def text_not_translated(self, lang: str, original: Rendered, site: str) -> Record | None:
        """The text a resident who chose ``lang`` gets of an item with no version in it:
        the original's, under a line saying so in ``lang``, with the stop link's word in
        ``lang`` (a line of their own script may halve the room: the original's lines
        are fitted again). None if beside that line and the links not even the start of
        the headline fits (a long address, a line in Arabic): they get the original's text
        as it is, which says what the alert is."""
        record, lines = original
        stop = self.said(lang, STOP_LABEL)
        heading = self.said(lang, NOT_TRANSLATED_TEXT)
        body = fit_text(lines, record["url"], site, stop_label=stop, heading=heading)
        text = text_record(body, site, stop)
        says_what = len(body.splitlines()) > 2  # the heading, some headline, the link
        return text if says_what and text["segments"] <= MAX_SEGMENTS else None

    def email_in(self, lang: str, article: Any, site: str, status: str, revised: bool) -> Record:
        """The email of ``article`` (an original) for a resident who chose ``lang``, which
        it has no version in: its words as they are, marked with their language; its
        labels, links and footer in ``lang``, so they can read what it is and unsubscribe."""
        with speaking(lang):
            return self.email(article, f"{site}/{article.url}", status, revised)

    def email(self, article: Any, url: str, status: str, revised: bool) -> Record:
        """An item's email (subject, text, HTML) in the language being spoken."""
        values = {**self.context, "item": article.item, "url": url, "status": status}
        values["revised"] = revised
        subject = " ".join(self.env.get_template("email/subject.txt").render(values).split())
        values["subject"] = subject
        return {
            "subject": subject,
            "text": self.env.get_template("email/item.txt").render(values),
            "html": self.env.get_template("email/item.html").render(values),
        }

    def version(self, article: Any, site: str, status: str, revised: bool) -> Rendered:
        """One language version's email, text and post, in its own language (interface
        text included), and the lines its text and post were made of. For the templates:
        ``status``, the item's (an open or a decided consultation, a cancelled meeting),
        and ``revised``, whether it is sent again for a change."""
        with speaking(language_of(article.item.lang, self.settings)):
            return self._version(article, site, status, revised)

    def _version(self, article: Any, site: str, status: str, revised: bool) -> Rendered:
        item, url = article.item, f"{site}/{article.url}"
        values = {**self.context, "item": item, "url": url, "status": status}
        values["revised"] = revised
        email = self.email(article, url, status, revised)
        subject = email["subject"]
        short = self.env.get_template(f"types/{item.type.template}/short.txt").render(values)
        lines = [subject, *short.splitlines()]
        stop = self.said(language_of(item.lang, self.settings), STOP_LABEL)
        text = fit_text(lines, url, site, stop_label=stop)
        if not text.startswith(plain_text(subject)):
            logger.warning(
                "%s: its text message has room for only %r beside its link and the stop link"
                " (two parts hold 306 plain characters, or 134 with letters such as ł or ŵ);"
                " shorten the Title or the Slug",
                item.path,
                text.splitlines()[0],
            )
        record = {
            "lang": item.lang,
            "url": url,
            "title": item.values["title"],
            "summary": item.values["summary"],
            "text": text_record(text, site, stop),
            "post": {"body": fit_post(lines, url)},
            "email": email,
        }
        return record, lines


def drawn(values: Mapping[str, Any]) -> list[Any]:
    """An item's own Polygon, as a list of rings (none if it has none)."""
    return [values["polygon"]] if values.get("polygon") else []


def text_record(body: str, site: str, stop: str) -> Record:
    """A text in the manifest: counted as residents receive it, with its stop link."""
    length = sent_length(body, site, stop)
    return {"body": body, "encoding": length.encoding, "segments": length.segments, "stop": stop}


def add_structured_data(generator: Any) -> None:
    """``json_ld(article)`` for item pages: the API record as schema.org JSON-LD, for the
    types that define it (a notice's CreativeWork, a meeting's Event)."""

    made: list[Catalogue] = []  # made at the first page that asks, once the board exists

    def json_ld_script(article: Any) -> Markup:
        make_json_ld = article.item.type.json_ld
        if make_json_ld is None:
            return Markup("")
        if not made:
            made.append(Catalogue(generator.context, generator.settings))
        catalogue = made[0]
        entry = catalogue.board.find(article.item.kind, article.item.slug)
        data = make_json_ld(catalogue.record(entry), generator.settings["COUNCIL_NAME"])
        text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
        return Markup(f'<script type="application/ld+json">{text}</script>')

    generator.env.globals["json_ld"] = json_ld_script


def open_data_generator(pelican: Any) -> type[Generator]:
    return OpenDataGenerator


def register() -> None:
    signals.generator_init.connect(add_structured_data)
    signals.get_generators.connect(open_data_generator)
