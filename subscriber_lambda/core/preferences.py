"""What a subscriber wants, and reading it from the subscribe and manage forms.

Form fields (shared/design.md): ``email``; ``topics`` (repeatable: one per type of content
the site publishes); ``notice_types`` (repeatable, optional: only these kinds of notice);
``wards`` (repeatable ward slugs, or ``all``) or ``postcode``; ``lang``; ``frequency``
(immediate, daily, weekly; alerts always go at once); optional ``phone`` (a mobile) with
``text_topics`` (repeatable: the topics wanted by text, of those the council sends by
text; texts always go at once); ``reminders`` (repeatable: ``bin-days``, a reminder the
evening before each collection, which needs a postcode: rounds are found by postcode).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .addresses import AddressError, normalise_address
from .catalogues import N_
from .phones import PhoneError, normalise_phone
from .postcodes import normalise_postcode

FREQUENCIES = ("immediate", "daily", "weekly")
ALL_WARDS = "all"
BIN_DAYS = "bin-days"  # the one reminder: the evening before each bin collection
MAX_VALUES = 64  # more values for one field than any real form sends


@dataclass(frozen=True)
class Preferences:
    topics: frozenset[str]
    wards: frozenset[str]  # {'all'}: the whole district
    lang: str = "en"
    frequency: str = "immediate"
    notice_types: frozenset[str] = field(default_factory=frozenset)  # empty: every type
    text_topics: frozenset[str] = field(default_factory=frozenset)  # by text, if a phone
    # The postcode a resident gave instead of wards, and where it is (its centroid, from
    # the ONS directory): an alert drawn as a Polygon reaches them if it covers that point.
    # Never an address.
    postcode: str = ""
    location: tuple[float, float] | None = None
    reminders: frozenset[str] = field(default_factory=frozenset)  # {'bin-days'}, or none

    def to_dict(self) -> dict[str, Any]:
        return {
            "topics": sorted(self.topics),
            "wards": sorted(self.wards),
            "lang": self.lang,
            "frequency": self.frequency,
            "notice_types": sorted(self.notice_types),
            "text_topics": sorted(self.text_topics),
            "postcode": self.postcode,
            "location": list(self.location) if self.location else None,
            "reminders": sorted(self.reminders),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preferences:
        return cls(
            topics=frozenset(data["topics"]),
            wards=frozenset(data["wards"]),
            lang=data.get("lang", "en"),
            frequency=data.get("frequency", "immediate"),
            notice_types=frozenset(data.get("notice_types", ())),
            text_topics=frozenset(data.get("text_topics", ())),
            postcode=str(data.get("postcode") or ""),
            location=located(data.get("location")),
            reminders=frozenset(data.get("reminders", ())),
        )


def located(value: Any) -> tuple[float, float] | None:
    """A stored location, (latitude, longitude), or None."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    return float(value[0]), float(value[1])


def nowhere(postcode: str) -> tuple[float, float] | None:
    return None


def collected(postcode: str) -> bool:
    return True


@dataclass
class FormResult:
    """Either an address (and a mobile number, if one was given) and preferences, or
    errors by field name (in form order)."""

    email: str = ""
    phone: str = ""  # E.164
    preferences: Preferences | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choices:
    """What the council offers: its topics (one per type of content the site publishes),
    those of them it sends by text (none when it sends no texts), wards, notice types and
    languages."""

    topics: Collection[str]
    text_topics: Collection[str]
    wards: Collection[str]
    notice_types: Collection[str]
    languages: Collection[str]
    ward_for_postcode: Callable[[str], str | None]
    postcodes: bool = True  # whether a postcode lookup exists to ask for one
    location_for_postcode: Callable[[str], tuple[float, float] | None] = nowhere
    reminders: Collection[str] = ()  # ('bin-days',) when the site publishes bin rounds
    has_rounds: Callable[[str], bool] = collected  # whether a postcode has bin rounds


