"""Every AWS API call the code makes through botocore, recorded: for the IAM policy test
(what each function calls must be allowed) and to count what a run costs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from botocore.client import BaseClient
from botocore.exceptions import ClientError


@dataclass(frozen=True)
class Call:
    service: str  # botocore's name for the API: dynamodb, sesv2, ses, s3, sqs, ssm
    operation: str  # as AWS names it: GetItem, SendEmail...
    params: dict[str, Any]  # as the code passed them (before boto3's own conversions)
    error: str | None = None  # the error code AWS answered with, if it did


@contextmanager
def recorded_calls() -> Iterator[list[Call]]:
    """The calls made inside the block, in order, from any client however it was made."""
    calls: list[Call] = []
    make_api_call = BaseClient._make_api_call

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        try:
            result = make_api_call(client, operation, params)
        except ClientError as error:
            calls.append(Call(service, operation, params, error.response["Error"]["Code"]))
            raise
        calls.append(Call(service, operation, params))
        return result

    with mock.patch.object(BaseClient, "_make_api_call", recording):
        yield calls


def tally(calls: list[Call]) -> dict[str, int]:
    """How many calls of each kind, e.g. {'dynamodb.Query': 2, 's3.GetObject': 1}."""
    return dict(Counter(f"{call.service}.{call.operation}" for call in calls))
