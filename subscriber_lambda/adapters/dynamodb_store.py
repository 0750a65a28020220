"""The store on DynamoDB: one table, for a council (or many) that outgrows one server.

Keys (PK, SK):
- ``S#{email_hash}``, ``PROFILE``: a confirmed subscriber (address, preferences; their
  confirmed mobile number: ``phone``, ``phone_hash``, ``stop_code``,
  ``phone_confirmed_at``; a number waiting for its code: ``waiting_phone``,
  ``waiting_phone_hash``, ``waiting_stop_code``, ``code_hash``, ``code_expires``,
  ``code_attempts``). ``N#{phone_hash}``, ``PHONE`` and ``Q#{stop_code}``, ``STOP`` find
  the subscriber who confirmed a number, and that of a stop link (written when the code
  is typed, so that typing a stranger's number takes nothing from them).
- ``S#{email_hash}``, ``D#{item_id}#{revision}``: the sent-ledger of emails, and
  ``D:{channel}#{item_id}#{revision}`` that of another channel (texts); claimed with a
  conditional write, so two workers can never both send one revision to one subscriber
  on one channel. Rows written before channels existed are emails' already, so no
  migration is needed.
  A row refused for now is 'deferred' (``attempts``, ``retry_after`` in UTC); one refused
  for good, or deferred too often, 'failed'.
  Index ``GSI1`` (``I#{item_id}``, or ``I#{item_id}#{channel}``) finds who was sent an
  item on a channel (for its updates). The
  sparse index ``GSI2`` holds only the rows still to do: under ``DIGEST`` those waiting
  for a digest, under ``PENDING`` those still owed (claimed and not yet marked, or
  deferred), sorted by when they are due (the claim or the retry time, UTC), so that the
  sweeper finds the overdue ones with one query that reads nothing else.
- ``P#{item_id}``, ``PLANNED#{revision}``: every delivery of that revision has been
  handed to the queue.
- ``POST#{network}#{item_id}``, ``R#{revision}``: the council's post of that revision on
  a social network (claimed, then ``posted`` with its ``ref``).
- ``X#{email_hash}``, ``SUPPRESSED``: a suppressed address (keyed hash only).
- ``T#{topic}`` and ``T#{topic}#W#{ward}``, ``S#{email_hash}``: memberships, so that
  "confirmed subscribers of topic T in ward W" is one query (ward ``all`` for those who
  chose the whole district).
- ``R#{key}``, ``RATE``: a rate-limit window (``R#address:{email_hash}`` is an address's).
- ``S#{email_hash}``, ``CHANGED``: when the address's subscription last changed, so an
  older confirmation link changes nothing (``expires_at`` is the table's TTL attribute:
  DynamoDB deletes the note once every such link has expired anyway).
- ``REACH``, ``{day}#{channel}#{subject}``: the reach counters (ADR 25) of an item (or of
  subscriptions) on a channel on a London day, as ``n_{counter}`` attributes, with the
  day's ``first_sent`` and ``last_sent``: one partition, so the report reads it with one
  query from the day it starts. (``C#{item}``, ``COUNTS`` rows, the mail events' counts
  of earlier versions, with neither day nor channel, are no longer read.)

Deleting a subscriber deletes their profile, memberships, ledger rows (and with them
their entries in both indexes) and their address's rate limit; only ``X#`` stays.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from ..core.phones import CODE_ATTEMPTS
from ..core.preferences import Preferences
from ..core.reach import Tally
from ..core.retry import CLAIM_LEASE, next_try, sortable
from ..ports import (
    EMAIL,
    LedgerEntry,
    Owed,
    Phone,
    PostRef,
    Subscriber,
    address_limit_key,
    newest_first,
)

PROFILE, SUPPRESSED, RATE, CHANGED, PLANNED = "PROFILE", "SUPPRESSED", "RATE", "CHANGED", "PLANNED"
DIGEST, PENDING = "DIGEST", "PENDING"  # GSI2's partitions
REACH, COUNTER = "REACH", "n_"  # the reach counters' partition, and their names' prefix
BATCH_GET = 100  # BatchGetItem's limit


CONFIRMED_PHONE = ("phone", "phone_hash", "stop_code", "phone_confirmed_at")
WAITING_PHONE = (
    "waiting_phone", "waiting_phone_hash", "waiting_stop_code", "code_hash", "code_expires",
    "code_attempts",
)  # fmt: skip


def ledger_key(subscriber_id: str, item_id: str, revision: str, channel: str) -> dict[str, str]:
    prefix = "D#" if channel == EMAIL else f"D:{channel}#"
    return {"PK": f"S#{subscriber_id}", "SK": f"{prefix}{item_id}#{revision}"}


def ledger_row(sort_key: str) -> tuple[str, str, str]:
    """(channel, item_id, revision) of a ledger row's sort key."""
    head, _, rest = sort_key.partition("#")
    channel = head.removeprefix("D:") if head.startswith("D:") else EMAIL
    item_id, _, revision = rest.rpartition("#")
    return channel, item_id, revision


