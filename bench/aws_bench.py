"""The fan-out on AWS: time to plan a 100,000-subscriber fan-out onto SQS (moto's server on
127.0.0.1), and the AWS API calls and Lambda invocations per 1,000 recipients.

The subscriber store for planning is SQLite here (the planner reads it once, streamed); the
SQS calls are real HTTP calls to moto. Calls per recipient for the workers are counted from
a worker run against DynamoDB Local with SES stubbed out.

The sweeper's cost, every 15 minutes, is counted on DynamoDB Local with --sweep-subscribers
(default 1,000) subscribers, every delivery made: the AWS calls of re-planning the whole
manifest (what the sweeper used to do), and those of the workers re-checking what it
re-queued, against the calls of a quiet sweep now.

    python bench/aws_bench.py --subscribers 100000 --sweep-subscribers 1000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.notify_bench import SETUP, manifest  # noqa: E402
from subscriber_lambda.adapters.dynamodb_store import DynamoStore  # noqa: E402
from subscriber_lambda.adapters.sqlite_store import SqliteStore  # noqa: E402
from subscriber_lambda.adapters.sqs_queue import PER_CALL, PER_MESSAGE, SqsQueue  # noqa: E402
from subscriber_lambda.aws_lambda import publish, sweep, worker  # noqa: E402
from subscriber_lambda.core.addresses import address_hash  # noqa: E402
from subscriber_lambda.core.preferences import Preferences  # noqa: E402
from subscriber_lambda.core.tokens import Signer  # noqa: E402
from subscriber_lambda.notify import Links, Notifier  # noqa: E402
from tests.aws_calls import recorded_calls, tally  # noqa: E402
from tests.aws_events import s3_created, sqs_event, sqs_record  # noqa: E402
from tests.dynamodb_local import dynamodb_local  # noqa: E402
from tests.moto_server import CREDENTIALS, moto_server  # noqa: E402

WORKER_BATCH = 10  # the SQS event source's BatchSize in template.yaml
KEY = b"k" * 32


class Counter:
    """A mailer that only counts."""

    sent = 0

    def send(self, message: Message) -> None:
        self.sent += 1


@dataclass
class Parts:
    """What the publish, worker and sweep handlers use of ``aws_lambda.Components``."""

    store: DynamoStore
    notifier: Notifier
    load_manifest: Callable[[str], dict[str, Any]]
    clock: Callable[[], datetime]
    social: None = None  # no social accounts


def drain(parts: Parts, sqs: Any, urls: dict[str, str]) -> None:
    """Workers take every message waiting on the queues."""
    for url in urls.values():
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            worker(parts, sqs_event(sqs_record(m["MessageId"], m["Body"]) for m in messages))
            for m in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def sweep_costs(options: dict[str, Any], data: Path, subscribers: int) -> dict[str, Any]:
    """AWS calls of one sweep, re-planning everything (as it was) and quiet (as it is)."""
    s3, sqs = boto3.client("s3", **options), boto3.client("sqs", **options)
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_object(Bucket="site", Key="api/v1/notify.json", Body=data.read_bytes())
    lanes = ("alerts", "routine")
    urls = {lane: sqs.create_queue(QueueName=f"sweep-{lane}")["QueueUrl"] for lane in lanes}
    source = "s3://site/api/v1/notify.json"

    def load(source: str) -> dict[str, Any]:
        bucket, _, key = source.removeprefix("s3://").partition("/")
        loaded: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return loaded

    with dynamodb_local() as endpoint:
        store = DynamoStore("sweep", {"endpoint_url": endpoint, **CREDENTIALS})
        store.create_table()
        everywhere = Preferences(frozenset({"alerts"}), frozenset({"all"}))
        then = datetime(2026, 1, 1, tzinfo=UTC)
        for n in range(subscribers):
            address = f"resident{n}@example.net"
            store.save_subscriber(address, address_hash(address, KEY), everywhere, then)
        notifier = Notifier(
            store,
            Counter(),
            SqsQueue(urls, options),
            Links(Signer(KEY), "https://x"),
            "C <c@x>",
            "x",
            lambda: datetime.now(UTC),
        )
        parts = Parts(store, notifier, load, notifier.clock)
        publish(parts, s3_created("site", "api/v1/notify.json"))  # type: ignore[arg-type]
        drain(parts, sqs, urls)  # every delivery made
        with recorded_calls() as replanning:
            notifier.run(load(source), source)
        with recorded_calls() as rechecking:
            drain(parts, sqs, urls)
        with recorded_calls() as quiet:
            sweep(parts, {"manifest": source})  # type: ignore[arg-type]
    return {
        "subscribers": subscribers,
        "replanning_everything": {
            "planner_calls": len(replanning),
            # the workers' own calls, not the bench's receiving and deleting SQS messages
            "worker_calls": len([c for c in rechecking if c.service != "sqs"]),
        },
        "quiet_sweep_calls": tally(quiet),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--sweep-subscribers", type=int, default=1_000)
    args = parser.parse_args()
    work_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with (
        tempfile.TemporaryDirectory(prefix="aws-bench-", dir=work_dir) as work,
        moto_server() as endpoint,
    ):
        db, data = Path(work) / "subscribers.db", Path(work) / "notify.json"
        manifest(data)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [sys.executable, "-c", SETUP, str(db), str(args.subscribers)], env=env, check=True
        )
        options = {"endpoint_url": endpoint, **CREDENTIALS}
        sqs = boto3.client("sqs", **options)
        urls = {
            lane: sqs.create_queue(QueueName=lane)["QueueUrl"] for lane in ("alerts", "routine")
        }
        queue = SqsQueue(urls, options)
        notifier = Notifier(
            SqliteStore(db),
            mailer=None,
            queue=queue,  # type: ignore[arg-type]
            links=Links(Signer(KEY), "https://x"),
            sender="C <c@x>",
            host="x",
            clock=lambda: datetime.now(UTC),
        )
        started = time.perf_counter()
        notifier.run(json.loads(data.read_text()), "s3://site/api/v1/notify.json")
        seconds = time.perf_counter() - started
        messages = -(-args.subscribers // PER_MESSAGE)
        sweeping = sweep_costs(options, data, args.sweep_subscribers)
    per_thousand = {
        "sqs_send_message_batch_calls": round(1000 / (PER_MESSAGE * PER_CALL), 1),
        "sqs_messages": 1000 // PER_MESSAGE,
        "worker_lambda_invocations": round(1000 / (PER_MESSAGE * WORKER_BATCH), 1),
        "ses_send_email_calls": 1000,
        "dynamodb_calls": 3000,  # per recipient: get subscriber, claim (conditional put), mark sent
    }
    print(
        json.dumps(
            {
                "subscribers": args.subscribers,
                "plan_seconds": round(seconds, 1),
                "sqs_calls_made": queue.calls,
                "sqs_messages": messages,
                "per_1000_recipients": per_thousand,
                "sweep": sweeping,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
