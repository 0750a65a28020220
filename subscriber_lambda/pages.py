"""The backend's pages and emails, rendered from its own templates with GOV.UK Frontend's
macros and put in the page shell the site builds (same header, footer and alert banner).

One ``Pages`` is built at start and shared: the Jinja environment is safe to use from
many threads once built, and nothing in it changes after that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from .core.preferences import Choices
from .site_data import SiteData

TEMPLATES = Path(__file__).resolve().parent / "templates"
COMPONENTS = {
    "govukButton": "button",
    "govukCheckboxes": "checkboxes",
    "govukErrorSummary": "error-summary",
    "govukInput": "input",
    "govukNotificationBanner": "notification-banner",
    "govukPanel": "panel",
    "govukRadios": "radios",
}


# What the choices are called on the forms, the confirmation page and the emails (the
# topics are the site's types of content, from its options.json).
FREQUENCY_LABELS = [
    ("immediate", "As soon as they are published"),
    ("daily", "Once a day"),
    ("weekly", "Once a week"),
]


# The backend's problem pages: (heading, what to do), by name.
PROBLEMS = {
    "bad-link": (
        "This link does not work",
        "It may have expired, been copied wrongly, or already been used to change your emails.",
    ),
    "too-many": ("Too many requests", "Please wait an hour and try again."),
    "too-large": ("Too much data", "Go back and try again."),
    "not-a-form": ("This is not a form we know", "Go back and try again."),
    "not-found": ("Page not found", "Check the web address."),
    "link-used": (
        "This link has already been used",
        "Each confirmation link works once. If you want to change your emails, ask for a new link.",
    ),
    "bad-request": ("Sorry, we could not read that", "Go back and try again."),
    "not-allowed": ("This page does not do that", "Go back and try again."),
    "cross-site": (
        "This form was sent from another website",
        "Use the form on this website instead.",
    ),
    "no-code": (
        "There is no code waiting for your number",
        "If you have just subscribed, wait a minute and try again. Otherwise we could not"
        " text that number, or it has been removed: check the number and add it again from"
        " the link to change your choices in any of our emails.",
    ),
    "server-error": ("Sorry, there is a problem with the service", "Try again later."),
    "busy": ("Sorry, the service is busy", "Try again in a minute."),
}


@dataclass(frozen=True)
class Page:
    status: int
    html: str


def choice_items(options: list[tuple[str, str]], chosen: list[str]) -> list[dict[str, Any]]:
    """Checkbox or radio items from (value, label) pairs, ticked where chosen."""
    return [{"value": value, "text": label, "checked": value in chosen} for value, label in options]


def number_hint(phone: str = "", waiting: str = "") -> str:
    """What the form says about the resident's numbers (each already masked)."""
    if not phone and not waiting:
        return "For a number from abroad, include the country code, like +48"
    now = f"Texts go to {phone}. " if phone else ""
    if waiting:
        now += f"{waiting} is waiting for its code. "
    return now + "Leave this empty to keep it as it is."


def field_error(errors: Mapping[str, str], name: str) -> dict[str, str] | None:
    return {"text": errors[name]} if name in errors else None


class Pages:
    def __init__(self, site: SiteData, site_url: str, texts: bool = False) -> None:
        """``texts``: whether the backend can send text messages, so forms offer them."""
        self.site, self.site_url, self.texts = site, site_url, texts
        self._env = Environment(
            loader=ChoiceLoader(
                [
                    FileSystemLoader(str(TEMPLATES)),
                    PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
                ]
            ),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        for name, folder in COMPONENTS.items():
            macro = f"govuk_frontend_jinja/components/{folder}/macro.html"
            self._env.globals[name] = getattr(self._env.get_template(macro).module, name)
        self._env.globals.update(
            items=choice_items,
            field_error=field_error,
            number_hint=number_hint,
            error_summary=self._error_summary,
            topic_labels=lambda: self.site.topics,
            text_topic_labels=lambda: self.site.text_topics if self.texts else [],
            frequency_labels=FREQUENCY_LABELS,
        )

    def _error_summary(self, errors: Mapping[str, str]) -> Any:
        """GOV.UK's error summary, linking each problem to its field."""
        if not errors:
            return ""
        error_list = [{"text": text, "href": f"#{name}"} for name, text in errors.items()]
        summary: Any = self._env.globals["govukErrorSummary"]
        return summary({"titleText": "There is a problem", "errorList": error_list})

    def choices_made(self, preferences: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(question, answer) pairs saying what a resident chose, in plain words."""

        def named(options: list[tuple[str, str]], chosen: list[str]) -> str:
            names = dict(options)
            return ", ".join(names.get(value, value) for value in chosen)

        wards = list(preferences.get("wards", []))
        rows = [
            ("Emails about", named(self.site.topics, list(preferences.get("topics", [])))),
            (
                "Wards",
                "The whole district" if "all" in wards else named(self.site.wards, wards),
            ),
        ]
        if preferences.get("notice_types"):
            rows.append(
                ("Kinds of notice", named(self.site.notice_types, preferences["notice_types"]))
            )
        if preferences.get("text_topics"):
            rows.append(("Texts about", named(self.site.text_topics, preferences["text_topics"])))
        rows.append(("How often", named(FREQUENCY_LABELS, [preferences.get("frequency", "")])))
        if len(self.site.languages) > 1:
            rows.append(("Language", named(self.site.languages, [preferences.get("lang", "en")])))
        return rows

    def page(self, status: int, template: str, title: str, **values: Any) -> Page:
        """A page of the site. Its links and forms are addressed from the site's root
        (``base`` is SITE_URL's path, usually empty), not by SITE_URL's host: so they work
        whichever name or port the page was reached by (localhost, 127.0.0.1, www.)."""
        content = self._env.get_template(template).render(
            site=self.site, base=urlsplit(self.site_url).path.rstrip("/"), **values
        )
        return Page(status, self.site.page(f"{title} \u2013 {self.site.council}", content))

    def problem(self, status: int, problem: str) -> Page:
        heading, advice = PROBLEMS[problem]
        return self.page(status, "problem.html", heading, heading=heading, advice=advice)

    def choices(self) -> Choices:
        """What the forms offer (texts only when the backend can send them)."""
        return self.site.choices(texts=self.texts)

    def text(self, template: str, **values: Any) -> str:
        """A text message the backend sends itself (a confirmation code), one line."""
        body = self._env.get_template(f"text/{template}.txt").render(site=self.site, **values)
        return " ".join(body.split())

    def email(self, template: str, subject: str, **values: Any) -> dict[str, str]:
        """Subject, text and HTML in the notify manifest's shape."""
        text = self._env.get_template(f"email/{template}.txt").render(site=self.site, **values)
        html = self._env.get_template(f"email/{template}.html").render(
            site=self.site, subject=subject, **values
        )
        return {"subject": subject, "text": text, "html": html}
