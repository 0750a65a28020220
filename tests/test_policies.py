"""Every Lambda function's policy in template.yaml allows each AWS call its code makes,
and grants nothing more than SAM's policy templates bring with them (``SAM_EXTRAS``).

Each function's real entry point (``aws_entry.*_handler``, as the template names it) runs
with representative events, configured by the environment the template gives it, against
DynamoDB Local and moto's server. Every call botocore makes is recorded and checked
against the function role's policies, as the pinned SAM translator expands them. A new
function, handler, call or statement cannot drift past this test: a function without a
scenario, a call IAM would refuse, a policy no call uses, or an action beyond the extras
below fails it."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from subscriber_lambda import aws_entry
from subscriber_lambda.adapters.dynamodb_store import DynamoStore
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.phones import stop_code
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.tokens import Purpose, Signer
from subscriber_lambda.mail_jobs import PHONE_CODE, SUBSCRIBE, MailJob
from subscriber_lambda.ports import Phone
from subscriber_lambda.site_data import OPTIONS, POSTCODES, ROUND, SHELL
from tests.aws_calls import Call, recorded_calls
from tests.aws_events import FORM, api_event, s3_created, sns, sqs_event, sqs_record
from tests.dynamodb_local import dynamodb_local
from tests.fake_sms_voice import FakeSmsVoice, fake_sms_voice
from tests.fake_social import (
    ACCESS_TOKEN,
    APP_PASSWORD,
    HANDLE,
    FakeSocial,
    start_fake_social,
    stop_fake_social,
)
from tests.iam import ACCOUNT, Deployment, Statement, functions, needs
from tests.moto_server import CREDENTIALS, SesFaults, moto_server
from tests.sitebuilder import build, item

KEY = bytes(range(32))
SECRET = "noticeboard/subscriber-secret"  # the template's default SecretParameterName
PARAMETERS = {
    "SiteUrl": "https://n.example.org",
    "MailFrom": "Council <noticeboard@example.org>",
    "MailDomain": "example.org",
}
CONFIRMED = datetime(2026, 11, 1, tzinfo=UTC)  # before the site's items were published
MANIFEST = "api/v1/notify.json"
stacks = itertools.count()

# Granted by SAM's policy templates, never called by our code. Each is read-only and
# reaches only what the granted calls reach already, so the templates stay (they say
# what a function may do in one line) and the extras are listed here instead.
SAM_EXTRAS = {
    "dynamodb:Scan": "DynamoDBCrudPolicy, DynamoDBReadPolicy",
    "dynamodb:BatchGetItem": "DynamoDBCrudPolicy, DynamoDBReadPolicy",
    "dynamodb:DescribeTable": "DynamoDBCrudPolicy, DynamoDBReadPolicy",
    "dynamodb:ConditionCheckItem": "DynamoDBCrudPolicy",
    "ssm:DescribeParameters": "SSMParameterReadPolicy",
    "ssm:GetParameters": "SSMParameterReadPolicy",
    "ssm:GetParametersByPath": "SSMParameterReadPolicy",
    "s3:ListBucket": "S3ReadPolicy (used where a file may be missing: postcodes)",
    "s3:GetBucketLocation": "S3ReadPolicy",
    "s3:GetObjectVersion": "S3ReadPolicy",
    "s3:GetLifecycleConfiguration": "S3ReadPolicy",
}


@dataclass
class Services:
    dynamodb: str
    moto: str
    site: Path
    sms: FakeSmsVoice
    social: FakeSocial

    @property
    def parameters(self) -> dict[str, str]:
        """The template's parameters, with texts and both social accounts configured
        (the stand-ins speak http on loopback: the template's pattern is for councils)."""
        return {
            **PARAMETERS,
            "Texts": "sms-voice:",
            "SocialBluesky": self.social.url.replace("http://", f"http://{HANDLE}@"),
            "SocialMastodon": self.social.url,
        }


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    recent = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")  # posted
    files = {
        "alerts/flood.md": item("alerts", Slug="flood", Wards="walmer", Date=recent),
        "notices/plan.md": item("notices", Slug="plan", Wards="walmer", Date="2026-11-26 09:00"),
    }
    site = build(tmp_path_factory.mktemp("policy-site"), files, now=datetime.now(UTC).isoformat())
    social, social_server, social_thread = start_fake_social()
    with dynamodb_local() as dynamodb, moto_server() as moto, fake_sms_voice() as sms:
        options = {"endpoint_url": moto, **CREDENTIALS}
        ssm = boto3.client("ssm", **options)
        ssm.put_parameter(Name=f"/{SECRET}", Value=KEY.hex(), Type="SecureString")
        for name, value in (
            ("bluesky-app-password", APP_PASSWORD),
            ("mastodon-token", ACCESS_TOKEN),
        ):
            ssm.put_parameter(Name=f"/noticeboard/social/{name}", Value=value, Type="SecureString")
        sesv2 = boto3.client("sesv2", **options)
        sesv2.create_email_identity(EmailIdentity="example.org")
        sesv2.create_configuration_set(ConfigurationSetName="noticeboard")
        yield Services(dynamodb, moto, site, sms, social)
    stop_fake_social(social_server, social_thread)


@dataclass
class Stack:
    """One deployment of the template: its resources made on the local services."""

    deployment: Deployment
    store: DynamoStore
    bucket: str
    queues: dict[str, str]
    manifest: dict[str, Any]
    social: FakeSocial

    def revision(self, item_id: str) -> str:
        """The item's revision in the manifest the stack holds."""
        return str(next(i["revision"] for i in self.manifest["items"] if i["id"] == item_id))

    def subscribe(self, address: str, frequency: str = "immediate", number: str = "") -> str:
        """A confirmed subscriber (with a confirmed mobile number, if ``number``)."""
        email_hash = address_hash(address, KEY)
        topics = frozenset({"alerts", "notices"})
        texts = frozenset({"alerts"} if number else ())
        preferences = Preferences(
            topics, frozenset({"walmer"}), frequency=frequency, text_topics=texts
        )
        self.store.save_subscriber(address, email_hash, preferences, CONFIRMED)
        if number:
            number_hash = address_hash(number, KEY)
            phone = Phone(number, number_hash, stop_code(KEY, number_hash), None)
            self.store.save_phone(email_hash, phone, "code", CONFIRMED + timedelta(hours=1))
            self.store.confirm_phone(email_hash, "code", CONFIRMED)
        return email_hash


def deploy(services: Services) -> Stack:
    name = f"nb{next(stacks)}"
    options = {"endpoint_url": services.moto, **CREDENTIALS}
    table = f"{name}-SubscribersTable"
    store = DynamoStore(table, {"endpoint_url": services.dynamodb, **CREDENTIALS})
    store.create_table()
    sqs = boto3.client("sqs", **options)
    queues, attributes = {}, {}
    for logical in ("AlertQueue", "RoutineQueue", "DeadLetterQueue"):
        queue = f"{name}-{logical}"
        queues[logical] = sqs.create_queue(QueueName=queue)["QueueUrl"]
        attributes[f"{logical}.QueueName"] = queue
        attributes[f"{logical}.Arn"] = f"arn:aws:sqs:eu-west-2:{ACCOUNT}:{queue}"
    bucket = f"{name}-site-{ACCOUNT}"
    s3 = boto3.client("s3", **options)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    for key in (SHELL, OPTIONS, MANIFEST):
        s3.put_object(Bucket=bucket, Key=key, Body=(services.site / key).read_bytes())
    lookup = {"outward": "CT14", "ward_vintage": "WD25", "postcodes": {"CT14 7AA": "walmer"}}
    s3.put_object(Bucket=bucket, Key=POSTCODES.format(outward="CT14"), Body=json.dumps(lookup))
    refs = {"SubscribersTable": table, "SiteBucket": bucket, **queues}
    attributes["SubscribersTable.Arn"] = f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/{table}"
    deployment = Deployment(name, services.parameters, refs, attributes)
    manifest = json.loads((services.site / MANIFEST).read_text(encoding="utf-8"))
    return Stack(deployment, store, bucket, queues, manifest, services.social)


# --- representative events for each handler (made before the calls are recorded) --------


def post(path: str, form: dict[str, str], query: str = "") -> dict[str, Any]:
    return api_event("POST", path, urlencode(form).encode(), FORM, query)


def http_events(stack: Stack) -> list[dict[str, Any]]:
    """Every route that touches the store, the queue or the site's files."""
    signer, now = Signer(KEY), datetime.now(UTC)
    keep, leave = stack.subscribe("keep@example.net"), stack.subscribe("leave@example.net")
    wanted = Preferences(frozenset({"alerts"}), frozenset({"walmer"})).to_dict()
    confirm = signer.make(
        Purpose.CONFIRM, {"email": "new@example.net", "preferences": wanted, "once": "1"}, now
    )
    manage = signer.make(Purpose.MANAGE, {"h": keep}, now)
    unsubscribe = signer.make(Purpose.UNSUBSCRIBE, {"h": leave}, now)
    sign_up = {"email": "new@example.net", "topics": "alerts"}
    return [
        api_event("GET", "/subscriptions/subscribe"),
        post("/subscriptions/subscribe", {**sign_up, "postcode": "CT14 7AA"}),
        post("/subscriptions/subscribe", {**sign_up, "postcode": "CT99 9ZZ"}),  # no such file
        post("/subscriptions/confirm", {"token": confirm}),
        post("/subscriptions/manage", {"topics": "notices", "wards": "walmer"}, f"token={manage}"),
        post("/subscriptions/manage-link", {"email": "keep@example.net"}),
        post(
            "/subscriptions/unsubscribe", {"List-Unsubscribe": "One-Click"}, f"token={unsubscribe}"
        ),
    ]


def ses_refusing(address: str) -> None:
    """SES refuses the address, for the mailer the entry point is about to use."""
    SesFaults(aws_entry.components().mailer._ses).refused.add(address)  # type: ignore[attr-defined]


def worker_events(stack: Stack) -> list[dict[str, Any]]:
    """Deliveries (sent, waiting for a digest, refused: the address is suppressed; a text),
    a confirmation email and a code by text."""
    ses_refusing("refused@example.net")
    source = f"s3://{stack.bucket}/{MANIFEST}"
    texting = stack.subscribe("texts@example.net", number="+447400900123")
    deliveries = [
        [stack.subscribe("now@example.net"), "alerts/flood"],
        [stack.subscribe("daily@example.net", "daily"), "notices/plan"],
        [stack.subscribe("refused@example.net"), "alerts/flood"],
        [texting, "alerts/flood", "text"],
    ]
    wanted = Preferences(frozenset({"alerts"}), frozenset({"walmer"})).to_dict()
    job = MailJob(SUBSCRIBE, "new@example.net", address_hash("new@example.net", KEY), wanted)
    code = MailJob(PHONE_CODE, "texts@example.net", texting, phone="+447400900124")
    bodies = [
        {"source": source, "deliveries": deliveries},
        {"job": job.to_dict()},
        {"job": code.to_dict()},
    ]
    return [sqs_event(sqs_record(str(n), json.dumps(b)) for n, b in enumerate(bodies))]


def ses_events_events(stack: Stack) -> list[dict[str, Any]]:
    stack.subscribe("bounced@example.net")
    bounce = {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bouncedRecipients": [{"emailAddress": "bounced@example.net"}],
        },
    }
    delivery = {"eventType": "Delivery", "mail": {"tags": {"item": ["alerts_flood"]}}}
    return [sns(bounce), sns(delivery)]


