"""The store on DynamoDB: one table, for a council (or many) that outgrows one server.

Keys (PK, SK):
- ``S#{email_hash}``, ``PROFILE``: a confirmed subscriber (address, preferences).
- ``S#{email_hash}``, ``D#{item_id}#{revision}``: the sent-ledger; claimed with a
  conditional write, so two workers can never both send one revision to one subscriber.
  A row refused for now is 'deferred' (``attempts``, ``retry_after`` in UTC); one refused
  for good, or deferred too often, 'failed'.
  Index ``GSI1`` (``I#{item_id}``) finds who was sent an item (for its updates). The
  sparse index ``GSI2`` holds only the rows still to do: under ``DIGEST`` those waiting
  for a digest, under ``PENDING`` those still owed (claimed and not yet marked, or
  deferred), sorted by when they are due (the claim or the retry time, UTC), so that the
  sweeper finds the overdue ones with one query that reads nothing else.
- ``P#{item_id}``, ``PLANNED#{revision}``: every delivery of that revision has been
  handed to the queue.
- ``X#{email_hash}``, ``SUPPRESSED``: a suppressed address (keyed hash only).
- ``T#{topic}`` and ``T#{topic}#W#{ward}``, ``S#{email_hash}``: memberships, so that
  "confirmed subscribers of topic T in ward W" is one query (ward ``all`` for those who
  chose the whole district).
- ``R#{key}``, ``RATE``: a rate-limit window (``R#address:{email_hash}`` is an address's).
- ``S#{email_hash}``, ``CHANGED``: when the address's subscription last changed, so an
  older confirmation link changes nothing (``expires_at`` is the table's TTL attribute:
  DynamoDB deletes the note once every such link has expired anyway).
- ``C#{item}``, ``COUNTS``: how many of an item's emails were delivered, opened, clicked...

Deleting a subscriber deletes their profile, memberships, ledger rows (and with them
their entries in both indexes) and their address's rate limit; only ``X#`` stays.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from ..core.preferences import Preferences
from ..core.retry import CLAIM_LEASE, next_try, sortable
from ..ports import LedgerEntry, Owed, Subscriber, address_limit_key, newest_first

PROFILE, SUPPRESSED, RATE, CHANGED, PLANNED = "PROFILE", "SUPPRESSED", "RATE", "CHANGED", "PLANNED"
DIGEST, PENDING = "DIGEST", "PENDING"  # GSI2's partitions
BATCH_GET = 100  # BatchGetItem's limit


def _failed_condition(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


class DynamoStore:
    def __init__(self, table: str, client_options: dict[str, Any] | None = None) -> None:
        self._resource = boto3.resource("dynamodb", **(client_options or {}))
        self._table = self._resource.Table(table)
        self.table_name = table

    def create_table(self) -> None:
        """For tests and first runs; in production the SAM template creates the table."""
        index = [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": f"{name}PK", "KeyType": "HASH"},
                    {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name in ("GSI1", "GSI2")
        ]
        keys = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
        self._resource.create_table(
            TableName=self.table_name,
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
            GlobalSecondaryIndexes=index,
            BillingMode="PAY_PER_REQUEST",
        ).wait_until_exists()

    @staticmethod
    def _subscriber(item: dict[str, Any]) -> Subscriber:
        return Subscriber(
            id=str(item["email_hash"]),
            email=str(item["email"]),
            email_hash=str(item["email_hash"]),
            preferences=Preferences.from_dict(json.loads(str(item["preferences"]))),
            confirmed_at=datetime.fromisoformat(str(item["confirmed_at"])),
        )

    @staticmethod
    def _memberships(email_hash: str, preferences: Preferences) -> set[tuple[str, str]]:
        keys = set()
        for topic in preferences.topics:
            keys.add((f"T#{topic}", f"S#{email_hash}"))
            keys.update((f"T#{topic}#W#{ward}", f"S#{email_hash}") for ward in preferences.wards)
        return keys

    def _set_memberships(
        self, email_hash: str, old: Preferences | None, new: Preferences | None
    ) -> None:
        before = self._memberships(email_hash, old) if old else set()
        after = self._memberships(email_hash, new) if new else set()
        with self._table.batch_writer() as batch:
            for pk, sk in sorted(before - after):
                batch.delete_item(Key={"PK": pk, "SK": sk})
            for pk, sk in sorted(after - before):
                batch.put_item(Item={"PK": pk, "SK": sk})

    def save_subscriber(
        self, email: str, email_hash: str, preferences: Preferences, now: datetime
    ) -> Subscriber:
        previous = self.subscriber_by_hash(email_hash)
        self._table.update_item(
            Key={"PK": f"S#{email_hash}", "SK": PROFILE},
            UpdateExpression=(
                "SET email = :e, email_hash = :h, preferences = :p, frequency = :f, "
                "confirmed_at = if_not_exists(confirmed_at, :now)"
            ),
            ExpressionAttributeValues={
                ":e": email,
                ":h": email_hash,
                ":p": json.dumps(preferences.to_dict()),
                ":f": preferences.frequency,
                ":now": now.isoformat(),
            },
        )
        self._set_memberships(email_hash, previous.preferences if previous else None, preferences)
        found = self.subscriber_by_hash(email_hash)
        assert found is not None
        return found

    def _pages(self, call: Any, **options: Any) -> Iterator[dict[str, Any]]:
        """Every item a query or scan finds, page after page."""
        while True:
            page = call(**options)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            options["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _members(self, partition: str) -> Iterator[str]:
        items = self._pages(self._table.query, KeyConditionExpression=Key("PK").eq(partition))
        return (str(item["SK"]).removeprefix("S#") for item in items)

    def candidates(
        self, topic: str, wards: Iterable[str] | None, also: Iterable[str]
    ) -> Iterator[Subscriber]:
        """One query per ward (and one for 'all'), or one for the topic when district-wide."""
        if wards is None:
            hashes = set(self._members(f"T#{topic}"))
        else:
            hashes = {h for ward in {*wards, "all"} for h in self._members(f"T#{topic}#W#{ward}")}
        for email_hash in sorted(hashes | set(also)):
            subscriber = self.subscriber_by_hash(email_hash)
            if subscriber is not None:
                yield subscriber

    def subscriber_by_hash(self, email_hash: str) -> Subscriber | None:
        item = self._table.get_item(
            Key={"PK": f"S#{email_hash}", "SK": PROFILE}, ConsistentRead=True
        ).get("Item")
        return self._subscriber(item) if item else None

    def subscribers(self) -> Iterator[Subscriber]:
        items = self._pages(self._table.scan, FilterExpression=Attr("SK").eq(PROFILE))
        return (self._subscriber(item) for item in items)

    def _partition(self, partition: str, sort_prefix: str = "") -> Iterator[dict[str, Any]]:
        condition = Key("PK").eq(partition)
        if sort_prefix:
            condition = condition & Key("SK").begins_with(sort_prefix)
        return self._pages(self._table.query, KeyConditionExpression=condition, ConsistentRead=True)

    def delete_subscriber(self, email_hash: str) -> bool:
        """The profile goes last, so a run that stops half-way can simply be repeated."""
        previous = self.subscriber_by_hash(email_hash)
        if previous is not None:
            self._set_memberships(email_hash, previous.preferences, None)
        with self._table.batch_writer() as batch:
            for item in self._partition(f"S#{email_hash}"):
                if item["SK"] != PROFILE:
                    batch.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
            batch.delete_item(Key={"PK": f"R#{address_limit_key(email_hash)}", "SK": RATE})
        try:
            self._table.delete_item(
                Key={"PK": f"S#{email_hash}", "SK": PROFILE},
                ConditionExpression=Attr("PK").exists(),
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def deliveries_of(self, email_hash: str) -> list[LedgerEntry]:
        entries = []
        for item in self._partition(f"S#{email_hash}", "D#"):
            item_id, _, revision = str(item["SK"]).removeprefix("D#").rpartition("#")
            entries.append(
                LedgerEntry(
                    item_id,
                    revision,
                    str(item["state"]),
                    datetime.fromisoformat(str(item["updated_at"])),
                )
            )
        return newest_first(entries)

    def claim(self, subscriber_id: str, item_id: str, revision: str, now: datetime) -> bool:
        key = {"PK": f"S#{subscriber_id}", "SK": f"D#{item_id}#{revision}"}
        try:
            self._table.put_item(
                Item={
                    **key,
                    "state": "pending",
                    "updated_at": sortable(now),
                    "GSI2PK": PENDING,
                    "GSI2SK": sortable(now),
                },
                ConditionExpression=Attr("PK").not_exists(),
            )
            return True
        except ClientError as error:
            if not _failed_condition(error):
                raise
        existing = self._table.get_item(Key=key, ConsistentRead=True).get("Item", {})
        if existing.get("state") == "deferred" and str(existing["retry_after"]) <= sortable(now):
            return self._claim_retry(key, now)
        if existing.get("state") == "pending":  # another worker's, unless its lease ran out
            return self._update_if(
                key,
                "SET updated_at = :now",
                "#state = :pending AND updated_at <= :stale",
                {
                    ":pending": "pending",
                    ":now": sortable(now),
                    ":stale": sortable(now - CLAIM_LEASE),
                },
            )
        return False

    def _claim_retry(self, key: dict[str, str], now: datetime) -> bool:
        """A deferred row whose time has come back to 'pending', unless another worker
        just did so (then that worker sends it)."""
        return self._update_if(
            key,
            "SET #state = :pending, updated_at = :now, GSI2SK = :now",
            "#state = :deferred AND retry_after <= :now",
            {":pending": "pending", ":deferred": "deferred", ":now": sortable(now)},
        )

    def _update_if(
        self, key: dict[str, str], update: str, condition: str, values: dict[str, str]
    ) -> bool:
        """Update a ledger row if the condition holds; False if it did not (another
        worker got there first)."""
        try:
            self._table.update_item(
                Key=key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as error:
            if not _failed_condition(error):
                raise
        return False

    def mark(
        self,
        subscriber_id: str,
        item_id: str,
        revision: str,
        state: str,
        now: datetime,
        details: dict[str, str] | None = None,
    ) -> None:
        values: dict[str, Any] = {":s": state, ":u": now.isoformat()}
        expression = "SET #state = :s, updated_at = :u"
        if state == "sent":
            expression += ", GSI1PK = :i, GSI1SK = :who REMOVE GSI2PK, GSI2SK, details"
            values.update({":i": f"I#{item_id}", ":who": subscriber_id})
        elif state == "failed":
            expression += " REMOVE GSI2PK, GSI2SK"
        elif state == "digest":
            expression += ", GSI2PK = :g, GSI2SK = :order, details = :d"
            values.update(
                {
                    ":g": DIGEST,
                    ":order": f"{subscriber_id}#{now.isoformat()}#{item_id}",
                    ":d": json.dumps(details or {}),
                }
            )
        self._table.update_item(
            Key={"PK": f"S#{subscriber_id}", "SK": f"D#{item_id}#{revision}"},
            UpdateExpression=expression,
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=values,
        )

    def defer(
        self,
        subscriber_id: str,
        item_id: str,
        revision: str,
        now: datetime,
        count_attempt: bool = True,
    ) -> datetime | None:
        key = {"PK": f"S#{subscriber_id}", "SK": f"D#{item_id}#{revision}"}
        try:
            counted = self._table.update_item(
                Key=key,
                UpdateExpression="ADD attempts :n",
                ConditionExpression=Attr("PK").exists(),
                ExpressionAttributeValues={":n": int(count_attempt)},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if _failed_condition(error):
                return None  # forgotten meanwhile (unsubscribed): nothing to try again
            raise
        retry = next_try(int(counted["Attributes"]["attempts"]), now) if count_attempt else now
        if retry is None:
            self.mark(subscriber_id, item_id, revision, "failed", now)
            return None
        self._table.update_item(
            Key=key,
            UpdateExpression=(
                "SET #state = :s, retry_after = :r, updated_at = :u, GSI2PK = :g, GSI2SK = :r"
            ),
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":s": "deferred",
                ":r": sortable(retry),
                ":u": now.isoformat(),
                ":g": PENDING,
            },
        )
        return retry

    def _query_index(
        self, index: str, partition: str, due_by: str | None = None
    ) -> Iterator[dict[str, Any]]:
        condition = Key(f"{index}PK").eq(partition)
        if due_by is not None:
            condition = condition & Key(f"{index}SK").lte(due_by)
        return self._pages(self._table.query, IndexName=index, KeyConditionExpression=condition)

    def overdue(self, before: datetime) -> Iterator[Owed]:
        for row in self._query_index("GSI2", PENDING, due_by=sortable(before)):
            email_hash = str(row["PK"]).removeprefix("S#")
            item_id, _, revision = str(row["SK"]).removeprefix("D#").rpartition("#")
            yield Owed(email_hash, email_hash, item_id, revision)

    def mark_planned(self, item_id: str, revision: str, now: datetime) -> None:
        self._table.put_item(Item={**self._plan_key(item_id, revision), "at": now.isoformat()})

    @staticmethod
    def _plan_key(item_id: str, revision: str) -> dict[str, str]:
        return {"PK": f"P#{item_id}", "SK": f"{PLANNED}#{revision}"}

    def planned(self, revisions: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """BatchGetItem, a hundred at a time."""
        keys = [self._plan_key(*revision) for revision in sorted(set(revisions))]
        found: set[tuple[str, str]] = set()
        for start in range(0, len(keys), BATCH_GET):
            wanted: dict[str, Any] = {"Keys": keys[start : start + BATCH_GET]}
            while wanted:
                answer = self._resource.batch_get_item(RequestItems={self.table_name: wanted})
                found.update(
                    (str(item["PK"]).removeprefix("P#"), str(item["SK"]).split("#", 1)[1])
                    for item in answer["Responses"].get(self.table_name, [])
                )
                wanted = answer.get("UnprocessedKeys", {}).get(self.table_name, {})
        return found

    def recipients_of(self, item_id: str) -> set[str]:
        return {str(item["GSI1SK"]) for item in self._query_index("GSI1", f"I#{item_id}")}

    def digest_due(self, frequency: str) -> Iterator[tuple[Subscriber, list[dict[str, str]]]]:
        waiting: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in self._query_index("GSI2", DIGEST):
            subscriber_id = str(row["PK"]).removeprefix("S#")
            item_id, _, revision = str(row["SK"]).removeprefix("D#").rpartition("#")
            waiting[subscriber_id].append(
                {**json.loads(str(row["details"])), "item_id": item_id, "revision": revision}
            )
        for subscriber_id, items in sorted(waiting.items()):
            subscriber = self.subscriber_by_hash(subscriber_id)
            if subscriber and subscriber.preferences.frequency == frequency:
                yield subscriber, items

    def count_event(self, item_tag: str, kind: str) -> None:
        self._table.update_item(
            Key={"PK": f"C#{item_tag}", "SK": "COUNTS"},
            UpdateExpression="ADD #kind :one",
            ExpressionAttributeNames={"#kind": kind},
            ExpressionAttributeValues={":one": 1},
        )

    def event_counts(self, item_tag: str) -> dict[str, int]:
        item = self._table.get_item(Key={"PK": f"C#{item_tag}", "SK": "COUNTS"}).get("Item", {})
        return {k: int(v) for k, v in item.items() if k not in ("PK", "SK")}

    def is_suppressed(self, email_hash: str) -> bool:
        return "Item" in self._table.get_item(Key={"PK": f"X#{email_hash}", "SK": SUPPRESSED})

    def suppress(self, email_hash: str, reason: str, now: datetime) -> None:
        self._table.put_item(
            Item={
                "PK": f"X#{email_hash}",
                "SK": SUPPRESSED,
                "reason": reason,
                "at": now.isoformat(),
            }
        )
        self.delete_subscriber(email_hash)

    def note_change(self, email_hash: str, now: datetime, keep_until: datetime) -> None:
        self._table.put_item(
            Item={
                "PK": f"S#{email_hash}",
                "SK": CHANGED,
                "changed_at": int(now.timestamp() * 1_000_000),
                "expires_at": int(keep_until.timestamp()),
            }
        )

    def changed_since(self, email_hash: str, moment: datetime) -> bool:
        item = self._table.get_item(
            Key={"PK": f"S#{email_hash}", "SK": CHANGED}, ConsistentRead=True
        ).get("Item")
        return item is not None and int(item["changed_at"]) >= int(moment.timestamp() * 1_000_000)

    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
        moment = int(now.timestamp())
        item_key = {"PK": f"R#{key}", "SK": RATE}
        try:  # within the window and under the limit: count it
            self._table.update_item(
                Key=item_key,
                UpdateExpression="ADD #count :one",
                ConditionExpression="window_start > :cutoff AND #count < :limit",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={
                    ":one": 1,
                    ":cutoff": moment - window_seconds,
                    ":limit": limit,
                },
            )
            return True
        except ClientError as error:
            if not _failed_condition(error):
                raise
        try:  # no window, or an old one: start a new window
            self._table.put_item(
                Item={**item_key, "window_start": moment, "count": 1},
                ConditionExpression="attribute_not_exists(PK) OR window_start <= :cutoff",
                ExpressionAttributeValues={":cutoff": moment - window_seconds},
            )
            return True
        except ClientError as error:
            if not _failed_condition(error):
                raise
        return False
