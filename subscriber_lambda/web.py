"""What each subscription route does, free of any web framework: a parsed request in, a
page out. ``asgi.py`` maps URLs and methods to these, parses forms and adds headers; the
embedded server and the Lambda run that same application.

Plain HTML forms, no JavaScript, no cookies. Responses never say whether an address is
subscribed: a sign-up or a manage-link request records a mail job and shows the same
page either way; what is sent is decided after the response (``mail_jobs``). Links in
emails only open pages: changing anything takes a button (a POST), so mail scanners that
follow links change nothing, and a confirmation link confirms once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from .core.addresses import AddressError, address_hash, normalise_address
from .core.catalogues import DEFAULT_LANGUAGE, N_, SPEAKING, speaking
from .core.phones import (
    CODE_DIGITS,
    CODE_WINDOW,
    CODES_PER_HOUR,
    code_hash,
    masked,
    normalise_phone,
    typed_code,
)
from .core.postcodes import normalise_postcode
from .core.preferences import ALL_WARDS, BIN_DAYS, Choices, Preferences, read_form
from .core.reach import CONFIRMATIONS, JOINED, LEFT, SIGN_UPS, UNSUBSCRIBES
from .core.reminders import service_order, single_round
from .core.tokens import LIFETIMES, Purpose, Signer, TokenError
from .languages import answer_language
from .mail_jobs import MANAGE_LINK, PHONE_CODE, SUBSCRIBE, MailJob
from .pages import Page, Pages, answering, said, service_name
from .ports import EMAIL, JobQueue, Store, Subscriber, address_limit_key
from .reach import count, count_change, stop_texts

# Page titles said in more than one place (each is a message: ``pages.said``).
TITLES = {"subscribe": N_("Get emails"), "manage-link": N_("Change your emails")}
PHONE_CONFIRMED = N_("Your number is confirmed")
UNSUBSCRIBED = N_("You have unsubscribed")
LIMITS = {  # (requests, seconds) per address and per client, on forms that send email
    "address": (5, 3600),
    "client": (30, 3600),
}
Values = Mapping[str, list[str]]
CODES_SPENT = N_(
    "We have texted this number %(codes)s codes in the last hour. Wait an hour, then ask for"
    " a new code"
)
WRONG_LENGTH = N_("Enter the %(digits)s digits we sent")
CODE_SPENT = N_("This code has expired or been tried too often: ask for a new code")
CODE_WRONG = N_("That code is not right: check the text")
MAX_TYPED_POSTCODE = 20  # what is shown again of a postcode typed wrong


@dataclass(frozen=True)
class Request:
    method: str
    query: Values = field(default_factory=dict)
    form: Values = field(default_factory=dict)
    client: str = ""
    path: str = ""
    accept_language: str = ""  # the browser's languages (its Accept-Language header)


def note_change(store: Store, email_hash: str, now: datetime) -> None:
    """Note a change to an address's subscription (confirmed, changed, ended, erased), for
    as long as a confirmation link made before it could still be used."""
    lifetime = LIFETIMES[Purpose.CONFIRM]
    assert lifetime is not None
    store.note_change(email_hash, now, now + lifetime)


def shown_number(number: str) -> str:
    """A number as pages show it: masked, and isolated left to right (U+2066...U+2069), so
    that an Arabic sentence does not put its last digits first."""
    return f"\u2066{masked(number)}\u2069"


def first(values: Values, name: str) -> str:
    found = values.get(name) or [""]
    return found[0]


def preselected(query: Values, choices: Choices, lang: str) -> dict[str, list[str]]:
    """The wards, topics, reminders and postcode a link to the form names (a round's page
    asks for ``?reminders=bin-days``), those the council offers only, and the language the form is
    in, if residents may choose it."""
    wards = {ALL_WARDS, *choices.wards}
    return {
        "wards": [w for w in query.get("wards", []) if w in wards],
        "topics": [t for t in query.get("topics", []) if t in choices.topics],
        "reminders": [r for r in query.get("reminders", []) if r in choices.reminders],
        "postcode": [p for p in map(normalise_postcode, query.get("postcode", [])[:1]) if p],
        "lang": [lang if lang in choices.languages else DEFAULT_LANGUAGE],
    }


def form_of(preferences: Preferences) -> dict[str, list[str]]:
    """The manage form as the resident filled it: their postcode, if they gave one, not
    the ward it chose (saving it again keeps where they are)."""
    data = preferences.to_dict()
    return {
        "topics": data["topics"],
        "wards": [] if preferences.postcode else data["wards"],
        "postcode": [preferences.postcode] if preferences.postcode else [],
        "notice_types": data["notice_types"],
        "lang": [data["lang"]],
        "frequency": [data["frequency"]],
        "text_topics": data["text_topics"],
        "reminders": data["reminders"],
    }


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation link carries: the sign-up, and when its link was made."""

    token: str
    email: str
    preferences: Preferences
    issued: datetime
    phone: str  # E.164, or '' when the sign-up gave no number