def digest_events(stack: Stack) -> list[dict[str, Any]]:
    """A summary sent, and one refused (the address is suppressed)."""
    ses_refusing("refused@example.net")
    details = {"title": "Plan", "summary": "A plan", "url": "https://n.example.org/notices/plan/"}
    for address in ("daily@example.net", "refused@example.net"):
        daily = stack.store.subscriber_by_hash(stack.subscribe(address, "daily"))
        assert daily is not None
        stack.store.claim(daily.id, "notices/plan", "r1", CONFIRMED)
        stack.store.mark(daily.id, "notices/plan", "r1", "digest", CONFIRMED, details)
    return [{"frequency": "daily"}]


def reminders_events(stack: Stack) -> list[dict[str, Any]]:
    """Two households on a round collected the next day: one reminded by email and by
    text (it wants bin changes by text), one whose address is refused (suppressed). The
    round's and the postcode's files are in the bucket."""
    s3 = boto3.client("s3")  # on moto: the environment the function gets is set already
    collection = {"date": "2026-12-26", "service": "refuse", "usual_date": "2026-12-25"}
    changed = {**collection, "changed": True, "reason": "Christmas", "bin_change": "bin-changes/x"}
    schedule = {"until": "2027-11-30", "collections": [changed]}
    s3.put_object(Bucket=stack.bucket, Key=ROUND.format(round="walmer"), Body=json.dumps(schedule))
    lookup = {
        "outward": "CT14",
        "postcodes": {"CT14 7AA": "walmer"},
        "rounds": {"CT14 7AA": {"refuse": "walmer"}},
    }
    s3.put_object(
        Bucket=stack.bucket, Key=POSTCODES.format(outward="CT14"), Body=json.dumps(lookup)
    )
    ses_refusing("refused@example.net")
    for address, number in (("bins@example.net", "+447400900125"), ("refused@example.net", "")):
        email_hash = stack.subscribe(address, number=number)
        subscriber = stack.store.subscriber_by_hash(email_hash)
        assert subscriber is not None
        wanted = replace(
            subscriber.preferences,
            postcode="CT14 7AA",
            reminders=frozenset({"bin-days"}),
            text_topics=frozenset({"bin-changes"} if number else ()),
        )
        stack.store.save_subscriber(address, email_hash, wanted, CONFIRMED)
    return [{"on": "2026-12-25"}]


