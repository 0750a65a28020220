"""Pelican plugin: the open data API under /api/v1/, its JSON Schemas, the notify manifest
for the subscription backend, and statutory notices' JSON-LD.

Records are built by ``records.py`` (pure); this module gathers what Pelican read, renders
the emails with the theme's templates and writes files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from plugins.cap import CAP_SAVE_AS
from plugins.content_model import WARDS
from plugins.site_pages.board import Board, is_open

from .records import (
    Published,
    Record,
    alert_record,
    bin_change_record,
    iso,
    moved_collections,
    notice_json_ld,
    notice_record,
    ward_record,
    ward_slugs,
)

API = "api/v1"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
PLACEHOLDERS = {"manage_url": "((manage_url))", "unsubscribe_url": "((unsubscribe_url))"}


def superseded(item: Any) -> str | None:
    """The id of the alert an update or cancellation replaces: it goes to that alert's
    recipients too."""
    target = item.values.get("updates") or item.values.get("cancels")
    return f"alerts/{target}" if target else None


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


class Catalogue:
    """Every published item as the API records it, made once per build."""

    def __init__(self, context: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        self.board: Board = context["board"]
        self.site = settings["SITE_URL"]
        self.wards = settings[WARDS]
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
        if item.kind == "alerts":
            status = self.board.status(entry)
        elif item.kind == "notices":
            status = "open" if is_open(entry, self.board.now) else "closed"
        else:
            status = ""
        return Published(item, f"{self.site}/{entry.url}", translations, status)

    def alerts(self) -> list[Record]:
        return [
            alert_record(
                self.published(a), self.wards, f"{self.site}/{CAP_SAVE_AS.format(slug=a.item.slug)}"
            )
            for a in self.board.alerts
        ]

    def notice(self, entry: Any) -> Record:
        return notice_record(self.published(entry), self.wards, f"{self.site}/notices/documents")

    def notices(self) -> list[Record]:
        return [self.notice(n) for n in self.board.notices]

    def bin_changes(self) -> list[Record]:
        return [bin_change_record(self.published(b), self.wards) for b in self.board.bin_changes]


def published_schema(path: Path, site: str) -> Record:
    """A schema as published: with its own absolute ``$id``, so its relative ``$ref``s
    (``common.schema.json#/...``) resolve for any validator, wherever it is read from."""
    schema: Record = json.loads(path.read_text(encoding="utf-8"))
    return {"$id": f"{site}/{API}/schema/{path.name}", **schema}


class OpenDataGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        catalogue = Catalogue(self.context, self.settings)
        output = Path(self.output_path) / API
        council = {"council": self.settings["COUNCIL_NAME"], "site_url": catalogue.site}
        write_json(output / "alerts.json", {**council, "alerts": catalogue.alerts()})
        write_json(output / "notices.json", {**council, "notices": catalogue.notices()})
        bin_changes = catalogue.bin_changes()
        write_json(
            output / "bin-changes.json",
            {
                **council,
                "bin_changes": bin_changes,
                "moved_collections": moved_collections(bin_changes),
            },
        )
        write_json(
            output / "wards.json",
            {
                **council,
                "local_authority_code": self.settings.get("LOCAL_AUTHORITY_CODE"),
                "wards": [ward_record(w, catalogue.site) for w in catalogue.wards.values()],
            },
        )
        write_json(output / "notify.json", self.notify_manifest(catalogue, council))
        for schema in sorted(SCHEMAS.glob("*.schema.json")):
            write_json(output / "schema" / schema.name, published_schema(schema, catalogue.site))

    def notify_manifest(self, catalogue: Catalogue, council: Mapping[str, Any]) -> Record:
        """Items published in the last NOTIFY_WINDOW_DAYS with Notify: yes, each version
        (the original and each translation) with its email rendered by the theme."""
        window = self.settings.get("NOTIFY_WINDOW_DAYS", 14)
        since = catalogue.board.now - timedelta(days=window)
        items = []
        for entry in catalogue.board.everything:
            values = entry.item.values
            if not values["notify"] or values["date"] < since:
                continue
            article = catalogue.articles.get((entry.item.kind, entry.item.slug))
            versions = [article, *article.translations] if article else []
            items.append(
                {
                    "id": f"{entry.item.kind}/{entry.item.slug}",
                    "revision": iso(values.get("modified") or values["date"]),
                    "type": entry.item.kind,
                    "topic_detail": values.get("event") or values.get("notice_type"),
                    "supersedes": superseded(entry.item),
                    "urgency": "immediate" if entry.item.kind == "alerts" else "routine",
                    "exercise": bool(values.get("exercise")),
                    "wards": ward_slugs(entry.item, catalogue.wards),
                    "district_wide": "all" in values["wards"],
                    "published": iso(values["date"]),
                    "versions": [self.version(v, catalogue.site) for v in versions],
                }
            )
        return {**council, "placeholders": PLACEHOLDERS, "window_days": window, "items": items}

    def version(self, article: Any, site: str) -> Record:
        item, url = article.item, f"{site}/{article.url}"
        values = {**self.context, "item": item, "url": url}
        subject = " ".join(self.env.get_template("email/subject.txt").render(values).split())
        return {
            "lang": item.lang,
            "url": url,
            "title": item.values["title"],
            "summary": item.values["summary"],
            "email": {
                "subject": subject,
                "text": self.env.get_template("email/item.txt").render(
                    {**values, "subject": subject}
                ),
                "html": self.env.get_template("email/item.html").render(
                    {**values, "subject": subject}
                ),
            },
        }


def add_structured_data(generator: Any) -> None:
    """``notice_json_ld(article)`` for notice pages: the API record as schema.org JSON-LD."""

    made: list[Catalogue] = []  # made at the first notice page, once the board exists

    def notice_json_ld_script(article: Any) -> Markup:
        if not made:
            made.append(Catalogue(generator.context, generator.settings))
        catalogue = made[0]
        entry = catalogue.board.find("notices", article.item.slug)
        data = notice_json_ld(catalogue.notice(entry), generator.settings["COUNCIL_NAME"])
        text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
        return Markup(f'<script type="application/ld+json">{text}</script>')

    generator.env.globals["notice_json_ld"] = notice_json_ld_script


def open_data_generator(pelican: Any) -> type[Generator]:
    return OpenDataGenerator


def register() -> None:
    signals.generator_init.connect(add_structured_data)
    signals.get_generators.connect(open_data_generator)
