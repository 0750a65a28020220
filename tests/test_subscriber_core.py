"""The subscription backend's pure core: tokens, addresses, preferences, matching, MIME."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest

from subscriber_lambda.core.addresses import AddressError, address_hash, normalise_address
from subscriber_lambda.core.matching import goes_at_once, translation_demand, version_for, wants
from subscriber_lambda.core.messages import Envelope, HeaderInjection, build_message
from subscriber_lambda.core.phones import code_hash, masked, new_code, stop_code, typed_code
from subscriber_lambda.core.preferences import Choices, Preferences, read_form
from subscriber_lambda.core.texts import STOP_CODE_LENGTH
from subscriber_lambda.core.tokens import Purpose, Signer, TokenError

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SIGNER = Signer(b"k" * 32)

# --- tokens ---------------------------------------------------------------------------------


def test_a_token_carries_its_data() -> None:
    token = SIGNER.make(Purpose.CONFIRM, {"email": "a@example.org"}, NOW)
    assert SIGNER.read(token, Purpose.CONFIRM, NOW) == {"email": "a@example.org"}


@pytest.mark.parametrize("change", ["body", "mac"])
def test_a_tampered_token_is_refused(change: str) -> None:
    body, mac = SIGNER.make(Purpose.MANAGE, {"id": 1}, NOW).split(".")
    forged = f"{body[:-2]}AA.{mac}" if change == "body" else f"{body}.{mac[:-2]}AA"
    with pytest.raises(TokenError) as refused:
        SIGNER.read(forged, Purpose.MANAGE, NOW)
    assert refused.value.reason == "tampered"


def test_a_token_is_bound_to_its_purpose() -> None:
    token = SIGNER.make(Purpose.CONFIRM, {"email": "a@example.org"}, NOW)
    with pytest.raises(TokenError, match="tampered"):
        SIGNER.read(token, Purpose.UNSUBSCRIBE, NOW)


def test_confirm_and_manage_links_expire_after_seven_days() -> None:
    for purpose in (Purpose.CONFIRM, Purpose.MANAGE):
        token = SIGNER.make(purpose, {}, NOW)
        assert SIGNER.read(token, purpose, NOW + timedelta(days=7, seconds=-1)) == {}
        with pytest.raises(TokenError, match="expired"):
            SIGNER.read(token, purpose, NOW + timedelta(days=7))


def test_unsubscribe_links_keep_working_for_years() -> None:
    token = SIGNER.make(Purpose.UNSUBSCRIBE, {"h": "abc"}, NOW)
    assert SIGNER.read(token, Purpose.UNSUBSCRIBE, NOW + timedelta(days=3650)) == {"h": "abc"}


@pytest.mark.parametrize("token", ["", "nodot", ".", "a.b", "x" * 5000])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(TokenError):
        SIGNER.read(token, Purpose.MANAGE, NOW)


def test_another_secret_cannot_read_a_token() -> None:
    token = Signer(b"a" * 32).make(Purpose.MANAGE, {}, NOW)
    with pytest.raises(TokenError, match="tampered"):
        SIGNER.read(token, Purpose.MANAGE, NOW)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Signer(b"short")


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Name@Example.ORG", "Name@example.org"),
        ("  a.b+news@sub.example.co.uk ", "a.b+news@sub.example.co.uk"),
        ("o'neil@example.org", "o'neil@example.org"),
    ],
)
def test_addresses_are_normalised(typed: str, normal: str) -> None:
    assert normalise_address(typed) == normal


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "no-at-sign",
        "two@@example.org",
        "space in@example.org",
        "a@example.org\r\nBcc: victim@example.net",
        "a@example.org\nSubject: hi",
        "a@example.org, b@example.org",
        "<a@example.org>",
        ".dot@example.org",
        "dot.@example.org",
        "a@localhost",
        "a@example.123",
        "a@-example.org",
        "x" * 65 + "@example.org",
        "a@" + "b" * 250 + ".org",
    ],
)
def test_bad_addresses_are_refused(typed: str) -> None:
    with pytest.raises(AddressError):
        normalise_address(typed)


def test_the_address_hash_is_keyed_and_ignores_case() -> None:
    key = b"h" * 32
    assert address_hash("A@Example.org", key) == address_hash("a@example.org", key)
    assert address_hash("a@example.org", key) != address_hash("a@example.org", b"i" * 32)


# --- preferences ----------------------------------------------------------------------------

CHOICES = Choices(
    topics=("alerts", "notices", "bin-changes", "consultations", "meetings"),
    text_topics=("alerts", "bin-changes"),
    wards=("walmer", "sandwich", "mill-hill"),
    notice_types=("planning", "licensing"),
    languages=("en", "pl"),
    ward_for_postcode=lambda p: {"CT14 7AA": "walmer"}.get(" ".join(p.upper().split())),
)


def test_a_complete_form() -> None:
    result = read_form(
        {
            "email": ["a@example.org"],
            "topics": ["alerts", "notices"],
            "notice_types": ["planning"],
            "wards": ["walmer", "sandwich"],
            "lang": ["pl"],
            "frequency": ["daily"],
        },
        CHOICES,
    )
    assert result.errors == {}
    assert result.preferences == Preferences(
        frozenset({"alerts", "notices"}),
        frozenset({"walmer", "sandwich"}),
        "pl",
        "daily",
        frozenset({"planning"}),
    )
    assert Preferences.from_dict(result.preferences.to_dict()) == result.preferences


def test_a_postcode_instead_of_wards() -> None:
    result = read_form(
        {"email": ["a@example.org"], "topics": ["alerts"], "postcode": ["ct14 7aa"]}, CHOICES
    )
    assert result.preferences is not None and result.preferences.wards == {"walmer"}


def test_every_form_error_at_once() -> None:
    result = read_form(
        {
            "email": ["nope"],
            "topics": ["gossip"],
            "lang": ["xx"],
            "frequency": ["hourly"],
            "notice_types": ["x"],
        },
        CHOICES,
    )
    assert result.errors == {
        "email": "Enter an email address in the correct format, like name@example.com",
        "topics": "Choose what you want emails about",
        "notice_types": "Choose types of notice from the list",
        "wards": "Choose your wards, the whole district, or enter your postcode",
        "lang": "Choose a language from the list",
        "frequency": "Choose how often you want emails",
    }
    assert result.preferences is None


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"postcode": ["CT1 1AA"]},
            {
                "postcode": "We could not find that postcode in our area. "
                "Check it, or choose your wards"
            },
        ),
        ({"postcode": ["XYZ"]}, {"postcode": "Enter a real postcode, like CT16 1LU"}),
        ({"wards": ["atlantis"]}, {"wards": "Choose wards from the list"}),
        ({"wards": ["walmer"] * 65}, {"wards": "Choose fewer options"}),
        ({"wards": ["walmer"], "email": [""]}, {"email": "Enter your email address"}),
    ],
)
def test_form_errors(fields: dict[str, list[str]], error: dict[str, str]) -> None:
    form = {"email": ["a@example.org"], "topics": ["alerts"], **fields}
    assert read_form(form, CHOICES).errors.items() >= error.items()


def test_all_wards_is_the_whole_district() -> None:
    result = read_form(
        {"email": ["a@example.org"], "topics": ["alerts"], "wards": ["walmer", "all"]}, CHOICES
    )
    assert result.preferences is not None and result.preferences.wards == {"all"}


# --- matching -------------------------------------------------------------------------------


def manifest_item(**changes: Any) -> dict[str, Any]:
    item = {
        "id": "notices/plan",
        "type": "notices",
        "topic_detail": "planning",
        "urgency": "routine",
        "exercise": False,
        "wards": ["walmer"],
        "district_wide": False,
        "versions": [{"lang": "en", "email": {}}, {"lang": "pl", "email": {}}],
    }
    return {**item, **changes}


def prefs(**changes: Any) -> Preferences:
    values: dict[str, Any] = {"topics": ["notices", "alerts"], "wards": ["walmer"], **changes}
    return Preferences.from_dict(values)


@pytest.mark.parametrize(
    ("preferences", "item", "expected"),
    [
        (prefs(), manifest_item(), True),
        (prefs(wards=["sandwich"]), manifest_item(), False),
        (
            prefs(wards=["sandwich"]),
            manifest_item(district_wide=True, wards=["walmer", "sandwich"]),
            True,
        ),
        (prefs(wards=["all"]), manifest_item(wards=["mill-hill"]), True),
        (prefs(topics=["alerts"]), manifest_item(), False),
        (prefs(notice_types=["licensing"]), manifest_item(), False),
        (prefs(notice_types=["planning"]), manifest_item(), True),
        (
            prefs(notice_types=["licensing"]),
            manifest_item(type="alerts", topic_detail="flooding"),
            True,
        ),
        (prefs(), manifest_item(type="alerts", exercise=True), False),
    ],
)
def test_who_wants_an_item(preferences: Preferences, item: dict[str, Any], expected: bool) -> None:
    assert wants(preferences, item) is expected


def test_exercises_go_only_where_configured() -> None:
    assert wants(prefs(), manifest_item(type="alerts", exercise=True), send_exercises=True)


def test_the_subscribers_language_or_the_original() -> None:
    assert version_for(prefs(lang="pl"), manifest_item())["lang"] == "pl"
    assert version_for(prefs(lang="cy"), manifest_item())["lang"] == "en"


def test_alerts_go_at_once_and_others_follow_the_frequency() -> None:
    assert goes_at_once(prefs(frequency="weekly"), manifest_item(urgency="immediate"))
    assert not goes_at_once(prefs(frequency="weekly"), manifest_item())
    assert goes_at_once(prefs(frequency="immediate"), manifest_item())


# --- messages -------------------------------------------------------------------------------

ENVELOPE = Envelope(
    sender="Dover District Council <noticeboard@example.org>",
    recipient="resident@example.net",
    manage_url="https://noticeboard.example.org/subscriptions/manage?token=abc&x=1",
    unsubscribe_url="https://noticeboard.example.org/subscriptions/unsubscribe?token=def",
    list_id="noticeboard.example.org",
)


def an_email(example_site: Path, lang: str = "en") -> dict[str, Any]:
    manifest = json.loads((example_site / "api" / "v1" / "notify.json").read_text())
    item = next(i for i in manifest["items"] if len(i["versions"]) > 1)
    return next(v["email"] for v in item["versions"] if v["lang"] == lang)


def test_a_message_is_multipart_with_rfc_8058_headers(example_site: Path) -> None:
    source = an_email(example_site)
    message = email.message_from_bytes(build_message(source, ENVELOPE, NOW).as_bytes())
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]
    assert message["List-Unsubscribe"] == f"<{ENVELOPE.unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@noticeboard.example.org>")
    assert message["Date"] == "Sat, 28 Nov 2026 12:00:00 +0000"
    assert str(make_header(decode_header(message["Subject"]))) == source["subject"]


def test_a_message_carries_the_subscribers_own_links(example_site: Path) -> None:
    message = build_message(an_email(example_site), ENVELOPE, NOW)
    text, html_part = (p.get_payload(decode=True).decode() for p in message.get_payload())
    assert ENVELOPE.manage_url in text and ENVELOPE.unsubscribe_url in text
    assert (
        'href="https://noticeboard.example.org/subscriptions/manage?token=abc&amp;x=1"' in html_part
    )
    assert "((" not in text and "((" not in html_part


def test_non_ascii_subjects_are_encoded(example_site: Path) -> None:
    source = an_email(example_site, "pl")
    raw = build_message(source, ENVELOPE, NOW).as_bytes()
    assert raw.isascii()
    subject_line = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in subject_line
    parsed = email.message_from_bytes(raw)
    assert str(make_header(decode_header(parsed["Subject"]))) == source["subject"]


@pytest.mark.parametrize("field", ["recipient", "sender"])
def test_no_header_can_be_injected(example_site: Path, field: str) -> None:
    bad = {field: "a@example.org\r\nBcc: victim@example.net"}
    envelope = Envelope(**{**ENVELOPE.__dict__, **bad})
    with pytest.raises(HeaderInjection):
        build_message(an_email(example_site), envelope, NOW)


def test_a_subject_with_a_line_break_is_folded_to_one_line(example_site: Path) -> None:
    source = {**an_email(example_site), "subject": "Flood\r\nBcc: victim@example.net"}
    message = build_message(source, ENVELOPE, NOW)
    assert message["Subject"] == "Flood Bcc: victim@example.net"
    assert "Bcc" not in {key for key, _ in message.items()}


def test_a_long_subject_is_encoded_in_words_of_at_most_75_characters() -> None:
    import re

    subject = "Poważny alert: Ostrzeżenie powodziowe dla rzeki Stour w Sandwich, proszę czytać"
    envelope = Envelope("C <c@example.org>", "r@example.net", "https://x/m", "https://x/u", "x")
    raw = build_message(
        {"subject": subject, "text": "t", "html": "<p>t</p>"}, envelope, datetime.now(UTC)
    ).as_bytes()
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")
    words = re.findall(r"=\?utf-8\?[bq]\?[^?]*\?=", head, re.IGNORECASE)
    assert len(words) > 1 and all(len(word) <= 75 for word in words)
    parsed = email.message_from_bytes(raw)
    assert str(make_header(decode_header(parsed["Subject"]))) == subject


def test_message_id_and_list_id_name_the_site_without_its_port() -> None:
    from subscriber_lambda.config import Config

    config = Config.from_environment({"SITE_URL": "http://127.0.0.1:8123"})
    assert config.host == "127.0.0.1"
    envelope = Envelope(
        "C <c@example.org>", "r@example.net", "https://x/m", "https://x/u", config.host
    )
    message = build_message(
        {"subject": "S", "text": "t", "html": "<p>t</p>"}, envelope, datetime.now(UTC)
    )
    assert message["List-Id"] == "<127.0.0.1>"
    assert str(message["Message-ID"]).endswith("@127.0.0.1>")


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same home
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("not an address", "not an address"),
    ],
)
def test_a_client_is_an_ipv4_address_or_an_ipv6_64(address: str, key: str) -> None:
    from subscriber_lambda.core.clients import client_key

    assert client_key(address) == key


# --- mobile numbers -------------------------------------------------------------------------

FORM = {"email": ["a@example.org"], "topics": ["alerts"], "wards": ["walmer"]}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07400 900123", "+447400900123"),
        ("+44 (0)7400 900-123", "+447400900123"),
        ("0044 7400 900123", "+447400900123"),
        ("+48 512 345 678", "+48512345678"),  # a Polish mobile, in international form
    ],
)
def test_a_mobile_number_is_stored_in_e164(typed: str, stored: str) -> None:
    result = read_form({**FORM, "phone": [typed], "text_topics": ["alerts"]}, CHOICES)
    assert result.errors == {} and result.phone == stored
    assert result.preferences is not None and result.preferences.text_topics == {"alerts"}


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("01304 821199", "texts cannot go to a landline"),
        ("07400 9001", "Enter a real mobile phone number"),
        ("not a number", "Enter a mobile phone number"),
        ("0" * 80, "Enter a mobile phone number"),
    ],
)
def test_a_number_that_cannot_take_texts_is_explained(typed: str, says: str) -> None:
    result = read_form({**FORM, "phone": [typed], "text_topics": ["alerts"]}, CHOICES)
    assert says in result.errors["phone"] and result.preferences is None


def test_texts_need_both_a_number_and_a_topic_sent_by_text() -> None:
    no_number = read_form({**FORM, "text_topics": ["alerts"]}, CHOICES)
    assert "Enter your mobile phone number" in no_number.errors["phone"]
    no_topic = read_form({**FORM, "phone": ["07400 900123"]}, CHOICES)
    assert no_topic.errors["text_topics"] == "Choose what you want texts about"
    not_by_text = read_form({**FORM, "phone": ["07400900123"], "text_topics": ["notices"]}, CHOICES)
    assert "from the list" in not_by_text.errors["text_topics"]
    kept = read_form({**FORM, "text_topics": ["alerts"]}, CHOICES, has_phone=True)
    assert kept.errors == {} and kept.phone == ""


def test_without_a_text_provider_the_form_ignores_texts() -> None:
    choices = Choices(**{**CHOICES.__dict__, "text_topics": ()})
    result = read_form({**FORM, "phone": ["07400 900123"], "text_topics": ["alerts"]}, choices)
    assert result.errors == {} and result.phone == ""
    assert result.preferences is not None and result.preferences.text_topics == frozenset()


def test_codes_and_stop_codes_are_keyed_and_short() -> None:
    code = new_code()
    assert len(code) == 6 and code.isdigit()
    assert code_hash(b"k" * 32, "n", code) != code_hash(b"j" * 32, "n", code)
    assert typed_code(" 123 456 ") == "123456"
    assert typed_code("\u0664\u0668\u0669-\u0669\u0668\u0669") == "489989"  # Arabic-Indic
    assert typed_code("\uff14\uff18\uff19\uff19\uff18\uff19") == "489989"  # full width
    assert typed_code("\u00b2" * 6) == ""  # superscripts are not digits of a code
    stop = stop_code(b"k" * 32, "number-hash")
    assert (
        len(stop) == STOP_CODE_LENGTH
        and stop.isalnum()
        and stop == stop_code(b"k" * 32, "number-hash")
    )
    assert masked("+447400900123") == "\u2022\u2022\u2022\u2022 123"


def test_translation_demand_counts_only_alerts_in_force_and_not_updated() -> None:
    def alert(slug: str, expires: str, supersedes: str | None = None) -> dict[str, Any]:
        return {
            "id": f"alerts/{slug}",
            "urgency": "immediate",
            "exercise": False,
            "type": "alerts",
            "wards": ["walmer"],
            "district_wide": False,
            "supersedes": supersedes,
            "expires": expires,
            "versions": [{"lang": "en"}],
        }

    items = [
        alert("flood", "2026-11-30T18:00:00+00:00"),
        alert("flood-update", "2026-12-01T18:00:00+00:00", supersedes="alerts/flood"),
        alert("old-gas-leak", "2026-11-20T18:00:00+00:00"),
    ]
    polish = [Preferences(frozenset({"alerts"}), frozenset({"walmer"}), lang="pl")]
    demand = translation_demand(items, polish, datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    assert demand == {"alerts/flood-update": {"pl": 1}}