def read_form(
    form: Mapping[str, Sequence[str]],
    choices: Choices,
    need_email: bool = True,
    has_phone: bool = False,
) -> FormResult:
    """Check every field; every problem is reported at once, each beside its field.
    ``has_phone``: the resident already gave a number, so texts need no new one."""
    result = FormResult()

    def values(name: str) -> list[str]:
        found = [v.strip() for v in form.get(name, ()) if v.strip()]
        if len(found) > MAX_VALUES:
            result.errors[name] = N_("Choose fewer options")
            return []
        return found

    if need_email:
        try:
            result.email = normalise_address(next(iter(form.get("email", ())), ""))
        except AddressError as error:
            result.errors["email"] = str(error)
    topics, chosen_reminders = values("topics"), values("reminders")
    # Reminders alone are something to have emails about.
    if not (topics or chosen_reminders) or not set(topics) <= set(choices.topics):
        result.errors["topics"] = N_("Choose what you want emails about")
    notice_types = values("notice_types")
    if not set(notice_types) <= set(choices.notice_types):
        result.errors["notice_types"] = N_("Choose types of notice from the list")
    chosen_wards = values("wards")
    typed_postcode = next(iter(values("postcode")), "")
    wards = set()
    if "wards" not in result.errors:
        wards = _wards(chosen_wards, typed_postcode, choices, result.errors)
    # The postcode, where it chose the ward (not beside wards ticked), and where it is.
    postcode = normalise_postcode(typed_postcode) if typed_postcode and not chosen_wards else None
    location = choices.location_for_postcode(postcode) if postcode and wards else None
    lang = next(iter(values("lang")), "en")
    if lang not in choices.languages:
        result.errors["lang"] = N_("Choose a language from the list")
    frequency = next(iter(values("frequency")), "immediate")
    if frequency not in FREQUENCIES:
        result.errors["frequency"] = N_("Choose how often you want emails")
    text_topics = _texts(values, choices, result, has_phone) if choices.text_topics else []
    reminders = _reminders(chosen_reminders, postcode, choices, result.errors)
    if not result.errors:
        result.preferences = Preferences(
            frozenset(topics),
            frozenset(wards),
            lang,
            frequency,
            frozenset(notice_types),
            frozenset(text_topics),
            postcode or "",
            location,
            frozenset(reminders),
        )
    return result


def _reminders(
    chosen: list[str], postcode: str | None, choices: Choices, errors: dict[str, str]
) -> list[str]:
    """Bin-day reminders find the household's rounds by its postcode: wards are not
    enough (a ward may have several rounds)."""
    if not set(chosen) <= set(choices.reminders):
        errors["reminders"] = N_("Choose reminders from the list")
        return []
    if not chosen or "postcode" in errors:
        return chosen
    if not postcode:
        errors["reminders"] = N_(
            "For bin day reminders, enter your postcode instead of choosing wards: we find"
            " your collection days by it"
        )
    elif not choices.has_rounds(postcode):
        errors["reminders"] = N_(
            "We have no bin collection days for that postcode: untick the reminders"
        )
    return chosen


def _texts(
    values: Callable[[str], list[str]], choices: Choices, result: FormResult, has_phone: bool
) -> list[str]:
    """The optional mobile number and what it is for: both, or neither."""
    typed = next(iter(values("phone")), "")
    text_topics = values("text_topics")
    if not set(text_topics) <= set(choices.text_topics):
        result.errors["text_topics"] = N_("Choose what you want texts about from the list")
        return []
    if typed:
        try:
            result.phone = normalise_phone(typed)
        except PhoneError as error:
            result.errors["phone"] = str(error)
            return []
        if not text_topics:
            result.errors["text_topics"] = N_("Choose what you want texts about")
    elif text_topics and not has_phone:
        result.errors["phone"] = N_("Enter your mobile phone number, or untick the texts")
    return text_topics


def _wards(chosen: list[str], postcode: str, choices: Choices, errors: dict[str, str]) -> set[str]:
    if postcode and not chosen and not choices.postcodes:
        errors["wards"] = N_("Postcodes cannot be looked up here yet: choose your wards")
        return set()
    if postcode and not chosen and normalise_postcode(postcode) is None:
        errors["postcode"] = N_("Enter a real postcode, like CT16 1LU")
        return set()
    if postcode and not chosen:
        ward = choices.ward_for_postcode(postcode)
        if ward is None:
            errors["postcode"] = N_(
                "We could not find that postcode in our area. Check it, or choose your wards"
            )
            return set()
        return {ward}
    if not chosen:
        errors["wards"] = (
            N_("Choose your wards, the whole district, or enter your postcode")
            if choices.postcodes
            else N_("Choose your wards or the whole district")
        )
        return set()
    if ALL_WARDS in chosen:
        return {ALL_WARDS}
    if not set(chosen) <= set(choices.wards):
        errors["wards"] = N_("Choose wards from the list")
        return set()
    return set(chosen)
