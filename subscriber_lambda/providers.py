"""Which text provider and which social accounts the backend uses, from the environment
(shared/design.md), each built only when configured, with its keys read from secret URLs.

- ``SUBSCRIBER_TEXTS``: unset (no texts), ``notify:`` (GOV.UK Notify: ``NOTIFY_API_KEY``,
  ``NOTIFY_SMS_TEMPLATE``, optional ``NOTIFY_BASE_URL``) or ``sms-voice:`` (Amazon's SMS
  service with boto3's own configuration; optional ``SMS_ORIGINATION_IDENTITY`` and
  ``SMS_CONFIGURATION_SET``).
- ``SUBSCRIBER_MAILER=notify:``: email through GOV.UK Notify (``NOTIFY_EMAIL_TEMPLATE``).
- ``SOCIAL_BLUESKY=https://HANDLE@PDS_HOST`` with ``SOCIAL_BLUESKY_PASSWORD`` (an app
  password); ``SOCIAL_MASTODON=https://INSTANCE_HOST`` with ``SOCIAL_MASTODON_TOKEN``;
  ``SOCIAL_TOPICS`` (comma-separated, default ``alerts``): what is posted.
  ``http://`` is taken on loopback only (tests), never for a real account.

Secrets are URLs (``file:///ABSOLUTE/PATH`` or ``ssm:///NAME``), never values in the
environment, as for SUBSCRIBER_SECRET.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from .config import ConfigError, file_url_path
from .ports import Mailer, SocialAccount, TextSender

VARIABLES = (
    "SUBSCRIBER_TEXTS", "NOTIFY_API_KEY", "NOTIFY_BASE_URL", "NOTIFY_SMS_TEMPLATE",
    "NOTIFY_EMAIL_TEMPLATE", "SMS_ORIGINATION_IDENTITY", "SMS_CONFIGURATION_SET",
    "SOCIAL_BLUESKY", "SOCIAL_BLUESKY_PASSWORD", "SOCIAL_MASTODON", "SOCIAL_MASTODON_TOKEN",
    "SOCIAL_TOPICS",
)  # fmt: skip
DEFAULT_SOCIAL_TOPICS = ("alerts",)


def read_secret(variable: str, url: str) -> str:
    """The text a secret URL holds (one line, trimmed): a file or an SSM SecureString."""
    where = urlsplit(url)
    if where.scheme == "ssm" and where.path:
        import boto3  # boto3's own configuration

        answer = boto3.client("ssm").get_parameter(Name=where.path, WithDecryption=True)
        value = str(answer["Parameter"]["Value"]).strip()
    elif where.scheme == "file":
        path = file_url_path(variable, url)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(
                f"{variable}: {path} cannot be read ({error.strerror}); it must be a file the"
                " service's user can read, holding the secret on one line"
            ) from None
    else:
        raise ConfigError(f"{variable}: '{url}' is not file:///ABSOLUTE/PATH or ssm:///NAME")
    if not value:
        raise ConfigError(f"{variable}: {url} is empty; put the secret in it")
    return value


class Providers:
    """The provider settings of one environment."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.env = {k: v for k, v in environ.items() if k in VARIABLES and v}

    def _need(self, variable: str, why: str) -> str:
        value = self.env.get(variable)
        if not value:
            raise ConfigError(f"{variable} is needed {why} (docs/deploy.md)")
        return value

    @property
    def offers_texts(self) -> bool:
        return bool(self.env.get("SUBSCRIBER_TEXTS"))

    def _notify_key(self, why: str) -> str:
        return read_secret("NOTIFY_API_KEY", self._need("NOTIFY_API_KEY", why))

    def texts(self) -> TextSender | None:
        scheme = self.env.get("SUBSCRIBER_TEXTS", "")
        if not scheme:
            return None
        if scheme == "notify:":
            from .adapters.govuk_notify import NotifyTexts

            why = "for SUBSCRIBER_TEXTS=notify:"
            return NotifyTexts(
                self._notify_key(why),
                self._need("NOTIFY_SMS_TEMPLATE", why),
                self.env.get("NOTIFY_BASE_URL"),
            )
        if scheme == "sms-voice:":
            from .adapters.sms_voice import AmazonTexts  # boto3's own configuration

            return AmazonTexts(
                self.env.get("SMS_ORIGINATION_IDENTITY"), self.env.get("SMS_CONFIGURATION_SET")
            )
        raise ConfigError(f"SUBSCRIBER_TEXTS: '{scheme}' is not notify: or sms-voice:")

    def notify_mailer(self) -> Mailer:
        from .adapters.govuk_notify import NotifyMailer

        why = "for SUBSCRIBER_MAILER=notify:"
        return NotifyMailer(
            self._notify_key(why),
            self._need("NOTIFY_EMAIL_TEMPLATE", why),
            self.env.get("NOTIFY_BASE_URL"),
        )

    @property
    def social_topics(self) -> frozenset[str]:
        listed = self.env.get("SOCIAL_TOPICS", ",".join(DEFAULT_SOCIAL_TOPICS))
        return frozenset(topic.strip() for topic in listed.split(",") if topic.strip())

    def social_accounts(self) -> list[SocialAccount]:
        accounts: list[SocialAccount] = []
        if "SOCIAL_BLUESKY" in self.env:
            from .adapters.bluesky import BlueskyAccount

            service, handle = account_url("SOCIAL_BLUESKY", self.env["SOCIAL_BLUESKY"])
            if not handle:
                raise ConfigError(
                    "SOCIAL_BLUESKY: give the account's handle, like https://HANDLE@bsky.social"
                )
            password = self._need("SOCIAL_BLUESKY_PASSWORD", "for SOCIAL_BLUESKY")
            accounts.append(
                BlueskyAccount(handle, read_secret("SOCIAL_BLUESKY_PASSWORD", password), service)
            )
        if "SOCIAL_MASTODON" in self.env:
            from .adapters.mastodon import MastodonAccount

            instance, _ = account_url("SOCIAL_MASTODON", self.env["SOCIAL_MASTODON"])
            token = self._need("SOCIAL_MASTODON_TOKEN", "for SOCIAL_MASTODON")
            accounts.append(MastodonAccount(instance, read_secret("SOCIAL_MASTODON_TOKEN", token)))
        return accounts


def account_url(variable: str, value: str) -> tuple[str, str]:
    """(the server's base URL, the user part) of ``https://USER@HOST``; ``http://`` only
    for a loopback host, since the account's password would otherwise cross the network
    in clear."""
    url = urlsplit(value)
    host = url.hostname or ""
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not host or url.scheme not in ("https", "http") or (url.scheme == "http" and not loopback):
        raise ConfigError(f"{variable}: '{value}' is not https://HOST (http:// only on loopback)")
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{host}{port}", unquote(url.username or "")
