"""Configuration by environment, one URL each, so the same code runs embedded or on AWS
(shared/design.md): SUBSCRIBER_STORE, SUBSCRIBER_MAILER, SUBSCRIBER_QUEUE,
SUBSCRIBER_SECRET, SITE_URL, MAIL_FROM."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .adapters.inline_queue import InlineQueue
from .adapters.smtp_mailer import SmtpMailer
from .adapters.sqlite_store import SqliteStore
from .ports import Mailer, Queue, Store

DEFAULTS = {
    "SUBSCRIBER_STORE": "sqlite:///var/subscribers.db",
    "SUBSCRIBER_MAILER": "smtp://127.0.0.1:8025",
    "SUBSCRIBER_QUEUE": "inline",
    "SUBSCRIBER_SECRET": "file:///var/subscriber-secret",
    "SITE_URL": "http://127.0.0.1:8000",
    "MAIL_FROM": "Council noticeboard <noticeboard@example.org>",
    "SUBSCRIBER_SEND_EXERCISES": "no",
}


def url_path(path: str) -> Path:
    """As SQLAlchemy writes them: sqlite:///var/x.db is relative, sqlite:////srv/x.db absolute."""
    return Path(unquote(path)[1:])


class ConfigError(ValueError):
    """A setting that cannot be used: the message names the variable and what to do."""


@dataclass(frozen=True)
class Config:
    store_url: str
    mailer_url: str
    queue_url: str
    secret_url: str
    site_url: str
    mail_from: str
    send_exercises: bool

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = {**DEFAULTS, **{k: v for k, v in (environ or os.environ).items() if k in DEFAULTS}}
        site = env["SITE_URL"].rstrip("/")
        if not site.startswith(("http://", "https://")):
            raise ConfigError(f"SITE_URL: '{site}' must be a full http(s) address")
        return cls(
            store_url=env["SUBSCRIBER_STORE"],
            mailer_url=env["SUBSCRIBER_MAILER"],
            queue_url=env["SUBSCRIBER_QUEUE"],
            secret_url=env["SUBSCRIBER_SECRET"],
            site_url=site,
            mail_from=env["MAIL_FROM"],
            send_exercises=env["SUBSCRIBER_SEND_EXERCISES"].lower() in ("yes", "true", "1"),
        )

    @property
    def host(self) -> str:
        return urlsplit(self.site_url).netloc

    def store(self) -> Store:
        url = urlsplit(self.store_url)
        if url.scheme == "sqlite":
            return SqliteStore(url_path(url.path))
        if url.scheme == "dynamodb" and url.netloc:
            from .adapters.dynamodb_store import DynamoStore  # boto3's own configuration

            return DynamoStore(url.netloc)
        raise ConfigError(
            f"SUBSCRIBER_STORE: '{self.store_url}' is not sqlite:///PATH or dynamodb://TABLE"
        )

    def jobs_path(self) -> Path:
        """Where the embedded server keeps the routes' mail jobs: the store's SQLite file,
        or a file of its own beside it when the store is elsewhere."""
        url = urlsplit(self.store_url)
        return url_path(url.path) if url.scheme == "sqlite" else Path("var/mail-jobs.db")

    def mailer(self) -> Mailer:
        url = urlsplit(self.mailer_url)
        if url.scheme in ("smtp", "smtp+starttls"):
            query = parse_qs(url.query)
            return SmtpMailer(
                host=url.hostname or "127.0.0.1",
                port=url.port or 25,
                starttls=url.scheme == "smtp+starttls" or query.get("starttls") == ["1"],
                username=unquote(url.username) if url.username else None,
                password=unquote(url.password) if url.password else None,
            )
        if url.scheme == "ses" and url.netloc:
            from .adapters.ses_mailer import SesMailer  # boto3's own configuration

            return SesMailer(url.netloc)
        raise ConfigError(
            f"SUBSCRIBER_MAILER: '{self.mailer_url}' is not smtp://HOST:PORT or ses://CONFIG_SET"
        )

    def queue(self) -> Queue:
        if self.queue_url == "inline":
            return InlineQueue()
        raise ConfigError(
            f"SUBSCRIBER_QUEUE: '{self.queue_url}' is not inline; SQS queues are for the AWS"
            " adapters, which take ALERT_QUEUE_URL and ROUTINE_QUEUE_URL (docs/deploy.md)"
        )

    def secret(self) -> bytes:
        """The signing key: from an SSM SecureString (ssm:///NAME) or a file (made on first
        run, readable only by its owner)."""
        url = urlsplit(self.secret_url)
        if url.scheme == "ssm" and url.path:
            import boto3  # boto3's own configuration

            parameter = boto3.client("ssm").get_parameter(Name=url.path, WithDecryption=True)
            return bytes.fromhex(parameter["Parameter"]["Value"])
        if url.scheme != "file":
            raise ConfigError(
                f"SUBSCRIBER_SECRET: '{self.secret_url}' is not file:///PATH or ssm:///NAME"
            )
        path = url_path(url.path)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())
