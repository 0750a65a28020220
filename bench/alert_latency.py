"""Time to alert: from an officer's change to the live page and the residents' inboxes.

A synthetic site (build_bench's content, the search index included) is built, served by
``python -m subscriber_lambda serve`` and published to S3 (moto's server on 127.0.0.1);
residents are seeded straight into the stores (SQLite for the embedded default, DynamoDB
Local for AWS), every one confirmed and wanting alerts everywhere. Then an officer adds a
district-wide alert, and each stage is timed from that moment:

- embedded: the incremental rebuild (``noticeboard.rebuild``); the alert page served (it
  goes live as soon as Pelican writes it, ADR 27); the notify manifest naming the alert,
  which starts ``python -m subscriber_lambda notify`` (as a systemd path unit on the
  manifest would); the first and the last email accepted by a local SMTP server
  (aiosmtpd, in its own process); the rebuild's end (every page's banner replaced);
- AWS: ``make publish`` (``build_and_publish``: the same incremental build, into a folder
  of its own, and the upload of what changed): the alert's page in the bucket, the notify
  manifest in the bucket, whose S3 event starts the planner (``aws_lambda.publish``) and a
  worker (``aws_lambda.worker``) taking its SQS messages; the first and the last email
  SES (moto) accepted; the upload's end.

The two paths are timed one after the other, not at once (they would share the two
cores). The planner and the worker run as threads of this process, beside the build that
is still going on (a Lambda would have a machine of its own). The default is a quick run
(``make bench``); ``--items 5000 --subscribers 100000`` (``make bench FULL=1``) is the
issue's size. The AWS path's subscribers are fewer (``--aws-subscribers``): DynamoDB Local,
a Java emulator on the same 2 cores, sets that pace, not AWS.

    python bench/alert_latency.py --items 5000 --subscribers 100000 --aws-subscribers 5000
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.aws_bench import KEY, Parts  # noqa: E402
from bench.build_bench import NOW, generate  # noqa: E402
from bench.notify_bench import SETUP, smtp_catcher  # noqa: E402
from noticeboard.publish.__main__ import EARLY, build_and_publish  # noqa: E402
from noticeboard.publish.plan import STAGES  # noqa: E402
from noticeboard.rebuild import rebuild  # noqa: E402
from subscriber_lambda.adapters.dynamodb_store import PROFILE, DynamoStore  # noqa: E402
from subscriber_lambda.adapters.ses_mailer import SesMailer  # noqa: E402
from subscriber_lambda.adapters.sqlite_store import SqliteStore  # noqa: E402
from subscriber_lambda.adapters.sqs_queue import SqsQueue  # noqa: E402
from subscriber_lambda.aws_lambda import publish as plan_from_s3  # noqa: E402
from subscriber_lambda.aws_lambda import worker  # noqa: E402
from subscriber_lambda.core.addresses import address_hash  # noqa: E402
from subscriber_lambda.core.preferences import Preferences  # noqa: E402
from subscriber_lambda.core.tokens import Signer  # noqa: E402
from subscriber_lambda.notify import Links, Notifier  # noqa: E402
from subscriber_lambda.site_policy import MANIFEST  # noqa: E402
from tests.aws_events import s3_created, sqs_event, sqs_record  # noqa: E402
from tests.dynamodb_local import dynamodb_local  # noqa: E402
from tests.moto_server import moto_with_ses  # noqa: E402
from tests.services import free_port, wait_for_port  # noqa: E402

SLUG = "water-supply-off"
ALERT = f"""Title: Water supply off across the district
Date: 2026-11-28 11:55
Summary: Mains water is off while a burst main is repaired. Bottled water at leisure centres.
Wards: all
Event: water-supply
Severity: severe
Urgency: immediate
Expires: 2026-11-28 22:00
Slug: {SLUG}

