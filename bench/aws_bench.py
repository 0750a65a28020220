"""The fan-out on AWS: time to plan a 100,000-subscriber fan-out onto SQS (moto's server on
127.0.0.1), and the AWS API calls and Lambda invocations per 1,000 recipients.

The subscriber store for planning is SQLite here (the planner reads it once, streamed); the
SQS calls are real HTTP calls to moto. Calls per recipient for the workers are counted from
a worker run against DynamoDB Local with SES stubbed out.

    python bench/aws_bench.py --subscribers 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.notify_bench import SETUP, manifest  # noqa: E402
from subscriber_lambda.adapters.sqlite_store import SqliteStore  # noqa: E402
from subscriber_lambda.adapters.sqs_queue import PER_CALL, PER_MESSAGE, SqsQueue  # noqa: E402
from subscriber_lambda.core.tokens import Signer  # noqa: E402
from subscriber_lambda.notify import Links, Notifier  # noqa: E402
from tests.moto_server import CREDENTIALS, moto_server  # noqa: E402

WORKER_BATCH = 10  # the SQS event source's BatchSize in template.yaml


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100_000)
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
            links=Links(Signer(b"k" * 32), "https://x"),
            sender="C <c@x>",
            host="x",
            clock=lambda: datetime.now(UTC),
        )
        started = time.perf_counter()
        notifier.run(json.loads(data.read_text()), "s3://site/api/v1/notify.json")
        seconds = time.perf_counter() - started
        messages = -(-args.subscribers // PER_MESSAGE)
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
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
