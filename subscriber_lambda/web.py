"""The subscription routes, framework-free: a request in, a response out.

The embedded server (``serve``) and, later, the AWS Lambda handler both call ``handle``.
Plain HTML forms, no JavaScript, no cookies. Responses never say whether an address is
subscribed: the same page follows every sign-up and every manage-link request, and the
emails sent differ only in the inbox of the address's owner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from .core.addresses import AddressError, address_hash, normalise_address
from .core.messages import build_message
from .core.preferences import Preferences, read_form
from .core.tokens import Purpose, Signer, TokenError
from .notify import Links
from .ports import Mailer, Store
from .site_data import SiteData

MAX_BODY = 16 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
LIMITS = {  # (requests, seconds) per address and per client, on forms that send email
    "address": (5, 3600),
    "client": (30, 3600),
}
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    body: bytes = b""
    content_type: str = ""
    client: str = ""

    def form(self) -> dict[str, list[str]]:
        return parse_qs(
            self.body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=200
        )


@dataclass
class Response:
    status: int
    body: str
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"}
    )


@dataclass
class Subscriptions:
    store: Store
    mailer: Mailer
    signer: Signer
    site: SiteData
    site_url: str
    sender: str
    host: str
    key: bytes
    clock: Callable[[], datetime]

    def __post_init__(self) -> None:
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
        components = {
            "govukButton": "button",
            "govukCheckboxes": "checkboxes",
            "govukErrorSummary": "error-summary",
            "govukInput": "input",
            "govukNotificationBanner": "notification-banner",
            "govukPanel": "panel",
            "govukRadios": "radios",
        }
        for name, folder in components.items():
            macro = f"govuk_frontend_jinja/components/{folder}/macro.html"
            self._env.globals[name] = getattr(self._env.get_template(macro).module, name)
        self._env.globals.update(
            items=choice_items, field_error=field_error, error_summary=self._error_summary
        )

    def _error_summary(self, errors: Mapping[str, str]) -> Any:
        """GOV.UK's error summary, linking each problem to its field."""
        if not errors:
            return ""
        error_list = [{"text": text, "href": f"#{name}"} for name, text in errors.items()]
        summary: Any = self._env.globals["govukErrorSummary"]
        return summary({"titleText": "There is a problem", "errorList": error_list})

    # --- plumbing ---------------------------------------------------------------------

    def page(self, status: int, template: str, title: str, **values: Any) -> Response:
        content = self._env.get_template(template).render(
            site=self.site, base=self.site_url, **values
        )
        return Response(status, self.site.page(f"{title} \u2013 {self.site.council}", content))

    def handle(self, request: Request) -> Response:
        route = ROUTES.get((request.method, request.path.rstrip("/")))
        if route is None:
            allowed = {m for m, p in ROUTES if p == request.path.rstrip("/")}
            if allowed:
                return Response(405, "Method not allowed", {"Allow": ", ".join(sorted(allowed))})
            return self.page(404, "problem.html", "Page not found", problem="not-found")
        if request.method == "POST":
            if len(request.body) > MAX_BODY:
                return self.page(413, "problem.html", "Too much data", problem="too-large")
            if request.content_type.split(";")[0].strip().lower() != FORM_TYPE:
                return self.page(415, "problem.html", "Not a form", problem="not-a-form")
        return route(self, request)

    def send(self, to: str, email_hash: str, email: dict[str, str]) -> None:
        now = self.clock()
        links = Links(self.signer, self.site_url)
        message: Message = build_message(
            email, links.envelope(to, email_hash, self.sender, self.host, now), now
        )
        self.mailer.send(message)

    def email(self, template: str, subject: str, **values: Any) -> dict[str, str]:
        text = self._env.get_template(f"email/{template}.txt").render(site=self.site, **values)
        html = self._env.get_template(f"email/{template}.html").render(
            site=self.site, subject=subject, **values
        )
        return {"subject": subject, "text": text, "html": html}

    def limited(self, address_key: str, client: str) -> bool:
        now = self.clock()
        for key, (count, window) in (
            ("address:" + address_key, LIMITS["address"]),
            ("client:" + client, LIMITS["client"]),
        ):
            if not self.store.hit(key, count, window, now):
                return True
        return False

    # --- routes -----------------------------------------------------------------------

    def subscribe_form(self, request: Request) -> Response:
        return self.page(200, "subscribe.html", "Get emails", form={}, errors={})

    def subscribe(self, request: Request) -> Response:
        form = request.form()
        result = read_form(form, self.site.choices())
        if result.errors or result.preferences is None:
            return self.page(
                400, "subscribe.html", "Error: Get emails", form=form, errors=result.errors
            )
        email_hash = address_hash(result.email, self.key)
        if self.limited(email_hash, request.client):
            return self.page(429, "problem.html", "Too many requests", problem="too-many")
        if not self.store.is_suppressed(email_hash):
            if self.store.subscriber_by_hash(email_hash):
                self.send(
                    result.email,
                    email_hash,
                    self.email("already", "You already get emails from us"),
                )
            else:
                token = self.signer.make(
                    Purpose.CONFIRM,
                    {"email": result.email, "preferences": result.preferences.to_dict()},
                    self.clock(),
                )
                link = f"{self.site_url}/subscriptions/confirm?{urlencode({'token': token})}"
                self.send(
                    result.email,
                    email_hash,
                    self.email("confirm", "Confirm your email address", link=link),
                )
        return self.page(200, "check_email.html", "Check your email", email=result.email)

    def confirm(self, request: Request) -> Response:
        try:
            data = self.signer.read(first(request.query, "token"), Purpose.CONFIRM, self.clock())
            email = normalise_address(data["email"])
            preferences = Preferences.from_dict(data["preferences"])
        except (TokenError, AddressError, KeyError, TypeError):
            return self.page(400, "problem.html", "This link does not work", problem="bad-link")
        email_hash = address_hash(email, self.key)
        if not self.store.is_suppressed(email_hash):
            self.store.save_subscriber(email, email_hash, preferences, self.clock())
        return self.page(200, "confirmed.html", "You are subscribed")

    def manage_token(self, request: Request) -> str | None:
        try:
            return str(
                self.signer.read(first(request.query, "token"), Purpose.MANAGE, self.clock())["h"]
            )
        except (TokenError, KeyError):
            return None

    def manage(self, request: Request) -> Response:
        email_hash = self.manage_token(request)
        if email_hash is None:
            return self.page(400, "problem.html", "This link does not work", problem="bad-link")
        subscriber = self.store.subscriber_by_hash(email_hash)
        if subscriber is None:
            return self.page(200, "unsubscribed.html", "You are not subscribed")
        token = first(request.query, "token")
        if request.method == "GET":
            return self.manage_page(200, token, form_of(subscriber.preferences))
        form = request.form()
        if first(form, "action") == "unsubscribe":
            self.store.delete_subscriber(email_hash)
            return self.page(200, "unsubscribed.html", "You have unsubscribed")
        result = read_form(form, self.site.choices(), need_email=False)
        if result.errors or result.preferences is None:
            return self.manage_page(400, token, form, result.errors)
        self.store.save_subscriber(subscriber.email, email_hash, result.preferences, self.clock())
        return self.manage_page(200, token, form_of(result.preferences), saved=True)

    def manage_page(
        self,
        status: int,
        token: str,
        form: Mapping[str, list[str]],
        errors: Mapping[str, str] | None = None,
        saved: bool = False,
    ) -> Response:
        title = "Error: Your emails" if errors else "Your emails"
        return self.page(
            status, "manage.html", title, form=form, errors=errors or {}, token=token, saved=saved
        )

    def manage_link(self, request: Request) -> Response:
        form = request.form()
        try:
            email = normalise_address(first(form, "email"))
        except AddressError as error:
            return self.page(
                400,
                "manage_link.html",
                "Error: Change your emails",
                form=form,
                errors={"email": str(error)},
            )
        email_hash = address_hash(email, self.key)
        if self.limited(email_hash, request.client):
            return self.page(429, "problem.html", "Too many requests", problem="too-many")
        if self.store.subscriber_by_hash(email_hash):
            self.send(email, email_hash, self.email("manage_link", "Change the emails you get"))
        return self.page(200, "check_email.html", "Check your email", email=email)

    def manage_link_form(self, request: Request) -> Response:
        return self.page(200, "manage_link.html", "Change your emails", form={}, errors={})

    def unsubscribe(self, request: Request) -> Response:
        token = first(request.query, "token")
        try:
            email_hash = str(self.signer.read(token, Purpose.UNSUBSCRIBE, self.clock())["h"])
        except (TokenError, KeyError):
            return self.page(400, "problem.html", "This link does not work", problem="bad-link")
        if request.method == "GET":
            return self.page(200, "unsubscribe.html", "Unsubscribe", token=token)
        # POST: the button, or a mail provider's one-click (RFC 8058). Success either way.
        self.store.delete_subscriber(email_hash)
        return self.page(200, "unsubscribed.html", "You have unsubscribed")


