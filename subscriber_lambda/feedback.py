"""What mail systems report after sending, taken into the store: complaints and hard
bounces suppress the address, and every report counts against its item's reach.

Two sources share ``take_feedback``: SES events on AWS (``aws_lambda.ses_events``) and,
on the embedded default, the ``feedback`` command reading the abuse reports and delivery
status notifications a relay or a mailbox provider's feedback loop mails back
(``core.mail_reports``), from a file, a Maildir or a mail alias's pipe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, TextIO

from .core.mail_reports import MailReport, read_report
from .core.reach import BOUNCED_SOFT, LEFT
from .core.tokens import Purpose, Signer, TokenError
from .ports import EMAIL, LedgerEntry, Store
from .reach import count, count_change

logger = logging.getLogger(__name__)

MAILDIR_PARTS = ("cur", "new", "tmp")
TAKING = ":2,T"  # a Maildir message's "trashed" flag: this run is taking it, then deletes it
# A claimed report still in cur/ after this long was left by a run that was killed.
STRANDED_AFTER = timedelta(minutes=10)


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


def plural(n: int, word: str, words: str = "") -> str:
    return f"{n} {word if n == 1 else words or word + 's'}"


@dataclass
class FeedbackCounts:
    """What a ``feedback`` run took, for its summary line."""

    read: int = 0
    kinds: Counter[str] = field(default_factory=Counter)  # the reports taken, by kind
    suppressed: int = 0  # addresses newly suppressed
    ignored: int = 0  # no report about an email we sent, or one taken before
    unreadable: int = 0  # could not be read from the disk: left for the next run

    def summary(self) -> str:
        kinds = ", ".join(plural(n, kind) for kind, n in sorted(self.kinds.items()))
        unreadable = f"; {self.unreadable} could not be read" if self.unreadable else ""
        suppressed = plural(self.suppressed, "address", "addresses")
        return (
            f"feedback: {plural(self.read, 'message')} read: {kinds or 'nothing to take'}; "
            f"{suppressed} newly suppressed; {self.ignored} not counted (no report about an "
            f"email we sent, or taken before){unreadable}"
        )


class Incoming:
    """One message to take: a file given, or standard input."""

    def __init__(self, name: str, read: Callable[[], bytes]) -> None:
        self.name, self._read = name, read

    def claim(self) -> bool:
        """Take it for this run; False when another run has."""
        return True

    def read(self) -> bytes:
        return self._read()

    def release(self) -> None:
        """Give it back, untaken (the store failed, or it could not be read)."""

    def done(self) -> None:
        """It is taken."""


class MaildirMessage(Incoming):
    """A Maildir's new message. It is claimed by moving it to ``cur`` (a rename: of two
    runs at once, one gets it), and deleted once taken: the report holds the resident's
    address, and what it said is in the suppression and the counters."""

    def __init__(self, new: Path) -> None:
        self.new, self.claimed = new, new.parent.parent / "cur" / f"{new.name}{TAKING}"
        super().__init__(str(new), self.claimed.read_bytes)

    def claim(self) -> bool:
        try:
            os.utime(self.new)  # when it was claimed, for give_back_stranded
            self.new.rename(self.claimed)
        except FileNotFoundError:
            return False
        return True

    def release(self) -> None:
        self.claimed.rename(self.new)

    def done(self) -> None:
        self.claimed.unlink()


def signed_data(signer: Signer, token: str | None, now: datetime) -> dict[str, object] | None:
    """What an unsubscribe token says (the address's keyed hash ``h``, the item ``i``), or
    None when it is missing, forged or another sender's."""
    if token is None:
        return None
    try:
        data = signer.read(token, Purpose.UNSUBSCRIBE, now)
    except TokenError:
        return None
    return data if "h" in data else None


def emailed(store: Store, email_hash: str, item_id: str) -> LedgerEntry | None:
    """The ledger row of the item sent to this subscriber by email, if there is one."""
    return next(
        (
            entry
            for entry in store.deliveries_of(email_hash)
            if entry.item_id == item_id and entry.channel == EMAIL and entry.state == "sent"
        ),
        None,
    )


def mark_emailed(
    store: Store, email_hash: str, item_id: str, report: MailReport, now: datetime
) -> bool:
    """Whether the item was emailed to this subscriber; a soft bounce, final, marks that
    email failed (so a repeat of it finds nothing sent)."""
    row = emailed(store, email_hash, item_id)
    subscriber = store.subscriber_by_hash(email_hash) if row else None
    if row is None or subscriber is None:
        return False
    if report.counter == BOUNCED_SOFT:
        store.mark(subscriber.id, row.item_id, row.revision, "failed", now)
    return True


def take_report(
    store: Store, signer: Signer, raw: bytes, now: datetime, counts: FeedbackCounts
) -> None:
    """One message into the store and ``counts``. A report suppressing an address counts
    once: a repeat finds it suppressed already. Any other counts only for an email the
    ledger shows sent to that subscriber, so nobody adds to an item they never got; a
    soft bounce, final like a hard one, marks that row failed, so it counts once too."""
    counts.read += 1
    try:
        report = read_report(raw)
    except Exception as error:  # hostile bytes: the email package has many ways to fail
        logger.warning("a message could not be read as a report (%r); not counted", error)
        report = None
    data = signed_data(signer, report.token, now) if report else None
    if report is None or data is None or not (report.counter or report.suppress):
        counts.ignored += 1  # no report of ours, or one that says nothing to count
        return
    email_hash = str(data["h"])
    item_id = str(data["i"]) if data.get("i") else None
    if report.suppress:
        fresh = not store.is_suppressed(email_hash)
    else:
        fresh = item_id is not None and mark_emailed(store, email_hash, item_id, report, now)
    if not fresh:
        counts.ignored += 1
        return
    counts.kinds[report.kind] += 1
    suppress = [email_hash] if report.suppress else []
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
        if not path.exists():
            raise NotMail(f"{path}: no such file or folder")
        if not (path.is_file() or is_maildir(path)):
            raise NotMail(
                f"{path}: neither an email file nor a Maildir (a folder with cur, new and "
                "tmp); give report files, a Maildir, or pipe one message in"
            )
    if not given:
        return iter([Incoming("standard input", stdin.read)])
    return (message for path in given for message in messages_at(path))


def messages_at(path: Path) -> Iterator[Incoming]:
    if path.is_file():
        yield Incoming(str(path), path.read_bytes)
    else:
        give_back_stranded(path)
        for new in sorted((path / "new").iterdir()):
            if new.is_file() and not new.is_symlink():  # a link could lead anywhere
                yield MaildirMessage(new)


def give_back_stranded(maildir: Path, now: float | None = None) -> None:
    """Reports a run claimed and never finished (it was killed) go back to ``new``, once
    no run can still be taking them, to be taken by this one."""
    deadline = (time.time() if now is None else now) - STRANDED_AFTER.total_seconds()
    for claimed in (maildir / "cur").glob(f"*{TAKING}"):
        with contextlib.suppress(FileNotFoundError):  # another run gave it back first
            if claimed.stat().st_mtime < deadline:
                claimed.rename(maildir / "new" / claimed.name.removesuffix(TAKING))


def is_maildir(path: Path) -> bool:
    return all((path / part).is_dir() for part in MAILDIR_PARTS)


def take_all(
    store: Store,
    signer: Signer,
    messages: Iterable[Incoming],
    clock: Callable[[], datetime],
    progress: TextIO | None,
) -> FeedbackCounts:
    """Take every message, counting on ``progress`` (a terminal) as it goes. A message
    that cannot be read stays where it is, for the next run; a store that fails stops
    the run with the exception, giving the message back untaken."""
    counts = FeedbackCounts()
    for message in messages:
        if not message.claim():
            continue  # another run took it
        try:
            raw = message.read()
        except OSError as error:
            logger.warning("%s: could not be read: %s; left for the next run", message.name, error)
            counts.unreadable += 1
            message.release()
            continue
        try:
            take_report(store, signer, raw, clock(), counts)
        except BaseException:
            message.release()
            raise
        message.done()
        if progress is not None:
            progress.write(f"\rfeedback: {plural(counts.read, 'message')} read")
            progress.flush()
    if progress is not None:
        progress.write("\n")
    return counts