Route = Callable[["Subscriptions", Request], Page]


@dataclass
class Subscriptions:
    store: Store
    jobs: JobQueue
    signer: Signer
    pages: Pages
    key: bytes
    clock: Callable[[], datetime]

    def answer(self, route: Route, request: Request) -> Page:
        """What ``route`` answers ``request``, in the language the request asks for (a
        route that knows the resident may answer in the one they chose). A page opened by
        a link offers itself in the other languages; a form's answer does not (the links
        would not send the form again)."""
        offered = (
            answering(request.path, request.query) if request.method == "GET" else nullcontext()
        )
        with speaking(self.language(request)), offered:
            return route(self, request)

    def language(self, request: Request, remembered: str = "") -> str:
        """The language to answer ``request`` in (``languages.answer_language``)."""
        chosen, site = first(request.query, "lang"), self.pages.site
        return answer_language(chosen, remembered, request.accept_language, site.interface_lang)

    def bad_link(self) -> Page:
        return self.pages.problem(400, "bad-link")

    def limited(self, address_key: str, client: str) -> bool:
        """Over the limit of requests that send email, for this address or this client."""
        count, window = LIMITS["address"]
        over = not self.store.hit(address_limit_key(address_key), count, window, self.clock())
        return over or self.client_limited(client)

    def client_limited(self, client: str) -> bool:
        count, window = LIMITS["client"]
        return not self.store.hit("client:" + client, count, window, self.clock())

    def _accepted(self, job: MailJob, client: str) -> Page:
        """The one page every accepted sign-up and manage-link request gets."""
        if self.limited(job.email_hash, client):
            return self.pages.problem(429, "too-many")
        self.jobs.post(job)
        return self.pages.page(200, "check_email.html", N_("Check your email"), email=job.email)

    # --- routes -----------------------------------------------------------------------

    def subscribe_form(self, request: Request) -> Page:
        """The form, with what a link chose ticked (a ward page's ``?wards=walmer``)."""
        form = preselected(request.query, self.pages.choices(), SPEAKING.get())
        return self.pages.page(200, "subscribe.html", TITLES["subscribe"], form=form, errors={})

    def subscribe(self, request: Request) -> Page:
        result = read_form(request.form, self.pages.choices())
        if result.errors or result.preferences is None:
            return self.pages.page(
                400, "subscribe.html", TITLES["subscribe"], form=request.form, errors=result.errors
            )
        email_hash = address_hash(result.email, self.key)
        job = MailJob(
            SUBSCRIBE, result.email, email_hash, result.preferences.to_dict(), result.phone
        )
        page = self._accepted(job, request.client)
        if page.status == 200:
            count_change(self.store, self.clock(), SIGN_UPS)
        return page

    def _confirmation(self, request: Request) -> Confirmation | None:
        token = first(request.form if request.method == "POST" else request.query, "token")
        try:
            data = self.signer.read(token, Purpose.CONFIRM, self.clock())
            return Confirmation(
                token=token,
                email=normalise_address(data["email"]),
                preferences=Preferences.from_dict(data["preferences"]),
                issued=datetime.fromtimestamp(float(data["at"]), UTC),
                phone=normalise_phone(data["phone"]) if data.get("phone") else "",
            )
        except (TokenError, AddressError, KeyError, TypeError, ValueError, OverflowError):
            return None

    def confirm_page(self, request: Request) -> Page:
        """The link in the email opens this page; its button confirms."""
        found = self._confirmation(request)
        if found is None:
            return self.bad_link()
        with speaking(self.language(request, found.preferences.lang)):
            return self.pages.page(
                200,
                "confirm.html",
                N_("Confirm your email address"),
                token=found.token,
                choices=self.pages.choices_made(found.preferences.to_dict()),
            )

    def confirm(self, request: Request) -> Page:
        """Confirms, unless the subscription changed since the link was made (this link
        already used, or another, or choices changed, or unsubscribed): then the link no
        longer speaks for the resident and changes nothing."""
        found = self._confirmation(request)
        if found is None:
            return self.bad_link()
        email_hash = address_hash(found.email, self.key)
        if self.store.changed_since(email_hash, found.issued):
            return self.pages.problem(200, "link-used")
        with speaking(self.language(request, found.preferences.lang)):
            return self._confirm(found, email_hash)

    def _confirm(self, found: Confirmation, email_hash: str) -> Page:
        code_form, preferences = None, found.preferences
        texting = bool(found.phone and self.pages.texts)
        codes_spent = texting and not self.codes_left(found.phone)
        if codes_spent:  # no code can go now: no texts until they add the number again
            preferences = replace(preferences, text_topics=frozenset())
        if not self.store.is_suppressed(email_hash):
            new = self.store.subscriber_by_hash(email_hash) is None
            self.store.save_subscriber(found.email, email_hash, preferences, self.clock())
            self.changed(email_hash)
            count_change(self.store, self.clock(), CONFIRMATIONS, *([JOINED] if new else []))
            if texting and not codes_spent:
                self.jobs.post(MailJob(PHONE_CODE, found.email, email_hash, phone=found.phone))
                code_form = self.code_form(email_hash, found.phone)
        return self.pages.page(
            200,
            "confirmed.html",
            N_("You are subscribed"),
            choices=self.pages.choices_made(preferences.to_dict()),
            code_form=code_form,
            codes_spent=codes_spent,
        )

    def codes_left(self, number: str) -> bool:
        """Whether the number may be texted another code this hour (``mail_jobs`` counts
        the codes sent; this says so before one is asked for)."""
        key = address_limit_key(address_hash(number, self.key))
        return self.store.used(key, CODE_WINDOW, self.clock()) < CODES_PER_HOUR

    def code_form(self, email_hash: str, number: str) -> dict[str, str]:
        """What the form that takes the code sent to ``number`` needs."""
        token = self.signer.make(Purpose.CONFIRM_PHONE, {"h": email_hash}, self.clock())
        return {"token": token, "number": shown_number(number), "digits": str(CODE_DIGITS)}

    def _phone_subscriber(self, request: Request) -> Subscriber | None:
        try:
            data = self.signer.read(
                first(request.form, "token"), Purpose.CONFIRM_PHONE, self.clock()
            )
        except TokenError:
            return None
        return self.store.subscriber_by_hash(str(data.get("h")))

    def confirm_phone(self, request: Request) -> Page:
        """The code sent by text confirms the number waiting for it; ``action=resend``
        sends a new code (the job limits codes per number: ``mail_jobs``)."""
        subscriber = self._phone_subscriber(request)
        if subscriber is None:
            return self.bad_link()
        waiting = subscriber.waiting_phone
        if waiting is None:  # confirmed with an earlier form, or the number was refused
            if subscriber.phone is not None:
                return self.pages.page(200, "phone_confirmed.html", PHONE_CONFIRMED)
            return self.pages.problem(400, "no-code")
        form = self.code_form(subscriber.email_hash, waiting.number)
        if first(request.form, "action") == "resend":
            if self.client_limited(request.client):
                return self.pages.problem(429, "too-many")
            if not self.codes_left(waiting.number):
                return self.code_page(429, form, {"code": CODES_SPENT})
            self.jobs.post(
                MailJob(PHONE_CODE, subscriber.email, subscriber.email_hash, phone=waiting.number)
            )
            return self.code_page(200, form, sent=True)
        code = typed_code(first(request.form, "code"))
        if len(code) != CODE_DIGITS:
            return self.code_page(400, form, {"code": WRONG_LENGTH})
        checked = self.store.confirm_phone(
            subscriber.email_hash, code_hash(self.key, waiting.number_hash, code), self.clock()
        )
        if checked is None:
            return self.code_page(400, form, {"code": CODE_SPENT})
        if not checked:
            return self.code_page(400, form, {"code": CODE_WRONG})
        self.changed(subscriber.email_hash)
        return self.pages.page(200, "phone_confirmed.html", PHONE_CONFIRMED)

    def code_page(
        self,
        status: int,
        form: dict[str, str],
        errors: dict[str, str] | None = None,
        sent: bool = False,
    ) -> Page:
        return self.pages.page(
            status,
            "confirm_phone.html",
            N_("Enter the code"),
            code_form=form,
            errors=errors or {},
            sent=sent,
        )

    def stop_texts(self, request: Request) -> Page:
        """The short link in every text: a page with a button (a link alone changes
        nothing, so a phone's link preview cannot stop anyone's texts)."""
        code = first(request.query, "c")
        subscriber = self.store.subscriber_by_stop_code(code) if code.isalnum() else None
        # In the language the resident chose (the link is in every text, without ?lang=).
        with speaking(self.language(request, subscriber.preferences.lang if subscriber else "")):
            if request.method == "GET":
                return self.pages.page(200, "stop_texts.html", N_("Stop texts"), code=code)
            if subscriber is not None:
                stop_texts(self.store, subscriber.email_hash, self.clock())
                self.changed(subscriber.email_hash)
            return self.pages.page(200, "texts_stopped.html", N_("Texts stopped"))

    def changed(self, email_hash: str) -> None:
        note_change(self.store, email_hash, self.clock())

    def _manage_hash(self, request: Request) -> str | None:
        try:
            data = self.signer.read(first(request.query, "token"), Purpose.MANAGE, self.clock())
            return str(data["h"])
        except (TokenError, KeyError):
            return None

    def manage(self, request: Request) -> Page:
        email_hash = self._manage_hash(request)
        if email_hash is None:
            return self.bad_link()
        subscriber = self.store.subscriber_by_hash(email_hash)
        if subscriber is None:
            return self.pages.page(200, "unsubscribed.html", N_("You are not subscribed"))
        with speaking(self.language(request, subscriber.preferences.lang)):
            return self._manage(request, email_hash, subscriber)

    def _manage(self, request: Request, email_hash: str, subscriber: Subscriber) -> Page:
        token = first(request.query, "token")
        if request.method == "GET":
            return self.manage_page(200, token, form_of(subscriber.preferences), subscriber)
        action = first(request.form, "action")
        if action == "unsubscribe":
            if self.store.delete_subscriber(email_hash):
                count_change(self.store, self.clock(), LEFT)
            self.changed(email_hash)
            return self.pages.page(200, "unsubscribed.html", UNSUBSCRIBED)
        if action == "remove-phone":
            self.store.remove_phone(email_hash)
            self.changed(email_hash)
            kept = self.store.subscriber_by_hash(email_hash) or subscriber
            return self.manage_page(200, token, form_of(kept.preferences), kept, saved=True)
        numbers = {p.number for p in (subscriber.phone, subscriber.waiting_phone) if p}
        result = read_form(
            request.form, self.pages.choices(), need_email=False, has_phone=bool(numbers)
        )
        if result.errors or result.preferences is None:
            return self.manage_page(400, token, request.form, subscriber, result.errors)
        if result.phone and result.phone not in numbers:
            if self.client_limited(request.client):
                return self.pages.problem(429, "too-many")
            if not self.codes_left(result.phone):
                errors = {"phone": CODES_SPENT}
                return self.manage_page(429, token, request.form, subscriber, errors)
        self.store.save_subscriber(subscriber.email, email_hash, result.preferences, self.clock())
        self.changed(email_hash)
        if result.phone and result.phone not in numbers:  # a new number: texts go to the
            # confirmed one, if any, until the code sent to this one is typed
            self.jobs.post(MailJob(PHONE_CODE, subscriber.email, email_hash, phone=result.phone))
            return self.code_page(200, self.code_form(email_hash, result.phone), sent=True)
        saved = self.store.subscriber_by_hash(email_hash) or subscriber
        # Saved: answered in the language they have just chosen, if the backend speaks it
        # (their next forms and links keep it).
        with speaking(answer_language(result.preferences.lang, default=SPEAKING.get())):
            return self.manage_page(200, token, form_of(result.preferences), saved, saved=True)

    def manage_page(
        self,
        status: int,
        token: str,
        form: Values,
        subscriber: Subscriber,
        errors: Mapping[str, str] | None = None,
        saved: bool = False,
    ) -> Page:
        phone, waiting = subscriber.phone, subscriber.waiting_phone
        return self.pages.page(
            status,
            "manage.html",
            N_("Your emails"),
            form=form,
            errors=errors or {},
            token=token,
            saved=saved,
            phone=shown_number(phone.number) if phone else "",
            waiting=shown_number(waiting.number) if waiting else "",
            code_form=self.code_form(subscriber.email_hash, waiting.number) if waiting else None,
        )

    def manage_link_form(self, request: Request) -> Page:
        return self.pages.page(200, "manage_link.html", TITLES["manage-link"], form={}, errors={})

    def manage_link(self, request: Request) -> Page:
        try:
            email = normalise_address(first(request.form, "email"))
        except AddressError as error:
            return self.pages.page(
                400,
                "manage_link.html",
                TITLES["manage-link"],
                form=request.form,
                errors={"email": str(error)},
            )
        job = MailJob(MANAGE_LINK, email, address_hash(email, self.key))
        return self._accepted(job, request.client)

    def find_area(self, request: Request) -> Page:
        """ "Find your area" without JavaScript: the site's form sends the postcode here,
        and the resident gets their ward (the script does the same in the browser), or,
        from the bin days page (``for=bin-days``), their bin collection round."""
        typed = first(request.query, "postcode").strip()
        site = self.pages.site
        bin_days = first(request.query, "for") == BIN_DAYS
        if not site.postcodes:
            reason = N_("Postcodes cannot be looked up on this site yet.")
        elif normalise_postcode(typed) is None:
            reason = N_("Enter a real postcode, like CT16 1LU.")
        elif bin_days:
            if rounds := site.rounds_for_postcode(typed):
                return self._rounds_page(normalise_postcode(typed) or typed, rounds)
            reason = N_(
                "We could not find bin collection days for that postcode. Check it, or choose"
                " your round from the list."
            )
        elif (ward := site.ward_for_postcode(typed)) is not None:
            names = dict(site.wards)
            return self.pages.page(
                200,
                "find_area.html",
                N_("Your area"),
                heading=said(N_("Your area")),
                postcode=normalise_postcode(typed),
                ward=ward,
                ward_name=names.get(ward, ward),
            )
        else:
            reason = N_(
                "We could not find that postcode in our area. Check it, or choose your ward."
            )
        title = N_("Find your bin collection days") if bin_days else N_("Find your area")
        return self.pages.page(
            400,
            "find_area.html",
            title,
            heading=said(title),
            errors={"postcode": reason},  # the form again, the postcode as typed
            typed=typed[:MAX_TYPED_POSTCODE],
            bin_days=site.bin_days_page(SPEAKING.get()) if bin_days else "",
        )

    def _rounds_page(self, postcode: str, rounds: Mapping[str, str]) -> Page:
        """A household whose every bin is collected by one round goes to that round's
        page; one with several (garden waste on another day) gets a page naming each."""
        base, site = self.pages.base, self.pages.site
        if (slug := single_round(rounds)) is not None:
            return self.pages.redirect(f"{base}{site.bin_days_page(SPEAKING.get(), slug)}")
        names = site.round_names()
        services = sorted(rounds.items(), key=lambda pair: service_order(pair[0]))
        listed = [
            {
                "service": service_name(service),
                "round": names.get(slug, slug),
                "url": f"{base}{site.bin_days_page(SPEAKING.get(), slug)}",
            }
            for service, slug in services
        ]
        title = N_("Your bin collection days")
        return self.pages.page(
            200, "find_area.html", title, heading=said(title), postcode=postcode, rounds=listed
        )

    def unsubscribe(self, request: Request) -> Page:
        token = first(request.query, "token")
        try:
            data = self.signer.read(token, Purpose.UNSUBSCRIBE, self.clock())
            email_hash = str(data["h"])
        except (TokenError, KeyError):
            return self.bad_link()
        if request.method == "GET":
            return self.pages.page(200, "unsubscribe.html", N_("Unsubscribe"), token=token)
        # POST: the button, or a mail provider's one-click (RFC 8058). Success either way;
        # counted once, for the item whose email carried the link (docs/reach.md).
        if self.store.delete_subscriber(email_hash):
            now = self.clock()
            count_change(self.store, now, LEFT)
            if data.get("i"):
                count(self.store, str(data["i"]), EMAIL, now, {UNSUBSCRIBES: 1})
        self.changed(email_hash)
        return self.pages.page(200, "unsubscribed.html", UNSUBSCRIBED)


# path -> {method: what it does}; GET also answers HEAD.
ROUTES: dict[str, dict[str, Route]] = {
    "/subscriptions/subscribe": {
        "GET": Subscriptions.subscribe_form,
        "POST": Subscriptions.subscribe,
    },
    "/subscriptions/confirm": {"GET": Subscriptions.confirm_page, "POST": Subscriptions.confirm},
    "/subscriptions/manage": {"GET": Subscriptions.manage, "POST": Subscriptions.manage},
    "/subscriptions/manage-link": {
        "GET": Subscriptions.manage_link_form,
        "POST": Subscriptions.manage_link,
    },
    "/subscriptions/find-area": {"GET": Subscriptions.find_area},
    "/subscriptions/confirm-phone": {"POST": Subscriptions.confirm_phone},
    # The stop link in every text: at the root, as short as a link can be (ADR 21).
    "/s": {"GET": Subscriptions.stop_texts, "POST": Subscriptions.stop_texts},
    "/subscriptions/unsubscribe": {
        "GET": Subscriptions.unsubscribe,
        "POST": Subscriptions.unsubscribe,
    },
}