Do not drink water from the tap until the council says it is safe.
"""
# After every synthetic item, before the alert: residents get the alert and nothing else.
CONFIRMED = "2026-11-28T00:00:00+00:00"
SETTINGS = """import sys
sys.path.insert(0, {root!r})
from pelicanconf import *
ROUNDS_FILE = None
NOTICEBOARD_NOW = {now!r}
"""
SENDER, HOST, SITE = "Council <noticeboard@example.org>", "example.org", "http://127.0.0.1"
BUCKET = "site"
SERVE = [sys.executable, "-m", "subscriber_lambda", "serve"]


class Clock:
    """Seconds since the officer's change, for each stage; said as it happens on a
    terminal."""

    def __init__(self) -> None:
        self.start = 0.0
        self.marks: dict[str, float] = {}

    def begin(self) -> None:
        self.start = time.time()

    def mark(self, stage: str, at: float | None = None) -> None:
        self.marks[stage] = round((at or time.time()) - self.start, 2)
        if sys.stdout.isatty():
            print(f"  {self.marks[stage]:7.2f} s  {stage}", flush=True)


def say(text: str) -> None:
    if sys.stdout.isatty():
        print(text, flush=True)


def seed_sqlite(db: Path, subscribers: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", SETUP, str(db), str(subscribers), CONFIRMED]
    subprocess.run(command, env=env, check=True)


def seed_dynamodb(store: DynamoStore, subscribers: int) -> None:
    """The items ``save_subscriber`` writes, put in batches (no reads, no updates)."""
    prefs = Preferences(frozenset({"alerts"}), frozenset({"all"}))
    with store._table.batch_writer() as batch:
        for n in range(subscribers):
            email = f"resident{n}@example.net"
            digest = address_hash(email, KEY)
            batch.put_item(
                Item={
                    "PK": f"S#{digest}",
                    "SK": PROFILE,
                    "email": email,
                    "email_hash": digest,
                    "preferences": json.dumps(prefs.to_dict()),
                    "frequency": "immediate",
                    "confirmed_at": CONFIRMED,
                }
            )
            for partition in ("T#alerts", "T#alerts#W#all"):
                batch.put_item(Item={"PK": partition, "SK": f"S#{digest}"})


def planned_before(store: Any, manifest: Path) -> None:
    """Every item the site had before the alert, recorded as planned, as the runs of notify
    (or the planner) that followed its publishing would have left them."""
    for item in json.loads(manifest.read_bytes())["items"]:
        store.mark_planned(item["id"], item["revision"], datetime.now(UTC))


def wait_until_served(url: str, found: Callable[[float], None], stop: threading.Event) -> None:
    """Ask for ``url`` until it answers 200, then say when."""
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    found(time.time())
                    return
        except OSError:
            pass
        time.sleep(0.02)


def manifest_names(path: Path, item: str) -> bool:
    """Whether the notify manifest at ``path`` lists ``item`` (False while it is replaced)."""
    try:
        return any(i["id"] == item for i in json.loads(path.read_bytes())["items"])
    except (OSError, ValueError):
        return False


def embedded(work: Path, settings: str, subscribers: int, clock: Clock) -> dict[str, Any]:
    """Rebuild, serve, and notify over SMTP as soon as the manifest names the alert (as a
    systemd path unit on the manifest would start it); the stages' times."""
    site, db = work / "output", work / "subscribers.db"
    seed_sqlite(db, subscribers)
    planned_before(SqliteStore(db), site / MANIFEST)
    secret = work / "secret"
    secret.write_text(KEY.hex())  # the key the subscribers' address hashes were made with
    secret.chmod(0o600)
    port, smtp_port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SUBSCRIBER_STORE": f"sqlite:///{db}",
        "SUBSCRIBER_SECRET": f"file://{secret}",
        "SUBSCRIBER_MAILER": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": SITE,
    }
    server = subprocess.Popen(
        [*SERVE, "--site-dir", str(site), "--port", str(port)],
        env={**env, "SUBSCRIBER_STORE": f"sqlite:///{work / 'serve.db'}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    catcher = smtp_catcher(smtp_port)
    notify: list[subprocess.Popen[bytes]] = []

    def start_notify(stop: threading.Event) -> None:
        while not stop.is_set() and not manifest_names(site / MANIFEST, f"alerts/{SLUG}"):
            time.sleep(0.02)
        clock.mark("notify manifest live; notify started")
        command = [sys.executable, "-m", "subscriber_lambda", "notify", str(site / MANIFEST)]
        notify.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL))

    try:
        wait_for_port(port, "serve")
        stop = threading.Event()
        watchers = [
            threading.Thread(
                target=wait_until_served,
                args=(
                    f"http://127.0.0.1:{port}/alerts/{SLUG}/",
                    lambda at: clock.mark("alert page served", at),
                    stop,
                ),
            ),
            threading.Thread(target=start_notify, args=(stop,)),
        ]
        say("embedded: the officer adds the alert")
        for watcher in watchers:
            watcher.start()
        clock.begin()
        (work / "content" / "alerts" / f"{SLUG}.md").write_text(ALERT)
        report = rebuild(settings, site, str(work / "content"), work / "cache")
        clock.mark("rebuild done (every changed file replaced)")
        for watcher in watchers:
            watcher.join(timeout=60)
        stop.set()
        if notify[0].wait() not in (0, 75):
            raise SystemExit("notify failed")
        clock.mark("notify done")
        accepted, _ = catcher.communicate("")
        times = json.loads(accepted)
        clock.mark("first email accepted (SMTP)", times["first"])
        clock.mark("last email accepted (SMTP)", times["last"])
    finally:
        server.terminate()
        server.wait(timeout=10)
        if catcher.poll() is None:
            catcher.kill()
    return {
        "stages": dict(clock.marks),
        "accepted": times["count"],
        "files": {"changed": len(report.changed), "added": len(report.added)},
    }


