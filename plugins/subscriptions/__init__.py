"""Pelican plugin: what the subscription backend takes from the site.

``/subscriptions/shell.html``: a page of the site (header, alert banner, footer, styles)
with markers where the backend puts its forms, so its pages look like the site's.
``/subscriptions/options.json``: the topics (one per content type), wards, notice types
and languages its forms offer.
"""

from __future__ import annotations

import json
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.content_model.registry import ITEM_TYPES
from plugins.govuk_theme.formatting import language_name
from plugins.govuk_theme.interface import shipped_languages, translations_dir
from plugins.output_files import write_document
from plugins.postcodes import LOOKUP as POSTCODE_LOOKUP

SHELL_SAVE_AS = "subscriptions/shell.html"
OPTIONS_SAVE_AS = "subscriptions/options.json"


class SubscriptionsGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        writer.write_file(
            SHELL_SAVE_AS, self.get_template("subscriptions_shell"), self.context, url=""
        )
        notice_type = ITEM_TYPES["notices"].field("notice-type")
        # What residents may choose: every language the interface speaks, and any other
        # the content is in (its emails then speak English around it).
        shipped = shipped_languages(translations_dir(self.settings))
        languages = {self.settings.get("DEFAULT_LANG", "en"), *shipped}
        for article in self.context.get("articles", []):
            languages.update(t.lang for t in article.translations)
        options = {
            "council": self.settings["COUNCIL_NAME"],
            "site_url": self.settings["SITE_URL"],
            "topics": subscription_topics(),
            "wards": [
                {"slug": w.slug, "name": w.name}
                for w in checked_content(self.context).wards.values()
            ],
            "notice_types": [
                {"slug": slug, "label": notice_type.label(slug)} for slug in notice_type.choices
            ]
            if notice_type
            else [],
            "languages": [{"tag": tag, "name": language_name(tag)} for tag in sorted(languages)],
            # Whether the site publishes a postcode lookup (make postcodes): without one
            # the forms do not ask for a postcode.
            "postcodes": self.context.get(POSTCODE_LOOKUP) is not None,
        }
        text = json.dumps(options, ensure_ascii=False, indent=1) + "\n"
        write_document(writer, self.context, OPTIONS_SAVE_AS, text)


def subscription_topics() -> list[dict[str, str | bool]]:
    """What residents can subscribe to: one topic per type of content, saying whether the
    council may send it by text message."""
    return [{"slug": t.folder, "label": t.label, "texts": t.by_text} for t in ITEM_TYPES.values()]


def subscriptions_generator(pelican: Any) -> type[Generator]:
    return SubscriptionsGenerator


def register() -> None:
    signals.get_generators.connect(subscriptions_generator)
