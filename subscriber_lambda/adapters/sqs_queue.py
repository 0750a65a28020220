"""The queue on Amazon SQS: deliveries go to the lane's queue in batches (up to 50 in a
message, 10 messages a call) for workers. Alerts have a queue of their own, so they never
wait behind routine items."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

import boto3

from ..mail_jobs import MailJob

PER_MESSAGE = 50
PER_CALL = 10  # SendMessageBatch's limit
RETRIES = 3


def batched(items: Any, size: int) -> Iterator[tuple[Any, ...]]:
    """itertools.batched, which arrives in Python 3.12."""
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


class SqsQueue:
    def __init__(
        self, urls: Mapping[str, str], client_options: dict[str, Any] | None = None
    ) -> None:
        self._urls = dict(urls)
        self._sqs = boto3.client("sqs", **(client_options or {}))
        self.calls = 0

    def submit(
        self, lane: str, deliveries: Iterator[Any], worker: Callable[[Any], None], source: str
    ) -> int:
        url = self._urls.get(lane) or self._urls["routine"]
        count = 0
        messages = (
            json.dumps({"source": source, "deliveries": [d.to_list() for d in chunk]})
            for chunk in batched(deliveries, PER_MESSAGE)
        )
        for group in batched(messages, PER_CALL):
            entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(group)]
            self._send(url, entries)
            count += sum(len(json.loads(e["MessageBody"])["deliveries"]) for e in entries)
        return count

    def _send(self, url: str, entries: list[dict[str, str]]) -> None:
        for _ in range(RETRIES):
            self.calls += 1
            failed = self._sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
            if not failed:
                return
            ids = {f["Id"] for f in failed}
            entries = [e for e in entries if e["Id"] in ids]
        raise RuntimeError(f"SQS refused {len(entries)} messages after {RETRIES} tries")


class SqsJobs:
    """The routes' mail jobs on AWS: one SQS message each, on the routine lane, for the
    worker Lambda (``aws_lambda.worker``)."""

    def __init__(self, url: str, client_options: dict[str, Any] | None = None) -> None:
        self._url = url
        self._sqs = boto3.client("sqs", **(client_options or {}))

    def post(self, job: MailJob) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps({"job": job.to_dict()}))
