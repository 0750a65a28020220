"""The council's Mastodon account, through Mastodon.py (``POST /api/v1/statuses``).

Mastodon makes links of addresses itself, so a post is the text as it is, public, tagged
with its language and, for a reply, the id of the status it answers.

A post carries an ``Idempotency-Key`` made from what it says (text, language, the status
it answers): Mastodon keeps the key for an hour and gives back the status it already
made instead of making another, so when an answer is lost (a timeout, a 502 after the
server had posted) the retry does not post the same alert twice.

Mastodon.py is built so that it asks nothing of the server at construction (no version
check) and throws on a rate limit instead of sleeping until it resets: a Lambda cannot
wait out a five-minute window, the ledger retries later instead.

Errors are sorted into the port's failures by Mastodon's documented answers: 429 is the
rate limit, so later; 422 ("Validation failed: Text character limit of 500 allowed", a
duplicate, a reply to something gone) and 400 are this post, refused for good; 401 ("The
access token is invalid") and 403 (a suspended or disabled account), 404 (not a Mastodon
API at that address), 5xx, no connection and timeouts are the provider. The access token
never appears in an error's text.
"""

from __future__ import annotations

import hashlib
import logging

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
)

from ..ports import (
    DeliveryDeferred,
    DeliveryError,
    DeliveryRefused,
    PostKey,
    PostRef,
    ProviderUnavailable,
    Thread,
)

log = logging.getLogger(__name__)

TIMEOUT = 20.0  # seconds, for each request


def idempotency_key(key: PostKey) -> str:
    """The same item revision always gets the same key (Mastodon keeps keys an hour)."""
    return "noticeboard-" + hashlib.sha256(key.name.encode("utf-8")).hexdigest()[:40]


def mastodon_language(lang: str) -> str:
    """Mastodon takes ISO 639 codes for a status's language ("cy", not "cy-GB")."""
    return lang.split("-", 1)[0].lower()


class MastodonAccount:
    """The SocialAccount port on a Mastodon server."""

    network = "mastodon"

    def __init__(self, instance_url: str, access_token: str, timeout: float = TIMEOUT) -> None:
        self._token = access_token
        self._api = Mastodon(
            access_token=access_token,
            api_base_url=instance_url,
            request_timeout=min(timeout, 30.0),
            ratelimit_method="throw",
            version_check_mode="none",
            session=requests.Session(),
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "[access token]") if self._token else text

    def _classify(self, error: MastodonError) -> DeliveryError:
        if isinstance(error, MastodonRatelimitError):
            return DeliveryDeferred(self._scrub(f"Mastodon: 429 {error}"))
        if isinstance(error, MastodonNetworkError):  # no connection, timeout
            return ProviderUnavailable(self._scrub(f"Mastodon: no answer: {error}"))
        if isinstance(error, MastodonAPIError) and len(error.args) >= 4:
            _, status, reason, message = error.args[:4]
            text = self._scrub(f"Mastodon: {status} {reason}: {message}")
            if status == 429:
                return DeliveryDeferred(text)
            if status in (400, 422):
                return DeliveryRefused(text)
            return ProviderUnavailable(text)
        return ProviderUnavailable(self._scrub(f"Mastodon: {type(error).__name__}: {error}"))

    def post(self, text: str, lang: str, key: PostKey, reply_to: Thread | None = None) -> PostRef:
        """Publish ``text`` on the account (see the port): asked again within the hour
        with the same ``key``, Mastodon answers with the first post."""
        parent = reply_to.parent["id"] if reply_to is not None else None
        try:
            status = self._api.status_post(
                text,
                in_reply_to_id=parent,
                visibility="public",
                language=mastodon_language(lang),
                idempotency_key=idempotency_key(key),
            )
        except MastodonError as error:
            raise self._classify(error) from None
        ref = {"id": str(status["id"]), "url": str(status.get("url") or status["uri"])}
        log.info("mastodon: posted %s", ref["url"])
        return ref