def publish_events(stack: Stack) -> list[dict[str, Any]]:
    """A new alert: planned, and posted on Bluesky; Mastodon is down this time (its claim
    on the post is released), and posts at the second event."""
    stack.subscribe("r@example.net")
    social = stack.social
    social.fail_next("mastodon", 503)
    return [s3_created(stack.bucket, MANIFEST)] * 2


def sweep_events(stack: Stack) -> list[dict[str, Any]]:
    """The manifest's items were never planned (their S3 event never came); a delivery is
    owed since a worker died long ago; a row's revision is no longer in the manifest."""
    owed = stack.store.subscriber_by_hash(stack.subscribe("owed@example.net"))
    assert owed is not None
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    stack.store.claim(owed.id, "alerts/flood", stack.revision("alerts/flood"), long_ago)
    stack.store.claim(owed.id, "notices/plan", "an-older-revision", long_ago)
    return [{}]


SCENARIOS: dict[str, Callable[[Stack], list[dict[str, Any]]]] = {
    "http_handler": http_events,
    "worker_handler": worker_events,
    "ses_events_handler": ses_events_events,
    "digest_handler": digest_events,
    "reminders_handler": reminders_events,
    "publish_handler": publish_events,
    "sweep_handler": sweep_events,
}


def succeeded(result: Any) -> bool:
    """Whether a handler's answer says it did its work (no 5xx, no failed SQS messages)."""
    if isinstance(result, dict) and "statusCode" in result:
        return int(result["statusCode"]) < 500
    return not (isinstance(result, dict) and result.get("batchItemFailures"))


