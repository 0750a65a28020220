"""Which subscribers get an item from the notify manifest, in which language, and when."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import pairwise
from typing import Any

from .preferences import ALL_WARDS, Preferences

ManifestItem = Mapping[str, Any]


def wants(preferences: Preferences, item: ManifestItem, send_exercises: bool = False) -> bool:
    """One decision per subscriber and item: several matching topics still mean one email.
    An item drawn as a Polygon (a flood zone across two wards) reaches a resident who gave
    a postcode if it covers where that postcode is, whatever wards it names; residents who
    chose wards get it by its wards."""
    if item["exercise"] and not send_exercises:
        return False
    if item["type"] not in preferences.topics:
        return False
    chosen_types = preferences.notice_types
    if item["type"] == "notices" and chosen_types and item.get("topic_detail") not in chosen_types:
        return False
    drawn = item.get("polygons")
    if drawn and preferences.location is not None:  # only then: this runs per subscriber
        inside = covers(drawn, preferences.location)
        if inside is not None:
            return inside
    if item["district_wide"] or ALL_WARDS in preferences.wards:
        return True
    return bool(preferences.wards.intersection(item["wards"]))


Ring = Sequence[Sequence[float]]  # (latitude, longitude) points, as the manifest has them


def covers(rings: Sequence[Ring], point: tuple[float, float]) -> bool | None:
    """Whether any of the rings contains the point (the even-odd rule: a ray from the
    point crosses the ring's edges an odd number of times); None if the rings cannot be
    read (then the item's wards decide: an alert is never held up by them). Areas a
    council draws are a few kilometres across, so latitude and longitude are taken as a
    flat plane. The rings are read as they are, not copied: this runs per subscriber."""
    lat, lon = point
    if not isinstance(rings, list | tuple) or not all(isinstance(r, list | tuple) for r in rings):
        return None
    try:
        for ring in rings:
            inside = False
            for (lat1, lon1), (lat2, lon2) in pairwise(ring):
                if (lat1 > lat) != (lat2 > lat):
                    crossing = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
                    if lon < crossing:
                        inside = not inside
            if inside:
                return True
    except (TypeError, ValueError):
        return None
    return False


def version_for(preferences: Preferences, item: ManifestItem) -> Mapping[str, Any]:
    """The subscriber's language if the item is translated into it, else the original."""
    versions = item["versions"]
    return next((v for v in versions if v["lang"] == preferences.lang), versions[0])


def untranslated_for(preferences: Preferences, item: ManifestItem) -> str | None:
    """The subscriber's language, if the item has no version in it (translation demand)."""
    if any(v["lang"] == preferences.lang for v in item["versions"]):
        return None
    return preferences.lang


def in_force(item: ManifestItem, now: datetime) -> bool:
    """Whether an item has not yet expired (one without an expiry has not)."""
    expires = item.get("expires")
    return not isinstance(expires, str) or datetime.fromisoformat(expires) > now


def translation_demand(
    items: Iterable[ManifestItem], everyone: Iterable[Preferences], now: datetime
) -> dict[str, Counter[str]]:
    """For each urgent item (an alert) still in force at ``now`` and not updated since, how
    many of the residents it goes to chose a language it has no version in, by language:
    which translations matter most (an expired or updated alert's no longer does)."""
    urgent = [
        i for i in items if i["urgency"] == "immediate" and not i["exercise"] and in_force(i, now)
    ]
    # An alert updated or cancelled by another is no longer the one to translate.
    superseded = {i["supersedes"] for i in urgent if i.get("supersedes")}
    urgent = [i for i in urgent if i["id"] not in superseded]
    demand: dict[str, Counter[str]] = {item["id"]: Counter() for item in urgent}
    for preferences in everyone:
        any_channel = replace(preferences, topics=preferences.topics | preferences.text_topics)
        for item in urgent:
            lang = untranslated_for(preferences, item)
            if lang and wants(any_channel, item):
                demand[item["id"]][lang] += 1
    return demand


def not_translated(preferences: Preferences, item: ManifestItem, version: Mapping[str, Any]) -> str:
    """The line, in the subscriber's language, saying the item is not translated into it
    yet: when they get another language's version (the build wrote the line per item)."""
    if version["lang"] == preferences.lang:
        return ""
    lines: Mapping[str, str] = item.get("not_translated") or {}
    return str(lines.get(preferences.lang, ""))


def in_their_language(
    preferences: Preferences,
    item: ManifestItem,
    version: Mapping[str, Any],
    channel: str,
    needs: tuple[str, ...],
) -> Mapping[str, Any]:
    """What the subscriber gets on ``channel`` ("email" or "text"): their version's, or,
    when the item is not in their language, the one the build made for them (the
    original's words framed in their language: ``{channel}s_not_translated``), if it made
    one. That one is optional: if it is unreadable (lacks any of ``needs``), the version's
    goes (an alert is never held up by it)."""
    if version["lang"] != preferences.lang:
        made = item.get(f"{channel}s_not_translated")
        theirs = made.get(preferences.lang) if isinstance(made, Mapping) else None
        if isinstance(theirs, Mapping) and all(isinstance(theirs.get(k), str) for k in needs):
            return theirs
    own: Mapping[str, Any] = version[channel]
    return own


def text_for(
    preferences: Preferences, item: ManifestItem, version: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The text message the subscriber gets (``in_their_language``)."""
    return in_their_language(preferences, item, version, "text", ("body",))


def email_for(
    preferences: Preferences, item: ManifestItem, version: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The email the subscriber gets (``in_their_language``)."""
    return in_their_language(preferences, item, version, "email", ("subject", "text", "html"))


def goes_at_once(preferences: Preferences, item: ManifestItem) -> bool:
    """Alerts always go at once; other items follow the subscriber's frequency."""
    return bool(item["urgency"] == "immediate" or preferences.frequency == "immediate")