class Timed:
    """A mailer that notes when each message was accepted."""

    def __init__(self, mailer: SesMailer) -> None:
        self.mailer, self.times = mailer, list[float]()

    def send(self, message: Message) -> None:
        self.mailer.send(message)
        self.times.append(time.time())


def parts(store: DynamoStore, mailer: Any, options: dict[str, Any], urls: dict[str, str]) -> Parts:
    s3 = boto3.client("s3", **options)

    def load(source: str) -> dict[str, Any]:
        bucket, _, key = source.removeprefix("s3://").partition("/")
        found: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return found

    notifier = Notifier(
        store,
        mailer,
        SqsQueue(urls, options),
        Links(Signer(KEY), SITE),
        SENDER,
        HOST,
        lambda: datetime.now(UTC),
    )
    return Parts(store, notifier, load, notifier.clock)


def work_queue(
    part: Parts, sqs: Any, url: str, mailer: Timed, wanted: int, stop: threading.Event
) -> None:
    """One worker: messages from the alerts queue until ``wanted`` emails are sent."""
    while len(mailer.times) < wanted and not stop.is_set():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = messages.get("Messages", [])
        if messages:
            worker(part, sqs_event(sqs_record(m["MessageId"], m["Body"]) for m in messages))
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(messages)
                ],
            )


