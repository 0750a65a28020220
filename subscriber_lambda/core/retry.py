"""When to try a deferred delivery again.

A message the mail system refused for now (a busy mailbox, a full queue) is tried again a
minute later, then after two, four... minutes, at most an hour apart. After
``MAX_ATTEMPTS`` temporary failures, about six hours in all, that message is given up as
failed (the address is not suppressed: the next item is tried afresh), since news that late
is stale.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A delivery claimed ('pending') is another run's to send for this long; after it, the
# claim is taken to belong to a run that died, and may be claimed again. Shorter than
# SQS's visibility timeout (6 minutes), so a redelivered message finds it free.
CLAIM_LEASE = timedelta(minutes=5)
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 12


def next_try(attempts: int, now: datetime) -> datetime | None:
    """After ``attempts`` temporary failures (counting the one just now): when to try
    again, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    doubled = FIRST_DELAY * (1 << max(attempts - 1, 0))  # 1, 2, 4... minutes
    return now + min(doubled, LONGEST_DELAY)


def sortable(moment: datetime) -> str:
    """A retry time as stores keep it: text that sorts in time order (ISO 8601, in UTC)."""
    return moment.astimezone(UTC).isoformat()
