"""The backend on AWS: Lambda handlers called with API Gateway v2, S3, SQS and SNS event
payloads shaped like AWS's; DynamoDB Local for the store; moto's server for S3 and SQS.
Faults: events delivered twice, a worker dying half-way, a poisoned message, SES refusing
an address or unavailable."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from mangum import Mangum

from subscriber_lambda import __main__ as cli
from subscriber_lambda.adapters.dynamodb_store import DynamoStore
from subscriber_lambda.adapters.s3_site import SiteBucket
from subscriber_lambda.adapters.ses_mailer import ATTEMPTS, SesMailer
from subscriber_lambda.adapters.sqs_queue import SqsJobs, SqsQueue
from subscriber_lambda.asgi import create_app
from subscriber_lambda.aws_entry import site_files
from subscriber_lambda.aws_lambda import (
    SQS_GIVES_UP_AFTER,
    digest,
    publish,
    reminders,
    ses_events,
    sweep,
    worker,
)
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.tokens import Purpose, Signer
from subscriber_lambda.digest import Digester
from subscriber_lambda.mail_jobs import MailJobs
from subscriber_lambda.notify import Links, Notifier
from subscriber_lambda.pages import Pages
from subscriber_lambda.ports import Mailer
from subscriber_lambda.reminders import Reminders
from subscriber_lambda.site_data import OPTIONS, POSTCODES, SHELL, SiteData
from subscriber_lambda.social import SocialPoster
from subscriber_lambda.web import Subscriptions
from tests.aws_calls import recorded_calls, tally
from tests.aws_events import FORM, api_event, s3_created, sns, sqs_event, sqs_record
from tests.dynamodb_local import dynamodb_local
from tests.moto_server import CREDENTIALS, SesFaults, moto_server
from tests.sitebuilder import build, item

KEY = b"a" * 32
LOOKUP = {
    "outward": "CT14",
    "ward_vintage": "WD25",
    "postcodes": {"CT14 7AA": "walmer"},
    "locations": {"CT14 7AA": [51.274, 1.34]},  # inside the flood alert's Polygon
}
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the flood alert's Date
tables = itertools.count()


@pytest.fixture(scope="module")
def endpoints() -> Iterator[tuple[str, str]]:
    with dynamodb_local() as dynamodb, moto_server() as moto:
        sesv2 = boto3.client("sesv2", endpoint_url=moto, **CREDENTIALS)
        sesv2.create_email_identity(EmailIdentity="example.org")
        sesv2.create_configuration_set(ConfigurationSetName="noticeboard")
        yield dynamodb, moto


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {
        "alerts/flood.md": item("alerts", Slug="flood", Wards="walmer", Date="2026-11-27 09:00"),
        "notices/plan.md": item("notices", Slug="plan", Wards="walmer", Date="2026-11-26 09:00"),
    }
    root = tmp_path_factory.mktemp("aws-site")
    lookup = root / "postcodes.json"  # the council has imported its postcodes
    lookup.write_text(
        json.dumps({key: LOOKUP[key] for key in ("ward_vintage", "postcodes", "locations")})
    )
    return build(root, files, now="2026-11-28T12:00:00+00:00", POSTCODES_FILE=str(lookup))


class ListMailer:
    def __init__(self, die_after: int | None = None) -> None:
        self.sent: list[str] = []
        self.die_after = die_after

    def send(self, message: Any) -> None:
        self.sent.append(str(message["To"]))
        if self.die_after is not None and len(self.sent) >= self.die_after:
            self.die_after = None
            raise TimeoutError("the Lambda ran out of time")


@dataclass
class Built:
    """What the handlers need (``aws_lambda.Components``), built up front for a test."""

    store: DynamoStore
    notifier: Notifier
    mail_jobs: MailJobs
    digester: Digester
    reminders: Reminders
    key: bytes
    load_manifest: Callable[[str], dict[str, Any]]
    clock: Callable[[], datetime] = lambda: NOW
    social: SocialPoster | None = None


class World:
    def __init__(self, endpoints: tuple[str, str], site: Path) -> None:
        dynamodb, moto = endpoints
        self.moto = {"endpoint_url": moto, **CREDENTIALS}
        self.store = DynamoStore(f"aws-{next(tables)}", {"endpoint_url": dynamodb, **CREDENTIALS})
        self.store.create_table()
        self.sqs = boto3.client("sqs", **self.moto)
        self.queues = {
            lane: self.sqs.create_queue(QueueName=f"{lane}-{next(tables)}")["QueueUrl"]
            for lane in ("alerts", "routine")
        }
        self.s3 = boto3.client("s3", **self.moto)
        self.bucket = f"site-{next(tables)}"
        self.s3.create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        for name in ("api/v1/notify.json", SHELL, OPTIONS):
            self.s3.put_object(Bucket=self.bucket, Key=name, Body=(site / name).read_bytes())
        self.s3.put_object(
            Bucket=self.bucket, Key=POSTCODES.format(outward="CT14"), Body=json.dumps(LOOKUP)
        )
        self.mailer = ListMailer()
        self.site = site

    def components(self, mailer: Mailer | None = None, now: datetime = NOW) -> Built:
        """The handlers' components, their clock saying ``now``."""
        mailer = mailer or self.mailer
        links = Links(Signer(KEY), "https://n.example.org")

        def clock() -> datetime:
            return now

        notifier = Notifier(
            self.store,
            mailer,
            SqsQueue(self.queues, self.moto),
            links,
            "C <c@example.org>",
            "n.example.org",
            clock,
        )
        mail_jobs = MailJobs(
            self.store,
            mailer,
            Signer(KEY),
            Pages(SiteData.load(self.site), "https://n.example.org"),
            "https://n.example.org",
            "C <c@example.org>",
            "n.example.org",
            clock,
        )
        pages = Pages(SiteData.load(self.site), "https://n.example.org")
        digester = Digester(
            self.store, mailer, links, "C <c@example.org>", "n.example.org", pages, clock
        )

        reminding = Reminders(
            self.store,
            mailer,
            links,
            "C <c@example.org>",
            "n.example.org",
            pages,
            clock,
            site_files=lambda: SiteBucket(self.bucket, self.moto),
        )

        def load(source: str) -> dict[str, Any]:
            bucket, _, key = source.removeprefix("s3://").partition("/")
            return json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

        return Built(self.store, notifier, mail_jobs, digester, reminding, KEY, load, clock)

    def drain(self, components: Built, lane: str) -> None:
        """Workers take every message waiting on a lane, each message once."""
        while (event := self.sqs_event(lane))["Records"]:
            assert worker(components, event) == {"batchItemFailures": []}
            for record in event["Records"]:
                self.sqs.delete_message(
                    QueueUrl=self.queues[lane], ReceiptHandle=record["receiptHandle"]
                )

    def http(self, store: Any = None) -> Mangum:
        """The Lambda's HTTP handler as aws_entry builds it: the routes' ASGI application
        behind Mangum, with the site's files from its bucket, posting mail jobs to the
        routine queue."""
        pages = Pages(site_files(SiteBucket(self.bucket, self.moto)), "https://n.example.org")
        jobs = SqsJobs(self.queues["routine"], self.moto)
        routes = Subscriptions(store or self.store, jobs, Signer(KEY), pages, KEY, lambda: NOW)
        return Mangum(create_app(routes, "https://n.example.org", None), lifespan="off")

    def subscribe(self, n: int, frequency: str = "immediate") -> None:
        for i in range(n):
            address = f"r{i}@example.net"
            prefs = Preferences(
                frozenset({"alerts", "notices"}), frozenset({"walmer"}), frequency=frequency
            )
            self.store.save_subscriber(
                address, address_hash(address, KEY), prefs, NOW - timedelta(days=3)
            )

    def s3_event(self) -> dict[str, Any]:
        return s3_created(self.bucket, "api/v1/notify.json")

    def sqs_event(self, lane: str) -> dict[str, Any]:
        """Everything waiting on a lane's queue, as one SQS event (up to 10 messages)."""
        received = self.sqs.receive_message(
            QueueUrl=self.queues[lane],
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return sqs_event(
            {
                **sqs_record(m["MessageId"], m["Body"], lane, received_count(m)),
                "receiptHandle": m["ReceiptHandle"],
            }
            for m in received.get("Messages", [])
        )


def received_count(message: dict[str, Any]) -> int:
    return int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))