class Aws:
    """The AWS path: S3, SQS and SES on moto's server, the store on DynamoDB Local."""

    def __init__(self, work: Path, settings: str, endpoints: tuple[str, dict[str, Any]]) -> None:
        dynamodb, self.options = endpoints
        for name, value in (
            ("AWS_ENDPOINT_URL", self.options["endpoint_url"]),
            ("AWS_ACCESS_KEY_ID", self.options["aws_access_key_id"]),
            ("AWS_SECRET_ACCESS_KEY", self.options["aws_secret_access_key"]),
            ("AWS_DEFAULT_REGION", self.options["region_name"]),
        ):
            os.environ[name] = value
        boto3.setup_default_session()
        boto3.client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        sqs = boto3.client("sqs", **self.options)
        lanes = ("alerts", "routine")
        self.urls = {lane: sqs.create_queue(QueueName=lane)["QueueUrl"] for lane in lanes}
        self.dynamo = {**self.options, "endpoint_url": dynamodb}
        self.store().create_table()
        self.work, self.settings = work, settings

    def store(self) -> DynamoStore:
        """A store of its own for each thread (boto3's resources are not shared safely)."""
        return DynamoStore("latency", self.dynamo)

    def publish(self, clock: Clock | None = None) -> dict[str, int]:
        """``make publish``'s build and upload; with ``clock``, the stages are timed."""
        names = {
            EARLY: "alert page in the bucket",
            STAGES[4]: "notify manifest in the bucket",
        }

        def progress(stage: str) -> None:
            if clock and stage in names and names[stage] not in clock.marks:
                clock.mark(names[stage])
            if clock and stage == STAGES[4]:
                self.deliver(clock)

        return build_and_publish(
            self.settings,
            str(self.work / "content"),
            BUCKET,
            dry_run=False,
            distribution=None,
            cache=self.work / "publish-cache",
            out=io.StringIO(),
            progress=progress,
        )

    def deliver(self, clock: Clock) -> None:
        """The S3 event on the manifest: the planner, and a worker taking what it plans,
        while the other pages go up."""
        self.mailer = Timed(SesMailer("noticeboard", self.options, max_rate=10_000))
        self.stop = threading.Event()

        def plan() -> None:
            planner = parts(self.store(), None, self.options, self.urls)
            plan_from_s3(planner, s3_created(BUCKET, MANIFEST))  # type: ignore[arg-type]
            clock.mark("planner done (every delivery on SQS)")

        self.threads = [
            threading.Thread(target=plan),
            threading.Thread(
                target=work_queue,
                args=(
                    parts(
                        DynamoStore("latency", self.dynamo), self.mailer, self.options, self.urls
                    ),
                    boto3.client("sqs", **self.options),
                    self.urls["alerts"],
                    self.mailer,
                    self.subscribers,
                    self.stop,
                ),
            ),
        ]
        for thread in self.threads:
            thread.start()

    def before(self, subscribers: int) -> None:
        """The subscribers, and the site before the alert in the bucket."""
        self.subscribers = subscribers
        say(f"aws: {subscribers:,} subscribers into DynamoDB Local; the site to S3")
        seed_dynamodb(self.store(), subscribers)
        self.publish()
        planned_before(self.store(), self.work / "output" / MANIFEST)

    def alert(self) -> dict[str, Any]:
        """The officer's alert (already in the content), published and delivered."""
        say("aws: publishing the alert")
        clock = Clock()
        clock.begin()
        uploaded = self.publish(clock)
        clock.mark("publish done (every changed file uploaded)")
        for thread in self.threads:
            thread.join(timeout=3600)
        self.stop.set()
        clock.mark("first email accepted (SES)", self.mailer.times[0])
        clock.mark("last email accepted (SES)", self.mailer.times[-1])
        return {"stages": dict(clock.marks), "emails": len(self.mailer.times), "files": uploaded}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--aws-subscribers", type=int, default=None, help="default: --subscribers")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "alert_latency.json"
    )
    args = parser.parse_args()
    aws_subscribers = args.aws_subscribers or args.subscribers
    work_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="alert-latency-", dir=work_dir) as folder:
        work = Path(folder)
        settings = work / "conf.py"
        settings.write_text(SETTINGS.format(root=str(ROOT), now=NOW))
        say(f"building a site of {args.items:,} items, the search index included")
        generate(work / "content", args.items)
        rebuild(str(settings), work / "output", str(work / "content"), work / "cache")
        with dynamodb_local() as dynamodb, moto_with_ses() as options:
            aws = Aws(work, str(settings), (dynamodb, options))
            aws.before(aws_subscribers)
            local = embedded(work, str(settings), args.subscribers, Clock())
            remote = aws.alert()
    result = {
        "items": args.items,
        "subscribers": args.subscribers,
        "aws_subscribers": aws_subscribers,
        "embedded": local,
        "aws": remote,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    e, a = local["stages"], remote["stages"]
    print(
        f"alert latency, {args.items:,} items: embedded page served {e['alert page served']} s, "
        f"first email {e['first email accepted (SMTP)']} s, last of {args.subscribers:,} "
        f"{e['last email accepted (SMTP)']} s; AWS page in S3 {a['alert page in the bucket']} s, "
        f"first email {a['first email accepted (SES)']} s, last of {aws_subscribers:,} "
        f"{a['last email accepted (SES)']} s ({args.out})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
