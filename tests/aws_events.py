"""Lambda events shaped as AWS sends them: API Gateway HTTP API (payload 2.0), S3, SQS and
SNS records."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

FORM = {"content-type": "application/x-www-form-urlencoded"}


def api_event(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as AWS sends it."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": "n.example.org",
            "x-forwarded-proto": "https",
            "x-forwarded-for": "203.0.113.9",
            **(headers or {}),
        },
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
            "domainName": "n.example.org",
            "stage": "$default",
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def s3_created(bucket: str, key: str) -> dict[str, Any]:
    """S3's ObjectCreated event for one object."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-2",
                "eventTime": "2026-11-28T12:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "notify",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": key, "size": 1024, "eTag": "x", "sequencer": "1"},
                },
            }
        ]
    }


def sqs_record(
    message_id: str, body: str, lane: str = "alerts", receive_count: int = 1
) -> dict[str, Any]:
    """One record of an SQS event; ``receive_count`` is how often SQS has handed it out."""
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1"},
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:eu-west-2:123456789012:{lane}",
        "awsRegion": "eu-west-2",
    }


def sqs_event(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}


def sns(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "m",
                    "TopicArn": "arn:aws:sns:eu-west-2:1:ses",
                    "Message": json.dumps(message),
                    "Timestamp": "2026-11-28T12:00:00.000Z",
                },
            }
        ]
    }
