"""Pelican plugin: what the subscription backend takes from the site.

``/subscriptions/shell.html``: a page of the site (header, alert banner, footer, styles)
with markers where the backend puts its forms, so its pages look like the site's; and
``/subscriptions/{lang}/shell.html`` the same in each other language the interface speaks.
``/subscriptions/options.json``: the topics (one per content type), wards, notice types
and languages its forms offer, with the topics' and notice types' names in each language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.content_model.registry import ITEM_TYPES
from plugins.govuk_theme.interface import gettext_for, shipped_languages, translations_dir
from plugins.output_files import write_document
from plugins.postcodes import LOOKUP as POSTCODE_LOOKUP
from plugins.site_pages import language_homes
from subscriber_lambda.core.catalogues import language_label
from subscriber_lambda.site_data import OPTIONS, SHELL, SHELL_IN


class SubscriptionsGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        shipped = shipped_languages(translations_dir(self.settings))
        default = self.settings.get("INTERFACE_LANG", "en")
        template = self.get_template("subscriptions_shell")
        for lang in {default, *shipped}:
            save_as = SHELL if lang == default else SHELL_IN.format(lang=lang)
            writer.write_file(save_as, template, self.context, url="", interface_lang=lang)
        notice_type = ITEM_TYPES["notices"].field("notice-type")
        # What residents may choose: every language the interface speaks, and any other
        # the content is in (its emails then speak English around it).
        languages = {self.settings.get("DEFAULT_LANG", "en"), *shipped}
        for article in self.context.get("articles", []):
            languages.update(t.lang for t in article.translations)
        labels = {lang: gettext_for(lang, self.settings) for lang in shipped}
        options = {
            "council": self.settings["COUNCIL_NAME"],
            "site_url": self.settings["SITE_URL"],
            "interface_lang": default,
            # The home page in each language: where a page in it leads back to.
            "homes": dict(language_homes(self.settings)),
            "topics": subscription_topics(labels),
            "wards": [
                {"slug": w.slug, "name": w.name}
                for w in checked_content(self.context).wards.values()
            ],
            "notice_types": [
                labelled({"slug": slug}, notice_type.label(slug), labels)
                for slug in notice_type.choices
            ]
            if notice_type
            else [],
            "languages": [{"tag": tag, "name": language_label(tag)} for tag in sorted(languages)],
            # Whether the site publishes a postcode lookup (make postcodes): without one
            # the forms do not ask for a postcode.
            "postcodes": self.context.get(POSTCODE_LOOKUP) is not None,
            # Whether the site publishes bin collection rounds: residents who give a
            # postcode may then ask for a reminder the evening before their bin day.
            "bin_days": bool(checked_content(self.context).rounds),
        }
        text = json.dumps(options, ensure_ascii=False, indent=1) + "\n"
        write_document(writer, self.context, OPTIONS, text)


Translate = Callable[[str], str]


def labelled(entry: dict[str, Any], label: str, labels: Mapping[str, Translate]) -> dict[str, Any]:
    """A choice with its English ``label`` and its ``labels`` in each other language."""
    named = {lang: gettext(label) for lang, gettext in labels.items() if lang != "en"}
    return {**entry, "label": label, "labels": named}


def subscription_topics(labels: Mapping[str, Translate]) -> list[dict[str, Any]]:
    """What residents can subscribe to: one topic per type of content, saying whether the
    council may send it by text message."""
    return [
        labelled({"slug": t.folder, "texts": t.by_text}, t.label, labels)
        for t in ITEM_TYPES.values()
    ]


def subscriptions_generator(pelican: Any) -> type[Generator]:
    return SubscriptionsGenerator


def register() -> None:
    signals.get_generators.connect(subscriptions_generator)
