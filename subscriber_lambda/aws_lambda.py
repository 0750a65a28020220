"""AWS Lambda handlers, thin adapters over the same core as the embedded server.

- ``http``: API Gateway HTTP API (payload v2) -> the subscription routes: the same ASGI
  application as the embedded server, run by Mangum.
- ``publish``: S3 ObjectCreated on the notify manifest -> plan the fan-out onto SQS.
- ``worker``: SQS batch -> send deliveries, and the routes' mail jobs (confirmations,
  manage links); reports partial batch failures (poisoned messages end in the dead-letter
  queue after the queue's maxReceiveCount). A refused or deferred address is the ledger's
  business, not a failure; when SES is unavailable the message, and the rest of the batch
  untried, are failures, so SQS brings them back later. A message handed out again has
  its deliveries claimed in the ledger before any is sent.
- ``ses_events``: SNS notifications of SES events -> suppress hard bounces and complaints,
  and count each event against its item's reach (deliveries, delays, bounces, complaints,
  and opens and clicks where the configuration set tracks them).
- ``digest``: an EventBridge schedule -> daily or weekly summaries (an error when some
  could not go, so that Lambda tries the event again: only what still waits is sent).
- ``reminders``: an EventBridge schedule at 18:00 London time -> bin-day reminders for
  tomorrow's collections (an error when some could not go, so that Lambda tries the event
  again: the ledger sends each reminder once).
- ``sweep``: every 15 minutes -> plan the items never planned, and queue again what the
  ledger has owed for longer than SQS retries (ADR 18).
Every handler is safe to run twice on the same event: the ledger decides what is sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from .core.addresses import AddressError, address_hash, normalise_address
from .core.reach import item_of_tag, ses_counter
from .digest import Digester
from .feedback import take_feedback
from .mail_jobs import MailJob, MailJobs
from .notify import Delivery, Notifier, NotifyReport
from .ports import ProviderUnavailable, Store
from .reminders import Reminders, london_today
from .social import SocialPoster

logger = logging.getLogger(__name__)

# How long SQS keeps bringing a failed message back: its VisibilityTimeout (6 minutes) times
# its maxReceiveCount (5) in template.yaml. The sweeper leaves owed deliveries to SQS until
# then, so that it never hands out a message SQS is about to hand out again.
SQS_GIVES_UP_AFTER = timedelta(minutes=30)


class Components(Protocol):
    """What the handlers need. In production ``aws_entry.FromEnvironment`` builds each part
    the first time a handler uses it, so that each function makes only the AWS calls its
    own work needs, and its policy in template.yaml grants only those."""

    @property
    def store(self) -> Store: ...

    @property
    def notifier(self) -> Notifier: ...

    @property
    def mail_jobs(self) -> MailJobs: ...

    @property
    def digester(self) -> Digester: ...

    @property
    def reminders(self) -> Reminders: ...

    @property
    def key(self) -> bytes: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def load_manifest(self) -> Callable[[str], dict[str, Any]]: ...

    @property
    def social(self) -> SocialPoster | None:
        """The council's accounts: only the publishing function posts."""


def publish(components: Components, event: Mapping[str, Any]) -> dict[str, int]:
    planned = 0
    for record in event.get("Records", []):
        bucket, key = record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]
        source = f"s3://{bucket}/{key}"
        notifier = replace(components.notifier, social=components.social)
        report = notifier.run(components.load_manifest(source), source)
        planned += report.items
    return {"items": planned}


