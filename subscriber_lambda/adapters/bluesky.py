"""The council's Bluesky account, through the official AT Protocol SDK (``atproto``).

One post is one ``app.bsky.feed.post`` record written in the account's repository with
``com.atproto.repo.putRecord`` under a record key (a TID) derived from the post's
``PostKey``, with ``createdAt`` the revision's time: asked again (a retry after a lost
answer), it writes the same record under the same key, so a post is never made twice.

The session is made lazily, on the first post, with the account's app password
(``com.atproto.server.createSession``) and then kept: the network limits session
creation (30 in 5 minutes, 300 a day per account), so a run that posts several items
must not log in for each. The SDK refreshes the access token itself before it expires
(``refreshSession``); when the server refuses the token anyway (it was revoked, or the
refresh token has expired too) the account logs in once more and tries the post again.

Bluesky makes nothing a link by itself: a link is a *facet*, a range of the text given
in UTF-8 byte offsets. Every http(s) address in the text gets one, so the link in an
alert can be followed.

Errors are sorted into the port's failures by what the PDS answers (XRPC errors are
``{"error": Name, "message": ...}`` with an HTTP status): 429 is throttling, so later;
400/413 on the post is the post itself (invalid record, too long), refused for good; 401
and 403 (wrong app password, account taken down or suspended), 5xx, an unknown answer,
no connection and timeouts are the provider, so every post would fail alike. The app
password never appears in an error's text.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC
from typing import Any

import httpx
from atproto import Client, Session, models
from atproto_client.exceptions import (
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

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

POST_COLLECTION = "app.bsky.feed.post"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, the AT Protocol's
TIMEOUT = 20.0  # seconds, for each request: a Lambda must not hang on a slow PDS

# What the PDS says when the access (or refresh) token is no longer good: log in again.
TOKEN_ERRORS = {"ExpiredToken", "InvalidToken"}

# An http(s) address up to the next space; trailing punctuation is trimmed below, as
# Bluesky's own app does, so "see https://example.gov.uk/bins." links without the dot.
LINK = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
TRAILING = ".,;:!?'\""


def record_key(key: PostKey) -> str:
    """A TID (the record keys posts have: 53 bits of microseconds since 1970 and a 10-bit
    clock id, in 13 base32-sortable characters) made from the post's key, so that the
    same item revision always has the same record key."""
    micros = int(key.at.timestamp() * 1_000_000)
    clock_id = int.from_bytes(hashlib.sha256(key.name.encode("utf-8")).digest()[:2]) & 0x3FF
    value = (micros << 10) | clock_id
    return "".join(TID_ALPHABET[(value >> (5 * shift)) & 31] for shift in reversed(range(13)))


def link_facets(text: str) -> list[dict[str, Any]]:
    """A link facet for every http(s) address in ``text``, its range in UTF-8 bytes (the
    AT Protocol counts bytes, not characters: an emoji or a Welsh ŵ before a link moves
    it by more than one)."""
    facets: list[dict[str, Any]] = []
    for match in LINK.finditer(text):
        start, end = match.span()
        uri = match.group()
        while uri and uri[-1] in TRAILING:
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and uri.count("(") < uri.count(")"):
            uri, end = uri[:-1], end - 1
        if "://" not in uri or uri.endswith("://"):
            continue
        byte_start = len(text[:start].encode("utf-8"))
        byte_end = byte_start + len(uri.encode("utf-8"))
        facets.append(
            {
                "$type": "app.bsky.richtext.facet",
                "index": {"byteStart": byte_start, "byteEnd": byte_end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
            }
        )
    return facets


def _strong_ref(ref: PostRef) -> dict[str, str]:
    return {"uri": ref["uri"], "cid": ref["cid"]}


def _xrpc_error(error: RequestErrorBase) -> tuple[int | None, str, str]:
    """The HTTP status, XRPC error name and message of an SDK error (None: no answer)."""
    response = error.response
    if response is None:
        return None, type(error).__name__, str(error.__cause__ or error)
    content = response.content
    name = str(getattr(content, "error", "") or "")
    message = str(getattr(content, "message", "") or "")
    return response.status_code, name, message


class BlueskyAccount:
    """The SocialAccount port on Bluesky (or any AT Protocol PDS at ``service_url``)."""

    network = "bluesky"

    def __init__(
        self,
        handle: str,
        app_password: str,
        service_url: str = "https://bsky.social",
        timeout: float = TIMEOUT,
    ) -> None:
        self._handle = handle
        self._password = app_password
        self._service_url = service_url
        self._timeout = min(timeout, 30.0)
        self._client: Client | None = None
        self._did = ""
        self.logins = 0  # sessions created, for tests and logs

    # --- errors ----------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._password, "[app password]") if self._password else text

    def _classify(self, error: Exception, during: str) -> DeliveryError:
        """The port's failure for what the SDK raised ``during`` 'login' or 'post' (an
        httpx error the SDK did not wrap, such as a broken answer, is the provider)."""
        if not isinstance(error, RequestErrorBase):
            return ProviderUnavailable(self._scrub(f"Bluesky {during}: {error}"))
        status, name, message = _xrpc_error(error)
        reason = self._scrub(f"Bluesky {during}: {status or 'no answer'} {name}: {message}")
        if isinstance(error, RateLimitExceededError) or status == 429:
            return DeliveryDeferred(reason)
        if status is None or isinstance(error, UnauthorizedError):
            return ProviderUnavailable(reason)  # no connection, timeout; 401/403
        if during == "post" and status in (400, 413) and name not in TOKEN_ERRORS:
            return DeliveryRefused(reason)  # the record itself: invalid, too long
        if status == 409:  # the repository changed under us (InvalidSwap): try again
            return DeliveryDeferred(reason)
        return ProviderUnavailable(reason)  # 5xx, 404 (not a PDS), a login refused

    @staticmethod
    def _is_token_refused(error: Exception) -> bool:
        if not isinstance(error, RequestErrorBase):
            return False
        status, name, _ = _xrpc_error(error)
        return status == 401 or (status == 400 and name in TOKEN_ERRORS)

    # --- session ---------------------------------------------------------------------

    def _login(self) -> Client:
        """Create a session (once, then kept). A new client each time, so that a stale
        session cannot be reused by mistake."""
        client = Client(
            base_url=self._service_url, request=Request(timeout=httpx.Timeout(self._timeout))
        )
        try:
            # No profile lookup: it is an extra request (proxied to the App View) that
            # posting does not need.
            client.login(self._handle, self._password, fetch_bsky_profile=False)
        except (AtProtocolError, httpx.HTTPError) as error:
            raise self._classify(error, "login") from None
        session = Session.decode(client.export_session_string())
        self._did = session.did
        self._handle = session.handle or self._handle
        self._client = client
        self.logins += 1
        log.info("bluesky: logged in as %s", self._handle)
        return client

    # --- posting ---------------------------------------------------------------------

    def _record(
        self, text: str, lang: str, key: PostKey, reply_to: Thread | None
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": text,
            "langs": [lang],
            "createdAt": key.at.astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        facets = link_facets(text)
        if facets:
            record["facets"] = facets
        if reply_to is not None:
            record["reply"] = {
                "root": _strong_ref(reply_to.root),
                "parent": _strong_ref(reply_to.parent),
            }
        return record

    def _create(self, client: Client, record: dict[str, Any], rkey: str) -> PostRef:
        response = client.com.atproto.repo.put_record(
            models.ComAtprotoRepoPutRecord.Data(
                repo=self._did, collection=POST_COLLECTION, rkey=rkey, record=record
            )
        )
        uri, cid = str(response.uri), str(response.cid)
        rkey = uri.rsplit("/", 1)[-1]
        return {
            "uri": uri,
            "cid": cid,
            "url": f"https://bsky.app/profile/{self._handle}/post/{rkey}",
        }

    def post(self, text: str, lang: str, key: PostKey, reply_to: Thread | None = None) -> PostRef:
        """Publish ``text`` on the account (see the port). Logs in on the first post, and
        once more if the server has stopped taking the session's token."""
        record, rkey = self._record(text, lang, key, reply_to), record_key(key)
        fresh = self._client is None
        client = self._client or self._login()
        try:
            ref = self._create(client, record, rkey)
        except (AtProtocolError, httpx.HTTPError) as error:
            if fresh or not self._is_token_refused(error):
                raise self._classify(error, "post") from None
            log.info("bluesky: session refused (%s), logging in again", type(error).__name__)
            self._client = None
            client = self._login()
            try:
                ref = self._create(client, record, rkey)
            except (AtProtocolError, httpx.HTTPError) as again:
                raise self._classify(again, "post") from None
        log.info("bluesky: posted %s", ref["uri"])
        return ref
