"""An alert drawn as a Polygon (a flood zone across two wards) reaches exactly the
residents whose postcode lies inside it; residents who chose wards get their wards'
alerts. Only the postcode is stored, and where it is (its centroid), never an address."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest

from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.matching import covers, wants
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.tokens import Purpose, Signer
from tests.sitebuilder import item
from tests.test_subscriptions import KEY, World, body, world_at

# A flood zone by the sea at Walmer, drawn by an officer (latitude first).
ZONE = "51.200,1.390 51.210,1.390 51.210,1.410 51.200,1.410 51.200,1.390"
INSIDE, OUTSIDE = (51.205, 1.400), (51.220, 1.380)
LOOKUP = {
    "ward_vintage": "WD25",
    "postcodes": {"CT14 7AA": "walmer", "CT14 7BB": "walmer"},
    "locations": {"CT14 7AA": list(INSIDE), "CT14 7BB": list(OUTSIDE)},
}
FILES = {
    "alerts/zone.md": item(
        "alerts", Slug="zone", Wards="walmer", Polygon=ZONE, Date="2026-11-27 09:00"
    ),
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    lookup = tmp_path / "postcodes.json"
    lookup.write_text(json.dumps(LOOKUP))
    with world_at(tmp_path, FILES, settings={"POSTCODES_FILE": str(lookup)}) as world:
        yield world


def test_a_drawn_alert_reaches_the_postcodes_inside_it_and_the_wards_subscribers(
    world: World,
) -> None:
    world.subscribe("inside@example.net", wards=[], postcode=["ct14 7aa"])
    world.subscribe("outside@example.net", wards=[], postcode=["CT14 7BB"])
    world.subscribe("ward@example.net", wards=["walmer"])
    stored = world.store.subscriber_by_hash(address_hash("inside@example.net", KEY))
    assert stored is not None
    assert (stored.preferences.postcode, stored.preferences.location) == ("CT14 7AA", INSIDE)
    confirmation = world.inbox.to("inside@example.net")[0]
    assert "Postcode: CT14 7AA" in body(confirmation, "plain")  # what it was asked
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    received = {
        address: len(world.inbox.to(f"{address}@example.net")) - 1  # less the confirmation
        for address in ("inside", "outside", "ward")
    }
    assert received == {"inside": 1, "outside": 0, "ward": 1}


def test_the_manage_form_keeps_the_postcode_so_saving_keeps_where_they_are(
    world: World,
) -> None:
    world.subscribe("inside@example.net", wards=[], postcode=["CT14 7AA"])
    email_hash = address_hash("inside@example.net", KEY)
    token = Signer(KEY).make(Purpose.MANAGE, {"h": email_hash}, world.clock.now)
    manage = f"/subscriptions/manage?{urlencode({'token': token})}"
    status, page = world.get(manage)
    assert status == 200 and 'value="CT14 7AA"' in page
    assert not re.search(r'value="walmer"\s+checked', page)  # the postcode, not its ward
    fields = {"action": "update", "topics": ["alerts", "notices"], "postcode": ["CT14 7AA"]}
    status, page = world.post(manage, {**fields, "frequency": "immediate", "lang": "en"})
    assert status == 200, page
    stored = world.store.subscriber_by_hash(email_hash)
    assert stored is not None and stored.preferences.location == INSIDE
    assert stored.preferences.topics == {"alerts", "notices"}


@pytest.mark.parametrize(
    ("point", "inside"),
    [(INSIDE, True), (OUTSIDE, False), ((51.2, 1.5), False), ((51.2099, 1.3901), True)],
)
def test_a_point_is_inside_a_drawn_area_by_the_even_odd_rule(
    point: tuple[float, float], inside: bool
) -> None:
    ring = [tuple(map(float, p.split(","))) for p in ZONE.split()]
    assert covers([ring], point) is inside  # type: ignore[list-item]


def test_unreadable_polygons_never_hold_up_an_alert() -> None:
    """The wards decide."""
    preferences = Preferences(frozenset({"alerts"}), frozenset({"walmer"}), location=INSIDE)
    item_ = {
        "type": "alerts",
        "exercise": False,
        "district_wide": False,
        "wards": ["walmer"],
        "polygons": "not rings",
    }
    assert wants(preferences, item_)