def choice_items(options: list[tuple[str, str]], chosen: list[str]) -> list[dict[str, Any]]:
    """Checkbox or radio items from (value, label) pairs, ticked where chosen."""
    return [{"value": value, "text": label, "checked": value in chosen} for value, label in options]


def field_error(errors: Mapping[str, str], name: str) -> dict[str, str] | None:
    return {"text": errors[name]} if name in errors else None


def first(values: Mapping[str, list[str]], name: str) -> str:
    found = values.get(name) or [""]
    return found[0]


def form_of(preferences: Preferences) -> dict[str, list[str]]:
    data = preferences.to_dict()
    return {
        "topics": data["topics"],
        "wards": data["wards"],
        "notice_types": data["notice_types"],
        "lang": [data["lang"]],
        "frequency": [data["frequency"]],
    }


ROUTES: dict[tuple[str, str], Callable[[Subscriptions, Request], Response]] = {
    ("GET", "/subscriptions/subscribe"): Subscriptions.subscribe_form,
    ("POST", "/subscriptions/subscribe"): Subscriptions.subscribe,
    ("GET", "/subscriptions/confirm"): Subscriptions.confirm,
    ("GET", "/subscriptions/manage"): Subscriptions.manage,
    ("POST", "/subscriptions/manage"): Subscriptions.manage,
    ("GET", "/subscriptions/manage-link"): Subscriptions.manage_link_form,
    ("POST", "/subscriptions/manage-link"): Subscriptions.manage_link,
    ("GET", "/subscriptions/unsubscribe"): Subscriptions.unsubscribe,
    ("POST", "/subscriptions/unsubscribe"): Subscriptions.unsubscribe,
}
