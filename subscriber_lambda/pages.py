"""The backend's pages and emails, rendered from its own templates with GOV.UK Frontend's
macros and put in the page shell the site builds (same header, footer and alert banner).

One ``Pages`` is built at start and shared: the Jinja environment is safe to use from
many threads once built, and nothing in it changes after that.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import escape

from .core.catalogues import DEFAULT_LANGUAGE, N_, SPEAKING, direction, language_label
from .core.phones import CODE_DIGITS, CODES_PER_HOUR
from .core.preferences import BIN_DAYS, Choices
from .languages import SPOKEN, TEXT, gettext
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
# The page being answered, as (path, query without ``lang``), while its route runs: the
# language switcher links to it in each other language (``Pages.switcher``).
ADDRESS: ContextVar[tuple[str, tuple[tuple[str, str], ...]] | None] = ContextVar(
    "address", default=None
)


@contextmanager
def answering(path: str, query: Mapping[str, list[str]]) -> Iterator[None]:
    """Pages made while the block runs offer this address in the other languages."""
    kept = tuple(
        (name, value) for name, values in query.items() if name != "lang" for value in values
    )
    token = ADDRESS.set((path, kept))
    try:
        yield
    finally:
        ADDRESS.reset(token)


# What the choices are called on the forms, the confirmation page and the emails (the
# topics are the site's types of content, from its options.json).
FREQUENCY_LABELS = [
    ("immediate", N_("As soon as they are published")),
    ("daily", N_("Once a day")),
    ("weekly", N_("Once a week")),
]


# What residents call the bins the rounds collect (rounds.csv's services), as words
# inside a sentence; a service not named here is called what the rounds file calls it.
SERVICE_NAMES = {
    "refuse": N_("rubbish"),
    "recycling": N_("recycling"),
    "food": N_("food waste"),
    "garden": N_("garden waste"),
}
REMINDER_LABELS = [
    (BIN_DAYS, N_("Bin day reminders: an email the evening before each collection")),
]


# The backend's problem pages: (heading, what to do), by name.
PROBLEMS = {
    "bad-link": (
        N_("This link does not work"),
        N_("It may have expired, been copied wrongly, or already been used to change your emails."),
    ),
    "too-many": (N_("Too many requests"), N_("Please wait an hour and try again.")),
    "too-large": (N_("Too much data"), N_("Go back and try again.")),
    "not-a-form": (N_("This is not a form we know"), N_("Go back and try again.")),
    "not-found": (N_("Page not found"), N_("Check the web address.")),
    "link-used": (
        N_("This link has already been used"),
        N_(
            "Each confirmation link works once. If you want to change your emails, ask for a"
            " new link."
        ),
    ),
    "bad-request": (N_("Sorry, we could not read that"), N_("Go back and try again.")),
    "not-allowed": (N_("This page does not do that"), N_("Go back and try again.")),
    "cross-site": (
        N_("This form was sent from another website"),
        N_("Use the form on this website instead."),
    ),
    "no-code": (
        N_("There is no code waiting for your number"),
        N_(
            "If you have just subscribed, wait a minute and try again. Otherwise we could not"
            " text that number, or it has been removed: check the number and add it again from"
            " the link to change your choices in any of our emails."
        ),
    ),
    "server-error": (N_("Sorry, there is a problem with the service"), N_("Try again later.")),
    "busy": (N_("Sorry, the service is busy"), N_("Try again in a minute.")),
}
# Between the items of a list of choices (Arabic writes "، ").
LIST_SEPARATOR = N_(", ")
# The numbers that messages name, filled in once the message is translated.
MESSAGE_VALUES = {"digits": CODE_DIGITS, "codes": CODES_PER_HOUR}


def said(message: str) -> str:
    """A message (a form's error, a problem) in the language being spoken."""
    text = gettext(message)
    return text % MESSAGE_VALUES if "%(" in message else text


@dataclass(frozen=True)
class Page:
    status: int
    html: str
    lang: str = DEFAULT_LANGUAGE
    location: str = ""  # where a redirect (303) sends the browser


def service_name(service: str, name: str = "") -> str:
    """A bin service named as residents call it, in the language being spoken."""
    known = SERVICE_NAMES.get(service)
    return gettext(known) if known else name or service.replace("-", " ")


def and_list(words: list[str]) -> str:
    """'rubbish', 'rubbish and food waste', 'rubbish, recycling and food waste'."""
    if len(words) < 2:
        return "".join(words)
    head = gettext(LIST_SEPARATOR).join(words[:-1])
    return gettext("%(list)s and %(last)s") % {"list": head, "last": words[-1]}


def reminder_labels() -> list[tuple[str, str]]:
    return [(value, gettext(label)) for value, label in REMINDER_LABELS]


def choice_items(options: list[tuple[str, str]], chosen: list[str]) -> list[dict[str, Any]]:
    """Checkbox or radio items from (value, label) pairs, ticked where chosen."""
    return [{"value": value, "text": label, "checked": value in chosen} for value, label in options]


def language_items(options: list[tuple[str, str]], chosen: list[str]) -> list[dict[str, Any]]:
    """The languages to choose from, each named in its own language and marked so."""
    return [
        {**item, "label": {"attributes": {"lang": item["value"]}}}
        for item in choice_items(options, chosen)
    ]


def number_hint(phone: str = "", waiting: str = "") -> str:
    """What the form says about the resident's numbers (each already masked)."""
    if not phone and not waiting:
        return gettext("For a number from abroad, include the country code, like +48")
    parts = [gettext("Texts go to %(number)s.") % {"number": phone}] if phone else []
    if waiting:
        parts.append(gettext("%(number)s is waiting for its code.") % {"number": waiting})
    return " ".join([*parts, gettext("Leave this empty to keep it as it is.")])


def field_error(errors: Mapping[str, str], name: str) -> dict[str, str] | None:
    if name not in errors:
        return None
    return {"text": said(errors[name]), "visuallyHiddenText": gettext("Error")}


def frequency_labels() -> list[tuple[str, str]]:
    return [(value, gettext(label)) for value, label in FREQUENCY_LABELS]


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
            extensions=["jinja2.ext.i18n"],
        )
        i18n: Any = self._env  # the i18n extension adds install_gettext_callables
        i18n.install_gettext_callables(TEXT.gettext, TEXT.ngettext, newstyle=True)
        self.base = urlsplit(site_url).path.rstrip("/")
        for name, folder in COMPONENTS.items():
            macro = f"govuk_frontend_jinja/components/{folder}/macro.html"
            self._env.globals[name] = getattr(self._env.get_template(macro).module, name)
        self._env.globals.update(
            items=choice_items,
            language_items=language_items,
            field_error=field_error,
            number_hint=number_hint,
            error_summary=self._error_summary,
            topic_labels=lambda: self.site.topics,
            text_topic_labels=lambda: self.site.text_topics if self.texts else [],
            frequency_labels=frequency_labels,
            reminder_labels=lambda: reminder_labels() if self.choices().reminders else [],
            page_language=SPEAKING.get,
            page_direction=lambda: direction(SPEAKING.get()),
            link=self.link,
            home=lambda: self.base + self.site.home(SPEAKING.get()),
        )

    def _error_summary(self, errors: Mapping[str, str]) -> Any:
        """GOV.UK's error summary, linking each problem to its field."""
        if not errors:
            return ""
        error_list = [{"text": said(text), "href": f"#{name}"} for name, text in errors.items()]
        summary: Any = self._env.globals["govukErrorSummary"]
        return summary({"titleText": gettext("There is a problem"), "errorList": error_list})

    def link(self, path: str, **query: str) -> str:
        """A backend address from the site's root (``base`` is SITE_URL's path, usually
        empty), in the language being spoken: so links and forms work whichever name or
        port the page was reached by (localhost, 127.0.0.1, www.) and keep the language."""
        values = {name: value for name, value in query.items() if value}
        if SPEAKING.get() != self.site.interface_lang:
            values["lang"] = SPEAKING.get()
        return f"{self.base}{path}" + (f"?{urlencode(values)}" if values else "")

    def switcher(self) -> str:
        """Links to the page being answered in each other language the backend speaks,
        each named in its own language (as the site's item pages offer their versions)."""
        address = ADDRESS.get()
        if address is None or len(SPOKEN) < 2:
            return ""
        path, query = address
        versions = [
            (lang, language_label(lang), f"{self.base}{path}?{urlencode([*query, ('lang', lang)])}")
            for lang in SPOKEN
        ]
        return self._env.get_template("_languages.html").render(versions=versions)

    def choices_made(self, preferences: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(question, answer) pairs saying what a resident chose, in plain words."""

        def named(options: list[tuple[str, str]], chosen: list[str]) -> str:
            names = dict(options)
            return gettext(LIST_SEPARATOR).join(names.get(value, value) for value in chosen)

        wards = list(preferences.get("wards", []))
        _ = gettext
        topics = list(preferences.get("topics", []))  # none: reminders alone
        rows = [(_("Emails about"), named(self.site.topics, topics))] if topics else []
        rows.append(
            (
                _("Wards"),
                _("The whole district") if "all" in wards else named(self.site.wards, wards),
            )
        )
        if preferences.get("postcode"):  # its ward, and alerts drawn around it
            rows.append((_("Postcode"), preferences["postcode"]))
        if preferences.get("notice_types"):
            chosen = preferences["notice_types"]
            rows.append((_("Kinds of notice"), named(self.site.notice_types, chosen)))
        if preferences.get("text_topics"):
            chosen = preferences["text_topics"]
            rows.append((_("Texts about"), named(self.site.text_topics, chosen)))
        if preferences.get("reminders"):
            rows.append((_("Reminders"), named(reminder_labels(), preferences["reminders"])))
        frequency = [preferences.get("frequency", "")]
        rows.append((_("How often"), named(frequency_labels(), frequency)))
        if len(self.site.languages) > 1:
            chosen = [preferences.get("lang", DEFAULT_LANGUAGE)]
            rows.append((_("Language"), named(self.site.languages, chosen)))
        return rows

    def page(self, status: int, template: str, title: str, **values: Any) -> Page:
        """A page of the site, in the language being spoken. ``title`` is a message (see
        ``said``); a page showing ``errors`` says so first in its title."""
        content = self._env.get_template(template).render(site=self.site, base=self.base, **values)
        title = said(title)
        if values.get("errors"):
            title = gettext("Error: %(title)s") % {"title": title}
        # The shell's title adds the site's name, in the same language.
        html = self.site.page(str(escape(title)), self.switcher() + content)
        return Page(status, html, SPEAKING.get())

    def redirect(self, location: str) -> Page:
        """A 303 to ``location`` (an address from the site's root), with a page saying
        where, for a client that does not follow it."""
        content = self._env.get_template("redirect.html").render(location=location)
        return Page(
            303,
            self.site.page(str(escape(gettext("Redirecting"))), content),
            SPEAKING.get(),
            location,
        )

    def problem(self, status: int, problem: str) -> Page:
        heading, advice = PROBLEMS[problem]
        return self.page(
            status, "problem.html", heading, heading=said(heading), advice=said(advice)
        )

    def choices(self) -> Choices:
        """What the forms offer (texts only when the backend can send them)."""
        return self.site.choices(texts=self.texts)

    def text(self, template: str, **values: Any) -> str:
        """A text message the backend sends itself (a confirmation code), one line, in the
        language being spoken."""
        body = self._env.get_template(f"text/{template}.txt").render(site=self.site, **values)
        return " ".join(body.split())

    def email(self, template: str, subject: str, **values: Any) -> dict[str, str]:
        """Subject, text and HTML in the notify manifest's shape, in the language being
        spoken (``subject`` too)."""
        values = {"site": self.site, "subject": subject, **values}
        text = self._env.get_template(f"email/{template}.txt").render(values)
        html = self._env.get_template(f"email/{template}.html").render(values)
        return {"subject": subject, "text": text, "html": html}
