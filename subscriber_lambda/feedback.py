"""What mail systems report after sending, taken into the store: complaints and hard
bounces suppress the address, and every report counts against its item's reach.

Two sources share ``take_feedback``: SES events on AWS (``aws_lambda.ses_events``) and,
on the embedded default, the ``feedback`` command reading the abuse reports and delivery
status notifications a relay or a mailbox provider's feedback loop mails back
(``core.mail_reports``), from a file, a Maildir or a mail alias's pipe.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO, TextIO

from .core.mail_reports import read_report
from .core.reach import LEFT
from .core.tokens import Purpose, Signer, TokenError
from .ports import EMAIL, Store
from .reach import count, count_change

logger = logging.getLogger(__name__)

MAILDIR_PARTS = ("cur", "new", "tmp")
SEEN = ":2,S"  # a Maildir message's "seen" flag: what a mail reader adds once it is read


def take_feedback(
    store: Store,
    now: datetime,
    item_id: str | None,
    counter: str | None,
    suppress: Iterable[str] = (),
    reason: str = "",
) -> int:
    """Suppress each of the addresses (keyed hashes) for ``reason``, counting a resident
    who leaves by it, then add one to the item's ``counter``; returns how many were
    suppressed. Suppressing first means a store failing between the two steps leaves the
    address safe, and at worst a report counted again when it is taken again."""
    suppressed = 0
    for email_hash in suppress:
        subscribed = store.subscriber_by_hash(email_hash) is not None
        store.suppress(email_hash, reason, now)
        if subscribed:
            count_change(store, now, LEFT)
        suppressed += 1
    if item_id and counter:
        count(store, item_id, EMAIL, now, {counter: 1})
    return suppressed


@dataclass
class FeedbackCounts:
    """What a ``feedback`` run took, for its summary line."""

    read: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    suppressed: int = 0
    not_ours: int = 0  # no report, or about no email of ours (no valid unsubscribe link)

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.kinds.items()))
        return (
            f"feedback: {self.read} messages read: {kinds or 'no reports'}; "
            f"{self.suppressed} addresses suppressed; {self.not_ours} not about our emails"
        )


@dataclass(frozen=True)
class Incoming:
    """One message to take: a name for messages, its bytes, and what to do once taken
    (a Maildir's message is marked seen, so that the next run leaves it)."""

    name: str
    raw: bytes
    taken: Callable[[], object] = lambda: None


def take_report(
    store: Store, signer: Signer, raw: bytes, now: datetime, counts: FeedbackCounts
) -> None:
    """One message into the store and ``counts``."""
    counts.read += 1
    report = read_report(raw)
    if report is None or report.token is None:
        counts.not_ours += 1
        return
    try:
        data = signer.read(report.token, Purpose.UNSUBSCRIBE, now)
        email_hash = str(data["h"])
    except (TokenError, KeyError):
        counts.not_ours += 1  # forged, or another sender's: nobody is suppressed
        return
    counts.kinds[report.kind] += 1
    suppress = [email_hash] if report.suppress else []
    item_id = str(data["i"]) if data.get("i") else None
    counts.suppressed += take_feedback(
        store, now, item_id, report.counter, suppress, report.suppress or ""
    )


class NotMail(ValueError):
    """A path that is neither an email file nor a Maildir."""


def incoming(paths: Iterable[Path], stdin: BinaryIO) -> Iterator[Incoming]:
    """Each message to take: the files given, the new messages of each Maildir given, or
    the one message on standard input when no path is (a mail alias's pipe). Every path
    is checked before any message is taken."""
    given = list(paths)
    for path in given:
        if not (path.is_file() or is_maildir(path)):
            raise NotMail(
                f"{path}: neither an email file nor a Maildir (a folder with cur, new and "
                "tmp); give report files, a Maildir, or pipe one message in"
            )
    if not given:
        return iter([Incoming("standard input", stdin.read())])
    return (message for path in given for message in messages_at(path))


def messages_at(path: Path) -> Iterator[Incoming]:
    if path.is_file():
        yield Incoming(str(path), path.read_bytes())
    else:
        yield from maildir_news(path)


def is_maildir(path: Path) -> bool:
    return all((path / part).is_dir() for part in MAILDIR_PARTS)


def maildir_news(folder: Path) -> Iterator[Incoming]:
    """The Maildir's new messages, each moved to ``cur`` as seen once taken."""
    for message in sorted((folder / "new").iterdir()):
        if message.is_file():
            seen = folder / "cur" / f"{message.name}{SEEN}"
            yield Incoming(str(message), message.read_bytes(), partial(message.rename, seen))


def take_all(
    store: Store,
    signer: Signer,
    messages: Iterable[Incoming],
    clock: Callable[[], datetime],
    progress: TextIO | None,
) -> FeedbackCounts:
    """Take every message, counting on ``progress`` (a terminal) as it goes. A store that
    fails stops the run with the exception: the messages not yet taken stay where they
    are, for the next run."""
    counts = FeedbackCounts()
    for message in messages:
        not_ours = counts.not_ours
        take_report(store, signer, message.raw, clock(), counts)
        message.taken()
        if counts.not_ours > not_ours:
            logger.info("%s: not a report about an email of ours; nothing counted", message.name)
        if progress is not None:
            progress.write(f"\rfeedback: {counts.read} messages read")
            progress.flush()
    if progress is not None:
        progress.write("\n")
    return counts