@pytest.fixture
def entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """aws_entry keeps what it built for the container's life: a fresh container each time,
    with a /tmp of its own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    aws_entry.components.cache_clear()
    aws_entry.http_app.cache_clear()
    yield
    aws_entry.components.cache_clear()
    aws_entry.http_app.cache_clear()


def run_function(
    function: str, stack: Stack, services: Services, monkeypatch: pytest.MonkeyPatch
) -> list[Call]:
    """The function's entry point on its scenario's events, in the environment the template
    gives it; the AWS calls it made."""
    environment = {
        **stack.deployment.environment(function),
        "AWS_ENDPOINT_URL": services.moto,
        "AWS_ENDPOINT_URL_DYNAMODB": services.dynamodb,
        "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": services.sms.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    handler = functions()[function].rpartition(".")[2]
    events = SCENARIOS[handler](stack)
    with recorded_calls() as calls:
        results = [getattr(aws_entry, handler)(event, None) for event in events]
    assert all(succeeded(result) for result in results), results
    return calls


def unused_actions(policies: dict[str, list[Statement]], calls: list[Call]) -> set[str]:
    wanted = [need for call in calls for need in needs(call)]
    return {
        action
        for statements in policies.values()
        for statement in statements
        for action in statement.actions
        if not any(statement.grants(action, need) for need in wanted)
    }


def test_the_check_refuses_what_iam_would_refuse() -> None:
    """The checker itself: a call outside a statement's action, resource or condition."""
    table = f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/t"
    names = {"SubscribersTable": "t", "SiteBucket": "b", "AlertQueue": "q", "RoutineQueue": "q"}
    attributes = {"SubscribersTable.Arn": table, "AlertQueue.QueueName": "q"}
    attributes["RoutineQueue.QueueName"] = "q"
    deployment = Deployment("nb", PARAMETERS, names, attributes)

    def allowed(function: str, call: Call) -> bool:
        statements = [s for listed in deployment.policies(function).values() for s in listed]
        return all(any(s.allows(need) for s in statements) for need in needs(call))

    plan = {"TableName": "t", "Item": {"PK": "P#alerts/flood", "SK": "PLANNED#r1"}}
    assert allowed("PublishFunction", Call("dynamodb", "PutItem", plan))
    ledger = {"TableName": "t", "Item": {"PK": "S#someone", "SK": "D#alerts/flood#r1"}}
    assert not allowed("PublishFunction", Call("dynamodb", "PutItem", ledger))
    assert not allowed("PublishFunction", Call("dynamodb", "PutItem", {**plan, "TableName": "x"}))
    mail = {"FromEmailAddress": "noticeboard@example.org", "Content": {"Raw": {"Data": b""}}}
    assert allowed("DigestFunction", Call("sesv2", "SendEmail", mail))
    forged = {**mail, "FromEmailAddress": "someone@example.org"}
    assert not allowed("DigestFunction", Call("sesv2", "SendEmail", forged))
    assert not allowed("DigestFunction", Call("sesv2", "SendEmail", {"Content": mail["Content"]}))
    assert not allowed("HttpFunction", Call("sesv2", "SendEmail", mail))
    missing = Call("s3", "GetObject", {"Bucket": "other", "Key": "x"}, "NoSuchKey")
    assert not allowed("HttpFunction", missing)


def test_every_function_has_a_scenario() -> None:
    handlers = {handler.rpartition(".")[2] for handler in functions().values()}
    assert handlers == set(SCENARIOS)


@pytest.mark.parametrize("function", sorted(functions()))
def test_each_function_may_make_the_calls_its_code_makes_and_little_more(
    function: str,
    services: Services,
    entry_points: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack = deploy(services)
    calls = run_function(function, stack, services, monkeypatch)
    policies = stack.deployment.policies(function)
    statements = [s for listed in policies.values() for s in listed]
    refused = [
        (f"{call.service}.{call.operation}", need)
        for call in calls
        for need in needs(call)
        if not any(statement.allows(need) for statement in statements)
    ]
    assert refused == [], f"{function}'s policies do not allow these calls"
    wanted = [need for call in calls for need in needs(call)]
    idle = [
        [action for s in listed for action in s.actions]
        for listed in policies.values()
        if not any(s.allows(need) for s in listed for need in wanted)
    ]
    assert idle == [], f"{function} has policies its code never uses: {idle}"
    extra = unused_actions(policies, calls) - SAM_EXTRAS.keys()
    assert extra == set(), f"{function} may do {sorted(extra)}, which no call needs"