def worker(components: Components, event: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    failures = []
    manifests: dict[str, dict[str, Any]] = {}
    report = NotifyReport()
    unavailable: ProviderUnavailable | None = None
    for record in event.get("Records", []):
        if unavailable is not None:  # SES is down: leave the rest for SQS to bring back
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        try:
            body = json.loads(record["body"])
            if "job" in body:  # a confirmation or manage link the routes asked for
                components.mail_jobs.run(MailJob.from_dict(body["job"]))
                continue
            source = body["source"]
            if source not in manifests:
                manifests[source] = {i["id"]: i for i in components.load_manifest(source)["items"]}
            again = handed_out_before(record)
            deliver_message(components, manifests[source], body["deliveries"], report, again)
        except ProviderUnavailable as error:
            unavailable = error
            failures.append({"itemIdentifier": record["messageId"]})
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    if unavailable is not None:
        logger.warning(
            "worker: mail system unavailable, %d messages to retry: %s", len(failures), unavailable
        )
    return {"batchItemFailures": failures}


def handed_out_before(record: Mapping[str, Any]) -> bool:
    """Whether SQS has handed this message out before (a worker failed on it)."""
    return int(record.get("attributes", {}).get("ApproximateReceiveCount", 1)) > 1


def deliver_message(
    components: Components,
    items: Mapping[str, Mapping[str, Any]],
    listed: list[list[str]],
    report: NotifyReport,
    again: bool,
) -> None:
    """One message's deliveries. A message SQS brings back ``again`` has its deliveries
    claimed in the ledger first: should SQS give up on it (the dead-letter queue), the
    ledger still shows them owed, and the sweeper sends them."""
    deliveries = [Delivery.from_list(values) for values in listed]
    if again:
        deliveries = [components.notifier.hold(items, delivery) for delivery in deliveries]
    for delivery in deliveries:
        components.notifier.deliver(items, report, delivery)


def ses_events(components: Components, event: Mapping[str, Any]) -> dict[str, int]:
    suppressed = 0
    for record in event.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        kind = str(message.get("eventType") or message.get("notificationType"))
        if kind == "Bounce" and message["bounce"].get("bounceType") == "Permanent":
            recipients = [r["emailAddress"] for r in message["bounce"]["bouncedRecipients"]]
        elif kind == "Complaint":
            recipients = [r["emailAddress"] for r in message["complaint"]["complainedRecipients"]]
        else:
            recipients = []
        hashes = []
        for address in recipients:
            try:
                hashes.append(address_hash(normalise_address(address), components.key))
            except AddressError:
                continue
        tags = message.get("mail", {}).get("tags", {}).get("item", [])  # one: the worker's
        item_id = item_of_tag(tags[0]) if tags else None
        counter, reason = ses_counter(message), kind.lower()
        suppressed += take_feedback(
            components.store, components.clock(), item_id, counter, hashes, reason
        )
    return {"suppressed": suppressed}


def sweep(components: Components, event: Mapping[str, Any]) -> dict[str, int]:
    """On a schedule: plan the latest manifest's items that no run finished planning (an
    S3 event that never came, a publish that died), and hand the queue again what the
    ledger has owed for longer than SQS keeps trying (a worker that died, a message SQS
    gave up on). When there is neither, it reads the manifest, the items' planned records
    and the ledger's index of owed rows: a few calls, whatever the number of subscribers."""
    source = str(event["manifest"])
    manifest = components.load_manifest(source)
    notifier = components.notifier
    unplanned = notifier.unplanned(manifest["items"])
    if unplanned:
        notifier.run({"items": unplanned}, source)
    overdue = components.clock() - SQS_GIVES_UP_AFTER
    return {"planned": len(unplanned), "requeued": notifier.requeue(manifest, source, overdue)}


def digest(components: Components, event: Mapping[str, Any]) -> dict[str, int]:
    report = components.digester.run(str(event.get("frequency", "daily")))
    if report.exit_status:
        stopped = f"; stopped: {report.stopped}" if report.stopped else ""
        raise RuntimeError(f"{report.summary()}{stopped}")
    return {"sent": report.sent, "suppressed": report.suppressed}


def reminders(components: Components, event: Mapping[str, Any]) -> dict[str, Any]:
    """The collections of the day after ``on`` (an event may name it, to send a missed
    evening's again; by default today in London)."""
    on = event.get("on")
    day = date.fromisoformat(str(on)) if on else london_today(components.clock())
    report = components.reminders.run(day)
    if report.exit_status:
        stopped = f"; stopped: {report.stopped}" if report.stopped else ""
        raise RuntimeError(f"{report.summary()}{stopped}")
    return {"day": str(report.day), "sent": report.sent, "texts": report.texts}


HANDLERS: dict[str, Callable[[Components, Mapping[str, Any]], Any]] = {
    "publish": publish,
    "worker": worker,
    "ses_events": ses_events,
    "digest": digest,
    "reminders": reminders,
    "sweep": sweep,
}