@pytest.fixture
def world(
    endpoints: tuple[str, str], site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> World:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where Lambda copies site files
    return World(endpoints, site)


def deliveries(event: dict[str, Any]) -> list[tuple[str, ...]]:
    return sorted(tuple(d) for r in event["Records"] for d in json.loads(r["body"])["deliveries"])


def test_publish_plans_alerts_and_routine_items_on_their_own_queues(world: World) -> None:
    world.subscribe(3)
    assert publish(
        world.components(),
        world.s3_event(),
    ) == {"items": 2}
    alerts, routine = world.sqs_event("alerts"), world.sqs_event("routine")
    assert [d[1] for d in deliveries(alerts)] == ["alerts/flood"] * 3
    assert [d[1] for d in deliveries(routine)] == ["notices/plan"] * 3
    assert all(
        json.loads(r["body"])["source"] == f"s3://{world.bucket}/api/v1/notify.json"
        for r in alerts["Records"]
    )


def test_a_drawn_alert_is_planned_for_the_postcodes_inside_it(world: World) -> None:
    """The flood alert has a Polygon: of two residents of Walmer who gave a postcode, the
    one inside it gets it; a resident who chose the ward gets it by the ward."""
    located = {"in": (51.274, 1.34), "out": (51.2, 1.4)}
    for name, location in located.items():
        address = f"{name}@example.net"
        prefs = Preferences(
            frozenset({"alerts"}), frozenset({"walmer"}), postcode="CT14 7AA", location=location
        )
        world.store.save_subscriber(
            address, address_hash(address, KEY), prefs, NOW - timedelta(days=3)
        )
    world.subscribe(1)
    publish(world.components(), world.s3_event())
    planned = {d[0] for d in deliveries(world.sqs_event("alerts"))}
    assert planned == {address_hash(a, KEY) for a in ("in@example.net", "r0@example.net")}


def test_workers_send_each_once_even_when_events_come_twice(world: World) -> None:
    world.subscribe(4)
    components = world.components()
    publish(components, world.s3_event())
    publish(components, world.s3_event())  # S3 delivered the event twice
    for lane in ("alerts", "routine"):
        while (event := world.sqs_event(lane))["Records"]:
            assert worker(components, event) == {"batchItemFailures": []}
            assert worker(components, event) == {"batchItemFailures": []}  # SQS delivered it twice
            for record in event["Records"]:
                world.sqs.delete_message(
                    QueueUrl=world.queues[lane], ReceiptHandle=record["receiptHandle"]
                )
    assert sorted(world.mailer.sent) == sorted([f"r{i}@example.net" for i in range(4)] * 2)


def test_a_worker_dying_half_way_repeats_at_most_the_message_in_flight(world: World) -> None:
    world.subscribe(5)
    dying = ListMailer(die_after=2)
    publish(world.components(dying), world.s3_event())
    event = world.sqs_event("alerts")
    result = worker(world.components(dying), event)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    worker(world.components(dying), event)  # SQS retries the failed message
    counts = {f"r{i}@example.net": dying.sent.count(f"r{i}@example.net") for i in range(5)}
    assert min(counts.values()) == 1 and sum(counts.values()) <= 6


def test_a_poisoned_message_is_reported_failed_alone(world: World) -> None:
    world.subscribe(1)
    publish(world.components(), world.s3_event())
    event = world.sqs_event("alerts")
    poisoned = {**event["Records"][0], "messageId": "poison", "body": "{not json"}
    result = worker(world.components(), {"Records": [poisoned, *event["Records"]]})
    assert result == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    assert world.mailer.sent == ["r0@example.net"]


def test_the_http_api_serves_the_routes_and_the_worker_sends_the_mail(world: World) -> None:
    form = urlencode({"email": "new@example.net", "topics": "alerts", "wards": "walmer"}).encode()
    response = world.http()(api_event("POST", "/subscriptions/subscribe", form, FORM), None)
    assert response["statusCode"] == 200 and "Check your email" in response["body"]
    assert world.mailer.sent == []  # the HTTP function sends nothing itself
    assert worker(world.components(), world.sqs_event("routine")) == {"batchItemFailures": []}
    assert world.mailer.sent == ["new@example.net"]


def test_a_postcode_finds_its_ward_on_lambda_from_the_sites_bucket(world: World) -> None:
    http = world.http()

    def sign_up(address: str, postcode: str) -> dict[str, Any]:
        form = urlencode({"email": address, "topics": "alerts", "postcode": postcode}).encode()
        response: dict[str, Any] = http(
            api_event("POST", "/subscriptions/subscribe", form, FORM), None
        )
        return response

    with recorded_calls() as calls:
        answers = [sign_up(f"p{n}@example.net", f"ct14 7a{'a' if n else 'A'}") for n in (0, 1)]
        unknown = sign_up("q@example.net", "CT99 9ZZ")
    assert [a["statusCode"] for a in answers] == [200, 200]
    jobs = [json.loads(r["body"])["job"] for r in world.sqs_event("routine")["Records"]]
    assert [job["preferences"]["wards"] for job in jobs] == [["walmer"], ["walmer"]]
    assert [job["preferences"]["location"] for job in jobs] == [[51.274, 1.34]] * 2
    assert unknown["statusCode"] == 400 and "could not find that postcode" in unknown["body"]
    fetched = [c.params["Key"] for c in calls if c.operation == "GetObject"]
    assert fetched == ["api/v1/postcodes/CT14.json", "api/v1/postcodes/CT99.json"]  # then cached


def test_the_lambda_routes_carry_the_same_headers_and_error_pages(world: World) -> None:
    http = world.http()
    page = http(api_event("GET", "/subscriptions/subscribe"), None)
    headers = {k.lower(): v for k, v in page["headers"].items()}
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["strict-transport-security"] == "max-age=31536000"  # always HTTPS
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    cases = [
        (
            api_event(
                "POST", "/subscriptions/subscribe", b"e=1", {**FORM, "origin": "https://x.example"}
            ),
            403,
        ),
        (api_event("POST", "/subscriptions/subscribe", b"email=" + b"x" * 40_000, FORM), 413),
        (api_event("POST", "/subscriptions/subscribe", b"email=%ff", FORM), 400),
        (api_event("GET", "/subscriptions/manage", query="token=nonsense"), 400),
        (api_event("DELETE", "/subscriptions/manage"), 405),
    ]
    for event, status in cases:
        response = http(event, None)
        assert response["statusCode"] == status, event["rawPath"]
        assert "govuk-template" in response["body"]
        assert "content-security-policy" in {k.lower() for k in response["headers"]}


def test_a_failure_on_lambda_gets_the_sites_500_page_and_no_traceback(world: World) -> None:
    class BrokenStore:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError("the table is unreachable")

    form = urlencode({"email": "new@example.net", "topics": "alerts", "wards": "walmer"}).encode()
    response = world.http(BrokenStore())(
        api_event("POST", "/subscriptions/subscribe", form, FORM), None
    )
    assert response["statusCode"] == 500
    assert "Sorry, there is a problem with the service" in response["body"]
    assert "Traceback" not in response["body"] and "unreachable" not in response["body"]


def test_one_click_unsubscribe_through_the_lambda(world: World) -> None:
    world.subscribe(1)
    email_hash = address_hash("r0@example.net", KEY)
    token = Signer(KEY).make(Purpose.UNSUBSCRIBE, {"h": email_hash}, NOW)
    boundary = "provider"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=List-Unsubscribe\r\n\r\n"
        f"One-Click\r\n--{boundary}--\r\n"
    ).encode()
    event = api_event(
        "POST",
        "/subscriptions/unsubscribe",
        body,
        {"content-type": f"multipart/form-data; boundary={boundary}"},
        query=f"token={token}",
    )
    response = world.http()(event, None)
    assert response["statusCode"] == 200 and "You have unsubscribed" in response["body"]
    assert world.store.subscriber_by_hash(email_hash) is None