def sent_index(item_id: str, channel: str) -> str:
    return f"I#{item_id}" if channel == EMAIL else f"I#{item_id}#{channel}"


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
        phone = waiting = None
        if "phone" in item:
            confirmed = datetime.fromisoformat(str(item["phone_confirmed_at"]))
            phone = Phone(
                str(item["phone"]), str(item["phone_hash"]), str(item["stop_code"]), confirmed
            )
        if "waiting_phone" in item:
            waiting = Phone(
                str(item["waiting_phone"]),
                str(item["waiting_phone_hash"]),
                str(item["waiting_stop_code"]),
                None,
            )
        return Subscriber(
            id=str(item["email_hash"]),
            email=str(item["email"]),
            email_hash=str(item["email_hash"]),
            preferences=Preferences.from_dict(json.loads(str(item["preferences"]))),
            confirmed_at=datetime.fromisoformat(str(item["confirmed_at"])),
            phone=phone,
            waiting_phone=waiting,
        )

    @staticmethod
    def _memberships(email_hash: str, preferences: Preferences) -> set[tuple[str, str]]:
        """Topic (and topic-and-ward) memberships, for emails and texts alike: the core
        decides which channels an item goes on."""
        keys = set()
        for topic in preferences.topics | preferences.text_topics:
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

    def _by_lookup(self, key: dict[str, str]) -> Subscriber | None:
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return self.subscriber_by_hash(str(item["email_hash"])) if item else None

    def subscriber_by_phone(self, number_hash: str) -> Subscriber | None:
        found = self._by_lookup({"PK": f"N#{number_hash}", "SK": "PHONE"})
        phone = found.phone if found else None
        return found if phone and phone.number_hash == number_hash else None

    def subscriber_by_stop_code(self, stop_code: str) -> Subscriber | None:
        found = self._by_lookup({"PK": f"Q#{stop_code}", "SK": "STOP"})
        phone = found.phone if found else None
        return found if phone and phone.stop_code == stop_code else None

    def save_phone(
        self, email_hash: str, phone: Phone, code_hash: str, code_expires: datetime
    ) -> bool:
        """On the profile only: the lookups by number and stop code change when the code
        is typed (``confirm_phone``)."""
        try:
            self._table.update_item(
                Key={"PK": f"S#{email_hash}", "SK": PROFILE},
                UpdateExpression=(
                    "SET waiting_phone = :n, waiting_phone_hash = :h, waiting_stop_code = :s,"
                    " code_hash = :c, code_expires = :x, code_attempts = :zero"
                ),
                ConditionExpression=Attr("PK").exists(),
                ExpressionAttributeValues={
                    ":n": phone.number,
                    ":h": phone.number_hash,
                    ":s": phone.stop_code,
                    ":c": code_hash,
                    ":x": sortable(code_expires),
                    ":zero": 0,
                },
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def drop_waiting_phone(self, email_hash: str) -> None:
        subscriber = self.subscriber_by_hash(email_hash)
        if subscriber is None:
            return
        if subscriber.phone is not None:
            self._table.update_item(
                Key={"PK": f"S#{email_hash}", "SK": PROFILE},
                UpdateExpression="REMOVE " + ", ".join(WAITING_PHONE),
            )
            return
        self.remove_phone(email_hash)  # the waiting number was all they had

    def confirm_phone(self, email_hash: str, code_hash: str, now: datetime) -> bool | None:
        key = {"PK": f"S#{email_hash}", "SK": PROFILE}
        live = "code_expires >= :now AND code_attempts < :most"
        values: dict[str, Any] = {":now": sortable(now), ":most": CODE_ATTEMPTS}
        try:  # the right code, still live: the waiting number is theirs, in one write
            answer = self._table.update_item(
                Key=key,
                UpdateExpression=(
                    "SET phone = waiting_phone, phone_hash = waiting_phone_hash,"
                    " stop_code = waiting_stop_code, phone_confirmed_at = :at"
                    " REMOVE " + ", ".join(WAITING_PHONE)
                ),
                ConditionExpression=f"code_hash = :c AND {live}",
                ExpressionAttributeValues={**values, ":c": code_hash, ":at": now.isoformat()},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if not _failed_condition(error):
                raise
        else:
            self._take_number(email_hash, answer["Attributes"])
            return True
        try:  # a live code, not this one: count the attempt
            self._table.update_item(
                Key=key,
                UpdateExpression="ADD code_attempts :one",
                ConditionExpression=f"attribute_exists(code_hash) AND {live}",
                ExpressionAttributeValues={**values, ":one": 1},
            )
            return False
        except ClientError as error:
            if not _failed_condition(error):
                raise
        return None

    def _take_number(self, email_hash: str, before: dict[str, Any]) -> None:
        """The number just confirmed is this subscriber's: whoever confirmed it before
        loses it, this subscriber's old number's lookups and texts go, and the lookups
        point here."""
        number_hash, stop_code = str(before["waiting_phone_hash"]), str(before["waiting_stop_code"])
        holder = self.subscriber_by_phone(number_hash)
        if holder is not None and holder.email_hash != email_hash:
            self.remove_phone(holder.email_hash)
        old = self._subscriber(before).phone
        if old is not None and old.number_hash != number_hash:
            self._forget_phone_lookups(old)
            self._forget_texts(email_hash)
        for pk, sk in (("N#" + number_hash, "PHONE"), ("Q#" + stop_code, "STOP")):
            self._table.put_item(Item={"PK": pk, "SK": sk, "email_hash": email_hash})

    def remove_phone(self, email_hash: str) -> bool:
        subscriber = self.subscriber_by_hash(email_hash)
        if subscriber is None or (subscriber.phone is None and subscriber.waiting_phone is None):
            return False
        kept = Preferences.from_dict({**subscriber.preferences.to_dict(), "text_topics": []})
        self._table.update_item(
            Key={"PK": f"S#{email_hash}", "SK": PROFILE},
            UpdateExpression="SET preferences = :p REMOVE "
            + ", ".join((*CONFIRMED_PHONE, *WAITING_PHONE)),
            ExpressionAttributeValues={":p": json.dumps(kept.to_dict())},
        )
        self._set_memberships(email_hash, subscriber.preferences, kept)
        if subscriber.phone is not None:
            self._forget_phone_lookups(subscriber.phone)
        self._forget_texts(email_hash)
        return True

    def _forget_phone_lookups(self, phone: Phone) -> None:
        """The lookups of a number its subscriber no longer has."""
        with self._table.batch_writer() as batch:
            batch.delete_item(Key={"PK": f"N#{phone.number_hash}", "SK": "PHONE"})
            batch.delete_item(Key={"PK": f"Q#{phone.stop_code}", "SK": "STOP"})

    def _forget_texts(self, email_hash: str) -> None:
        """The ledger rows of every channel but email (the number they went to is gone)."""
        with self._table.batch_writer() as batch:
            for item in self._partition(f"S#{email_hash}", "D:"):
                batch.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})

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
            if previous.phone is not None:
                self._forget_phone_lookups(previous.phone)
            with self._table.batch_writer() as batch:
                for phone in (previous.phone, previous.waiting_phone):
                    if phone is not None:
                        limit = address_limit_key(phone.number_hash)
                        batch.delete_item(Key={"PK": f"R#{limit}", "SK": RATE})
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
        for item in self._partition(f"S#{email_hash}", "D"):
            channel, item_id, revision = ledger_row(str(item["SK"]))
            entries.append(
                LedgerEntry(
                    item_id,
                    revision,
                    str(item["state"]),
                    datetime.fromisoformat(str(item["updated_at"])),
                    channel,
                )
            )
        return newest_first(entries)

    def delivery_state(
        self, subscriber_id: str, item_id: str, revision: str, channel: str = EMAIL
    ) -> str | None:
        key = ledger_key(subscriber_id, item_id, revision, channel)
        state = self._table.get_item(Key=key, ConsistentRead=True).get("Item", {}).get("state")
        return str(state) if state else None

    def claim(
        self, subscriber_id: str, item_id: str, revision: str, now: datetime, channel: str = EMAIL
    ) -> bool:
        key = ledger_key(subscriber_id, item_id, revision, channel)
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
        channel: str = EMAIL,
    ) -> None:
        values: dict[str, Any] = {":s": state, ":u": now.isoformat()}
        expression = "SET #state = :s, updated_at = :u"
        if state == "sent":
            expression += ", GSI1PK = :i, GSI1SK = :who REMOVE GSI2PK, GSI2SK, details"
            values.update({":i": sent_index(item_id, channel), ":who": subscriber_id})
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
            Key=ledger_key(subscriber_id, item_id, revision, channel),
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
        channel: str = EMAIL,
    ) -> datetime | None:
        key = ledger_key(subscriber_id, item_id, revision, channel)
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
            self.mark(subscriber_id, item_id, revision, "failed", now, channel=channel)
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
            channel, item_id, revision = ledger_row(str(row["SK"]))
            yield Owed(email_hash, email_hash, item_id, revision, channel)

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

    def recipients_of(self, item_id: str, channel: str = EMAIL) -> set[str]:
        index = sent_index(item_id, channel)
        return {str(item["GSI1SK"]) for item in self._query_index("GSI1", index)}

    def claim_post(self, network: str, item_id: str, revision: str, now: datetime) -> bool:
        try:
            self._table.put_item(
                Item={
                    "PK": f"POST#{network}#{item_id}",
                    "SK": f"R#{revision}",
                    "state": "pending",
                    "updated_at": sortable(now),
                },
                ConditionExpression=Attr("PK").not_exists(),
            )
            return True
        except ClientError as error:
            if not _failed_condition(error):
                raise
        return False

    def mark_post(
        self, network: str, item_id: str, revision: str, ref: PostRef | None, now: datetime
    ) -> None:
        key = {"PK": f"POST#{network}#{item_id}", "SK": f"R#{revision}"}
        if ref is None:
            try:
                self._table.delete_item(
                    Key=key,
                    ConditionExpression="#state = :pending",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues={":pending": "pending"},
                )
            except ClientError as error:
                if not _failed_condition(error):
                    raise
            return
        self._table.update_item(
            Key=key,
            UpdateExpression="SET #state = :posted, #ref = :ref, updated_at = :now",
            ExpressionAttributeNames={"#state": "state", "#ref": "ref"},
            ExpressionAttributeValues={
                ":posted": "posted",
                ":ref": json.dumps(ref),
                ":now": sortable(now),
            },
        )

    def posts_of(self, network: str, item_ids: Iterable[str]) -> list[PostRef]:
        found = [
            row
            for item_id in item_ids
            for row in self._partition(f"POST#{network}#{item_id}", "R#")
            if row.get("state") == "posted"
        ]
        found.sort(key=lambda row: str(row["updated_at"]))
        return [json.loads(str(row["ref"])) for row in found]

    def digest_due(self, frequency: str) -> Iterator[tuple[Subscriber, list[dict[str, str]]]]:
        waiting: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in self._query_index("GSI2", DIGEST):
            subscriber_id = str(row["PK"]).removeprefix("S#")
            _, item_id, revision = ledger_row(str(row["SK"]))
            waiting[subscriber_id].append(
                {**json.loads(str(row["details"])), "item_id": item_id, "revision": revision}
            )
        for subscriber_id, items in sorted(waiting.items()):
            subscriber = self.subscriber_by_hash(subscriber_id)
            if subscriber and subscriber.preferences.frequency == frequency:
                yield subscriber, items

    def suppressed_count(self) -> int:
        rows = self._pages(
            self._table.scan, FilterExpression=Attr("SK").eq(SUPPRESSED), ProjectionExpression="PK"
        )
        return sum(1 for _ in rows)

    def count(
        self,
        subject: str,
        channel: str,
        day: date,
        counts: Mapping[str, int],
        sent_at: datetime | None = None,
    ) -> None:
        key = {"PK": REACH, "SK": f"{day.isoformat()}#{channel}#{subject}"}
        names = {f"#c{n}": f"{COUNTER}{counter}" for n, counter in enumerate(counts)}
        values: dict[str, Any] = {f":c{n}": amount for n, amount in enumerate(counts.values())}
        adding = "ADD " + ", ".join(f"#c{n} :c{n}" for n in range(len(counts))) if counts else ""
        named = {"ExpressionAttributeNames": names} if names else {}
        if sent_at is None:
            if counts:
                self._table.update_item(
                    Key=key, UpdateExpression=adding, ExpressionAttributeValues=values, **named
                )
            return
        values[":sent"] = sortable(sent_at)
        try:  # the usual case, in one write: sent no earlier than the day's last send
            self._table.update_item(
                Key=key,
                UpdateExpression=f"{adding} SET first_sent = if_not_exists(first_sent, :sent), "
                "last_sent = :sent",
                ConditionExpression="attribute_not_exists(last_sent) OR last_sent <= :sent",
                ExpressionAttributeValues=values,
                **named,
            )
            return
        except ClientError as error:
            if not _failed_condition(error):
                raise
        # A send recorded after a later one (workers in parallel): add the counts, and
        # make it the first if it is earlier than the first.
        try:
            self._table.update_item(
                Key=key,
                UpdateExpression=f"{adding} SET first_sent = :sent".strip(),
                ConditionExpression="first_sent > :sent",
                ExpressionAttributeValues=values,
                **named,
            )
        except ClientError as error:
            if not _failed_condition(error):
                raise
            if counts:
                del values[":sent"]
                self._table.update_item(
                    Key=key, UpdateExpression=adding, ExpressionAttributeValues=values, **named
                )

    def tallies(self, since: date | None = None) -> Iterator[Tally]:
        condition = Key("PK").eq(REACH)
        if since:
            condition = condition & Key("SK").gte(since.isoformat())
        for row in self._pages(self._table.query, KeyConditionExpression=condition):
            day, channel, subject = str(row["SK"]).split("#", 2)
            yield Tally(
                subject,
                channel,
                date.fromisoformat(day),
                {
                    str(name).removeprefix(COUNTER): int(value)
                    for name, value in row.items()
                    if str(name).startswith(COUNTER)
                },
                datetime.fromisoformat(str(row["first_sent"])) if "first_sent" in row else None,
                datetime.fromisoformat(str(row["last_sent"])) if "last_sent" in row else None,
            )

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

    def used(self, key: str, window_seconds: int, now: datetime) -> int:
        item = self._table.get_item(Key={"PK": f"R#{key}", "SK": RATE}, ConsistentRead=True).get(
            "Item"
        )
        started = int(item["window_start"]) if item else 0
        return int(item["count"]) if item and started > int(now.timestamp()) - window_seconds else 0

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
