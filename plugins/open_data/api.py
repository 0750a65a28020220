"""What the open data API says of each published item, made once per build."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from plugins.cap import CAP_SAVE_AS
from plugins.content_model import checked_content
from plugins.content_model.schema import ContentType
from plugins.site_pages.board import Board

from .records import Published, Record, item_record


def as_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


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


def council_of(settings: Mapping[str, Any], catalogue: Catalogue) -> Record:
    """Who publishes: at the top of every API file."""
    return {"council": settings["COUNCIL_NAME"], "site_url": catalogue.site}
