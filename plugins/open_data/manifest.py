"""The notify manifest (``/api/v1/notify.json``) for the subscription backend: items
published or changed in a way that is news in the last NOTIFY_WINDOW_DAYS, each version
with its email, text and post rendered by the theme.

A rebuild or a publish has it written before any page (ADR 27, ``MANIFEST_FIRST``): when
it announces only new alerts, it goes live the moment their pages are, and the first email
goes out while the rest of the site is still being built. Otherwise the open data
generator writes it, after the pages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from plugins.content_model import articles_generator
from plugins.content_model.types.words import N_
from plugins.govuk_theme.interface import (
    catalogue,
    language_of,
    shipped_languages,
    speaking,
    translations_dir,
)
from plugins.govuk_theme.writer import SpeakingWriter
from plugins.output_files import write_document
from subscriber_lambda.core.messages import PLACEHOLDERS
from subscriber_lambda.core.texts import (
    MAX_SEGMENTS,
    fit_post,
    fit_text,
    plain_text,
    sent_length,
)
from subscriber_lambda.site_policy import MANIFEST

from .api import Catalogue, as_json, council_of
from .records import Record, iso, ward_slugs

# The setting: write the manifest before any page. Only for a build whose files something
# holds back until the pages the manifest links to are live (``noticeboard.rebuild.Early``:
# a rebuild, a publish); a build straight into the served folder writes it after its pages,
# so that nothing watching it emails links to pages not yet written.
MANIFEST_FIRST = "NOTIFY_MANIFEST_FIRST"
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


def revision(item: Any, status: str) -> Any:
    """The item's revision for subscribers: its Modified time when a change in this status
    is news (``ContentType.changes_notified``), else its Date, already sent."""
    modified = item.values.get("modified")
    notified = item.type.changes_notified
    if modified and (notified is None or status in notified):
        return modified
    return item.values["date"]


def drawn(values: Mapping[str, Any]) -> list[Any]:
    """An item's own Polygon, as a list of rings (none if it has none)."""
    return [values["polygon"]] if values.get("polygon") else []


def text_record(body: str, site: str, stop: str) -> Record:
    """A text in the manifest: counted as residents receive it, with its stop link."""
    length = sent_length(body, site, stop)
    return {"body": body, "encoding": length.encoding, "segments": length.segments, "stop": stop}


class Manifest:
    """The manifest of one build: what Pelican read (``context``), in its ``settings``,
    rendered with the theme's templates (``env``)."""

    def __init__(self, context: Mapping[str, Any], settings: Mapping[str, Any], env: Any):
        self.context, self.settings, self.env = context, settings, env

    def build(self, catalogue: Any, council: Mapping[str, Any]) -> Record:
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


def write_manifest_first(pelican: Any) -> None:
    """Pelican's ``get_writer``, sent when every item is final and before any page is
    written: the manifest, where the build says something holds it back until the pages
    it links to are live (MANIFEST_FIRST)."""
    generator = articles_generator(pelican.settings)  # what the manifest is made of
    if generator is not None and pelican.settings.get(MANIFEST_FIRST):
        writer = SpeakingWriter(pelican.output_path, settings=pelican.settings)
        write_manifest(generator, writer)


def write_manifest(generator: Any, writer: Any) -> None:
    """The manifest of what ``generator`` read, through Pelican's ``writer`` (its
    ``content_written`` signal)."""
    published = Catalogue(generator.context, generator.settings)
    manifest = Manifest(generator.context, generator.settings, generator.env)
    data = manifest.build(published, council_of(generator.settings, published))
    write_document(writer, generator.context, MANIFEST, as_json(data))