def test_hard_bounces_and_complaints_suppress_the_address(world: World) -> None:
    world.subscribe(3)
    components = world.components()
    bounce = {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bouncedRecipients": [{"emailAddress": "r0@example.net"}],
        },
    }
    soft = {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Transient",
            "bouncedRecipients": [{"emailAddress": "r1@example.net"}],
        },
    }
    complaint = {
        "eventType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "r2@example.net"}]},
    }
    assert [ses_events(components, sns(m))["suppressed"] for m in (bounce, soft, complaint)] == [
        1,
        0,
        1,
    ]
    assert world.store.is_suppressed(address_hash("r0@example.net", KEY))
    assert not world.store.is_suppressed(address_hash("r1@example.net", KEY))
    assert world.store.subscriber_by_hash(address_hash("r2@example.net", KEY)) is None


def test_reach_on_aws_from_workers_ses_events_and_the_routes(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Five subscribers; the alert and the notice sent through the workers with SES (one
    address refused at once); then SES's events through the real handler, an unsubscribe
    through the Lambda's routes from the alert's link, and the report, from DynamoDB, by
    the command."""
    world.subscribe(5)
    mailer, faults = ses(world)
    faults.refused.add("r3@example.net")
    components = world.components(mailer, now=PUBLISHED + timedelta(minutes=2))
    publish(components, world.s3_event())
    world.drain(components, "alerts")
    world.drain(components, "routine")  # r3 was suppressed meanwhile: skipped

    def event(kind: str, tag: str, **details: Any) -> None:
        message = {"eventType": kind, "mail": {"tags": {"item": [tag]}}, **details}
        ses_events(components, sns(message))

    def bounced(kind: str, address: str) -> dict[str, Any]:
        return {"bounceType": kind, "bouncedRecipients": [{"emailAddress": address}]}

    for kind in ("Delivery", "Delivery", "DeliveryDelay", "Open", "Click"):
        event(kind, "alerts_flood")
    event("Bounce", "alerts_flood", bounce=bounced("Transient", "r2@example.net"))
    event(
        "Complaint",
        "alerts_flood",
        complaint={"complainedRecipients": [{"emailAddress": "r1@example.net"}]},
    )
    event("Bounce", "notices_plan", bounce=bounced("Permanent", "r0@example.net"))
    event("Send", "notices_plan")  # not counted

    links = Links(Signer(KEY), "https://n.example.org")
    email_hash = address_hash("r2@example.net", KEY)
    link = links.envelope("r2@example.net", email_hash, "", "", NOW, item_id="alerts/flood")
    query = link.unsubscribe_url.partition("?")[2]
    one_click = api_event(
        "POST", "/subscriptions/unsubscribe", b"List-Unsubscribe=One-Click", FORM, query=query
    )
    assert world.http()(one_click, None)["statusCode"] == 200

    for name, value in {
        "SUBSCRIBER_STORE": f"dynamodb://{world.store.table_name}",
        "AWS_ENDPOINT_URL_DYNAMODB": world.store._resource.meta.client.meta.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(cli, "now", lambda: NOW)
    report_file = tmp_path / "reach.json"
    manifest = str(world.site / "api" / "v1" / "notify.json")
    assert cli.main(["report", "--json", str(report_file), "--manifest", manifest]) == 0
    report = json.loads(report_file.read_text())
    rows = {row["id"]: row for row in report["items"]}
    assert list(rows) == ["alerts/flood", "notices/plan"]
    counted = ("recipients", "sent", "delivered", "deferred", "bounced", "bounced_hard")
    counted += ("bounced_soft", "complaints", "unsubscribes", "opens", "clicks", "segments")
    counted += ("posts", "first_sent", "last_sent", "within_1m", "within_5m", "within_15m")
    sent_at = (PUBLISHED + timedelta(minutes=2)).isoformat()
    assert {name: rows["alerts/flood"][name] for name in counted} == {
        "recipients": 5,
        "sent": 4,
        "delivered": 2,
        "deferred": 1,
        "bounced": 2,
        "bounced_hard": 1,  # refused by SES at once
        "bounced_soft": 1,
        "complaints": 1,
        "unsubscribes": 1,
        "opens": 1,
        "clicks": 1,
        "segments": None,
        "posts": None,
        "first_sent": sent_at,
        "last_sent": sent_at,
        "within_1m": 0.0,
        "within_5m": 0.8,
        "within_15m": 0.8,
    }
    assert {name: rows["notices/plan"][name] for name in counted} == {
        **dict.fromkeys(counted, 0),
        "recipients": 4,
        "sent": 4,
        "bounced": 1,
        "bounced_hard": 1,
        "segments": None,
        "posts": None,
        "first_sent": sent_at,
        "last_sent": sent_at,
        "within_1m": 0.0,
        "within_5m": 0.0,
        "within_15m": 0.0,
    }
    assert report["days"] == [
        {"date": "2026-11-27", "channel": "email", "recipients": 9, "sent": 8, "deferred": 1,
         "bounced": 3, "complaints": 1, "unsubscribes": 0},
        {"date": "2026-11-28", "channel": "email", "recipients": 0, "sent": 0, "deferred": 0,
         "bounced": 0, "complaints": 0, "unsubscribes": 1},
    ]  # fmt: skip
    assert report["subscribers"] == {
        "total": 1,
        "by_topic": {"alerts": 1, "notices": 1},
        "by_ward": {"walmer": 1},
        "by_language": {"en": 1},
        "by_channel": {"email": 1, "text": 0},
        "by_frequency": {"immediate": 1},
        "suppressed": 3,
        "sign_ups": 0,
        "confirmations": 0,
        "confirmation_rate": None,
        "growth": [
            {"date": "2026-11-27", "joined": 0, "left": 3},  # refused, complained, bounced
            {"date": "2026-11-28", "joined": 0, "left": 1},  # unsubscribed
        ],
    }


LATER = NOW + SQS_GIVES_UP_AFTER + timedelta(minutes=1)
VISIBILITY = timedelta(seconds=360)  # the queues' VisibilityTimeout in template.yaml


def sweep_at(world: World, now: datetime, mailer: Mailer | None = None) -> dict[str, int]:
    manifest = {"manifest": f"s3://{world.bucket}/api/v1/notify.json"}
    return sweep(world.components(mailer, now), manifest)


def handed_out_again(event: dict[str, Any], times: int) -> dict[str, Any]:
    """The same SQS messages, as SQS hands them out for the ``times``-th time."""
    return sqs_event(
        {**r, "attributes": {**r["attributes"], "ApproximateReceiveCount": str(times)}}
        for r in event["Records"]
    )


def test_the_sweeper_sends_what_sqs_gave_up_on_after_workers_died(world: World) -> None:
    world.subscribe(3)
    dying = ListMailer(die_after=1)
    publish(world.components(dying), world.s3_event())
    event = world.sqs_event("alerts")
    failed = {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    for receive in range(1, 6):  # the Lambda times out on each of SQS's five tries
        dying.die_after = len(dying.sent) + 1
        when = NOW + VISIBILITY * (receive - 1)  # SQS hands a message out again after this
        assert worker(world.components(dying, when), handed_out_again(event, receive)) == failed
    world.sqs.purge_queue(QueueUrl=world.queues["alerts"])  # to the dead-letter queue
    assert sweep_at(world, NOW, dying) == {"planned": 0, "requeued": 0}  # SQS's turn
    # Owed rows are the sweeper's once SQS has given up on the last try that touched them.
    assert sweep_at(world, LATER + 4 * VISIBILITY, dying) == {"planned": 0, "requeued": 3}
    world.drain(world.components(dying, LATER + 4 * VISIBILITY), "alerts")
    assert sorted(set(dying.sent)) == ["r0@example.net", "r1@example.net", "r2@example.net"]
    assert len(dying.sent) <= 3 + 5  # each death repeats at most the message in flight
    assert sweep_at(world, LATER + timedelta(hours=2), dying) == {"planned": 0, "requeued": 0}


def test_what_sqs_gave_up_on_while_ses_was_down_is_sent_by_the_sweeper(world: World) -> None:
    world.subscribe(3)
    mailer, faults = ses(world)
    publish(world.components(mailer), world.s3_event())
    event = world.sqs_event("alerts")
    faults.down = True
    for receive in range(1, 6):  # SES is down for all five of SQS's tries
        when = NOW + VISIBILITY * (receive - 1)
        result = worker(world.components(mailer, when), handed_out_again(event, receive))
        assert result["batchItemFailures"]
    world.sqs.purge_queue(QueueUrl=world.queues["alerts"])
    faults.down = False
    assert sweep_at(world, LATER + 4 * VISIBILITY, mailer)["requeued"] == 3
    world.drain(world.components(mailer, LATER + 4 * VISIBILITY), "alerts")
    assert sorted(faults.accepted) == ["r0@example.net", "r1@example.net", "r2@example.net"]


def test_the_sweeper_plans_what_no_event_planned_and_gives_up_stale_rows(world: World) -> None:
    world.subscribe(2)
    reader = world.store.subscriber_by_hash(address_hash("r0@example.net", KEY))
    assert reader is not None
    world.store.claim(reader.id, "alerts/flood", "an-older-revision", NOW - timedelta(hours=2))
    # The manifest is in the bucket, but its S3 event never came.
    assert sweep_at(world, NOW) == {"planned": 2, "requeued": 0}
    assert [d[1] for d in deliveries(world.sqs_event("alerts"))] == ["alerts/flood"] * 2
    assert [d[1] for d in deliveries(world.sqs_event("routine"))] == ["notices/plan"] * 2
    assert [e.state for e in world.store.deliveries_of(reader.email_hash)] == ["failed"]
    assert sweep_at(world, NOW) == {"planned": 0, "requeued": 0}


@pytest.mark.parametrize("subscribers", [2, 40])
def test_a_quiet_sweep_makes_three_calls_whatever_the_number_of_subscribers(
    world: World, subscribers: int
) -> None:
    world.subscribe(subscribers)
    components = world.components()
    publish(components, world.s3_event())
    for lane in ("alerts", "routine"):
        world.drain(components, lane)
    with recorded_calls() as calls:
        assert sweep_at(world, LATER) == {"planned": 0, "requeued": 0}
    assert tally(calls) == {"s3.GetObject": 1, "dynamodb.BatchGetItem": 1, "dynamodb.Query": 1}


def test_the_digest_schedule(world: World) -> None:
    world.subscribe(2, frequency="daily")
    components = world.components()
    publish(components, world.s3_event())
    worker(components, world.sqs_event("routine"))
    assert digest(components, {"frequency": "daily"}) == {"sent": 2, "suppressed": 0}
    assert digest(components, {"frequency": "daily"}) == {"sent": 0, "suppressed": 0}


def ses(world: World) -> tuple[SesMailer, SesFaults]:
    """The SES mailer on moto's server, with SES's refusals and throttling at hand."""
    mailer = SesMailer("noticeboard", world.moto, max_rate=1000, sleep=lambda s: None)
    return mailer, SesFaults(mailer._ses)


def test_a_worker_suppresses_a_refused_address_and_sends_to_the_rest(world: World) -> None:
    world.subscribe(4)
    mailer, faults = ses(world)
    faults.refused.add("r1@example.net")
    components = world.components(mailer)
    publish(components, world.s3_event())
    event = world.sqs_event("alerts")
    assert worker(components, event) == {"batchItemFailures": []}
    assert worker(components, event) == {"batchItemFailures": []}  # SQS delivered it twice
    assert sorted(faults.accepted) == ["r0@example.net", "r2@example.net", "r3@example.net"]
    assert world.store.is_suppressed(address_hash("r1@example.net", KEY))
    assert world.store.subscriber_by_hash(address_hash("r1@example.net", KEY)) is None


def test_when_ses_is_unavailable_the_batch_goes_back_to_sqs(world: World) -> None:
    world.subscribe(3)
    mailer, faults = ses(world)
    components = world.components(mailer)
    publish(components, world.s3_event())
    publish(components, world.s3_event())  # the same deliveries, in a second message
    event = world.sqs_event("alerts")
    assert len(event["Records"]) == 2
    faults.down = True  # throttled, past the mailer's retries
    assert worker(components, event) == {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]
    }
    assert mailer.calls == ATTEMPTS  # one delivery tried; the rest wait for SQS, untried
    faults.down = False
    assert worker(components, event) == {"batchItemFailures": []}  # SQS brings them back
    assert sorted(faults.accepted) == ["r0@example.net", "r1@example.net", "r2@example.net"]


def test_the_digest_schedule_fails_when_ses_is_unavailable_so_lambda_retries(
    world: World,
) -> None:
    world.subscribe(2, frequency="daily")
    mailer, faults = ses(world)
    components = world.components(mailer)
    publish(components, world.s3_event())
    worker(components, world.sqs_event("routine"))
    faults.down = True
    with pytest.raises(RuntimeError, match="0 daily summaries sent, 2 deferred"):
        digest(components, {"frequency": "daily"})
    faults.down = False
    assert digest(components, {"frequency": "daily"}) == {"sent": 2, "suppressed": 0}


def test_the_reminders_schedule_reads_the_rounds_from_the_sites_bucket(
    world: World, tmp_path: Path
) -> None:
    """The schedule's event at 18:00 on Christmas Day: the household whose Friday
    collection moved to Saturday is reminded once, from the round and postcode files in
    the site's bucket; a second event sends nothing."""
    from tests.test_bin_day_reminders import FILES, POSTCODE_LOOKUP, ROUNDS

    (tmp_path / "rounds.csv").write_text(ROUNDS)
    (tmp_path / "postcodes.json").write_text(json.dumps(POSTCODE_LOOKUP))
    data = {"ROUNDS_FILE": tmp_path / "rounds.csv", "POSTCODES_FILE": tmp_path / "postcodes.json"}
    site = build(tmp_path / "site", FILES, **{name: str(path) for name, path in data.items()})
    for path in [*(site / "api/v1/rounds").glob("*.json"), site / POSTCODES.format(outward="CT14")]:
        key = path.relative_to(site).as_posix()
        world.s3.put_object(Bucket=world.bucket, Key=key, Body=path.read_bytes())
    for address, postcode in (
        ("friday@example.net", "CT14 7AA"),
        ("monday@example.net", "CT14 6AB"),
    ):
        prefs = Preferences(
            frozenset({"bin-changes"}),
            frozenset({"walmer"}),
            postcode=postcode,
            reminders=frozenset({"bin-days"}),
        )
        world.store.save_subscriber(address, address_hash(address, KEY), prefs, NOW)
    evening = world.components(now=datetime(2026, 12, 25, 18, 0, tzinfo=UTC))
    assert reminders(evening, {}) == {"day": "2026-12-26", "sent": 1, "texts": 0}
    assert reminders(evening, {}) == {"day": "2026-12-26", "sent": 0, "texts": 0}
    assert world.mailer.sent == ["friday@example.net"]
    entries = world.store.deliveries_of(address_hash("friday@example.net", KEY))
    assert [(e.item_id, e.state) for e in entries] == [("bin-days/2026-12-26", "sent")]
