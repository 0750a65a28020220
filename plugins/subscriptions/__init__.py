"""Pelican plugin: what the subscription backend takes from the site.

``/subscriptions/shell.html``: a page of the site (header, alert banner, footer, styles)
with markers where the backend puts its forms, so its pages look like the site's.
``/subscriptions/options.json``: the wards, notice types and languages its forms offer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.cap.message import event_name
from plugins.content_model import WARDS
from plugins.content_model.schema import NOTICES
from plugins.govuk_theme.formatting import language_name
from plugins.postcodes import read_lookup

SHELL_SAVE_AS = "subscriptions/shell.html"
OPTIONS_SAVE_AS = "subscriptions/options.json"


class SubscriptionsGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        writer.write_file(
            SHELL_SAVE_AS, self.get_template("subscriptions_shell"), self.context, url=""
        )
        notice_type = NOTICES.field("notice-type")
        languages = {self.settings.get("DEFAULT_LANG", "en")}
        for article in self.context.get("articles", []):
            languages.update(t.lang for t in article.translations)
        options = {
            "council": self.settings["COUNCIL_NAME"],
            "wards": [{"slug": w.slug, "name": w.name} for w in self.settings[WARDS].values()],
            "notice_types": [
                {"slug": slug, "label": event_name(slug)}
                for slug in (notice_type.choices if notice_type else ())
            ],
            "languages": [{"tag": tag, "name": language_name(tag)} for tag in sorted(languages)],
            # Whether the site publishes a postcode lookup (make postcodes): without one
            # the forms do not ask for a postcode.
            "postcodes": read_lookup(self.settings) is not None,
        }
        path = Path(self.output_path) / OPTIONS_SAVE_AS
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(options, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def subscriptions_generator(pelican: Any) -> type[Generator]:
    return SubscriptionsGenerator


def register() -> None:
    signals.get_generators.connect(subscriptions_generator)
