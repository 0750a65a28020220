"""Posting items on the council's own social accounts (Bluesky, Mastodon): one post per
network and item revision, ever; an update or cancellation is a reply in its thread.

- **Never twice.** Each post's ledger row is claimed before the network is asked, and a
  claim is released only when the network did not answer with the post (it refused, was
  rate-limited or down, or the answer was lost). A retry then asks with the same
  ``PostKey``, and the adapters make that the same post by the networks' own means: on
  Bluesky a record key derived from it (``putRecord`` writes the same record again), on
  Mastodon its Idempotency-Key. A run that dies between posting and recording leaves the
  claim, so the post is not asked for again.
- **Threads.** An item's posts, and those of the item it updates or cancels
  (``supersedes``), are one thread: the first is the root, each later one answers the
  newest.
- **Only what is new.** Items are posted within ``POST_WINDOW`` of their revision, so that
  connecting an account (or restoring a ledger) does not post every alert the manifest
  still lists.
- The text is the build's ``post`` of the item's first version (its original language),
  tagged with that language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .core.reach import POSTS, SENT
from .ports import (
    SOCIAL,
    DeliveryDeferred,
    DeliveryRefused,
    PostKey,
    ProviderUnavailable,
    SocialAccount,
    Store,
    Thread,
)
from .reach import count

logger = logging.getLogger(__name__)

POST_WINDOW = timedelta(hours=24)


@dataclass
class SocialPoster:
    store: Store
    accounts: Sequence[SocialAccount]
    topics: frozenset[str]  # the item types posted (SOCIAL_TOPICS)
    clock: Callable[[], datetime]

    def due(self, items: Iterable[Mapping[str, Any]], send_exercises: bool) -> list[Any]:
        """The items to post: of the topics posted, new enough, exercises only when
        exercises are sent, and with a post made by the build."""
        since = self.clock() - POST_WINDOW
        return [
            item
            for item in items
            if item["type"] in self.topics
            and (send_exercises or not item["exercise"])
            and datetime.fromisoformat(item["revision"]) >= since
            and "post" in item["versions"][0]
        ]

    def count_due(self, items: Iterable[Mapping[str, Any]], send_exercises: bool) -> int:
        """Posts a run would make at most (the ledger may hold some already)."""
        return len(self.due(items, send_exercises)) * len(self.accounts)

    def post_all(self, items: Iterable[Mapping[str, Any]], send_exercises: bool) -> int:
        """Post every due item on every account, alerts first; returns the posts made.
        One network's trouble stops neither the other network nor the emails and texts."""
        due = sorted(self.due(items, send_exercises), key=lambda i: i["urgency"] != "immediate")
        made = 0
        for account in self.accounts:
            for item in due:
                try:
                    made += self.post(account, item)
                except (DeliveryDeferred, ProviderUnavailable) as error:
                    logger.warning(
                        "%s: not posted on %s (the next run tries again): %s",
                        item["id"],
                        account.network,
                        error,
                    )
                    break  # down or limiting us: the rest wait for the next run too
        return made

    def post(self, account: SocialAccount, item: Mapping[str, Any]) -> bool:
        """Post one item revision on one account, unless it was (or is being) posted.
        True if a post was made. DeliveryDeferred and ProviderUnavailable are raised once
        the claim is released; a refused post is logged, and tried again next run."""
        network, item_id, revision = account.network, item["id"], item["revision"]
        if not self.store.claim_post(network, item_id, revision, self.clock()):
            return False
        thread_ids = [item["supersedes"], item_id] if item.get("supersedes") else [item_id]
        earlier = self.store.posts_of(network, thread_ids)
        reply_to = Thread(earlier[0], earlier[-1]) if earlier else None
        version = item["versions"][0]
        try:
            key = PostKey(f"{item_id}@{revision}", datetime.fromisoformat(revision))
            ref = account.post(version["post"]["body"], version["lang"], key, reply_to)
        except DeliveryRefused as error:
            self.store.mark_post(network, item_id, revision, None, self.clock())
            logger.error("%s: %s refused the post: %s", item_id, network, error)
            return False
        except (DeliveryDeferred, ProviderUnavailable):
            self.store.mark_post(network, item_id, revision, None, self.clock())
            raise
        posted = self.clock()
        self.store.mark_post(network, item_id, revision, ref, posted)
        count(self.store, item_id, SOCIAL, posted, {SENT: 1, POSTS: 1}, sent=True)
        logger.info("%s: posted on %s: %s", item_id, network, ref.get("url", ""))
        return True
