"""The Lambda entry points named in template.yaml. Each builds what it needs from the
environment (the same variables as the embedded default, with AWS URLs) the first time it
needs it, keeps it for the container's life, then calls the handler in ``aws_lambda``.

Environment: SUBSCRIBER_STORE=dynamodb://TABLE, SUBSCRIBER_MAILER=ses://CONFIGURATION_SET,
ALERT_QUEUE_URL, ROUTINE_QUEUE_URL, SUBSCRIBER_SECRET=ssm:///PARAMETER, SITE_URL,
MAIL_FROM, SITE_BUCKET (the site's files: the page shell, form options, postcodes),
NOTIFY_MANIFEST (s3://bucket/api/v1/notify.json, for the sweeper), and the text provider
and social accounts (``providers.py``: SUBSCRIBER_TEXTS=sms-voice:, SOCIAL_*).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from mangum import Mangum

from .adapters.s3_site import SiteBucket
from .asgi import create_app
from .aws_lambda import HANDLERS
from .config import Config
from .core.tokens import Signer
from .digest import Digester
from .mail_jobs import MailJobs
from .notify import Links, Notifier, load_manifest
from .pages import Pages
from .ports import Mailer, Store, TextSender
from .reminders import Reminders
from .site_data import OPTIONS, SHELL, SiteData, shell_names
from .social import SocialPoster
from .web import Subscriptions


def now() -> datetime:
    return datetime.now(UTC)


def site_files(files: SiteBucket) -> SiteData:
    """The page shells and form options, copied from the site's bucket into a folder of
    the container's own; postcode files are read from the bucket when a resident types one.
    A language's shell may be missing (a site built before it was translated)."""
    copy = Path(tempfile.mkdtemp(prefix="site-"))
    for name in (OPTIONS, *shell_names()):
        data = files.read(name)
        if data is None and name in (SHELL, OPTIONS):
            raise FileNotFoundError(f"s3://{files.bucket}/{name} is missing: publish the site")
        if data is None:
            continue
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return SiteData.load(copy, files)


@dataclass
class FromEnvironment:
    """The handlers' ``Components``, each built the first time a handler uses it: the
    SES-events function, say, never reads the site's bucket nor builds a mailer, so its
    policy need not allow either (tests/test_policies.py checks every function's)."""

    clock: Callable[[], datetime] = now
    load_manifest: Callable[[str], dict[str, Any]] = load_manifest

    @cached_property
    def config(self) -> Config:
        return Config.from_environment()

    @cached_property
    def key(self) -> bytes:
        return self.config.secret()

    @cached_property
    def store(self) -> Store:
        return self.config.store()

    @cached_property
    def mailer(self) -> Mailer:
        return self.config.mailer()

    @cached_property
    def texts(self) -> TextSender | None:
        return self.config.providers.texts()

    @cached_property
    def site(self) -> SiteData:
        return site_files(SiteBucket(os.environ["SITE_BUCKET"]))

    @cached_property
    def links(self) -> Links:
        return Links(Signer(self.key), self.config.site_url)

    @cached_property
    def notifier(self) -> Notifier:
        from .adapters.sqs_queue import SqsQueue

        lanes = {
            "alerts": os.environ["ALERT_QUEUE_URL"],
            "routine": os.environ["ROUTINE_QUEUE_URL"],
        }
        config = self.config
        return Notifier(
            self.store,
            self.mailer,
            SqsQueue(lanes),
            self.links,
            config.mail_from,
            config.host,
            self.clock,
            config.send_exercises,
            texts=self.texts,
        )

    @cached_property
    def social(self) -> SocialPoster | None:
        """Posting is the publishing function's (the workers never post)."""
        providers = self.config.providers
        accounts = providers.social_accounts()
        if not accounts:
            return None
        return SocialPoster(self.store, accounts, providers.social_topics, self.clock)

    @cached_property
    def mail_jobs(self) -> MailJobs:
        config = self.config
        return MailJobs(
            self.store,
            self.mailer,
            Signer(self.key),
            self.pages,
            config.site_url,
            config.mail_from,
            config.host,
            self.clock,
            texts=self.texts,
            key=self.key,
        )

    @cached_property
    def digester(self) -> Digester:
        config = self.config
        return Digester(
            self.store,
            self.mailer,
            self.links,
            config.mail_from,
            config.host,
            self.pages,
            self.clock,
        )

    @cached_property
    def reminders(self) -> Reminders:
        """Each run reads the rounds and postcode files from the bucket afresh (a warm
        container's cached reader would keep last week's bin changes)."""
        config = self.config
        bucket = os.environ["SITE_BUCKET"]
        return Reminders(
            self.store,
            self.mailer,
            self.links,
            config.mail_from,
            config.host,
            self.pages,
            self.clock,
            texts=self.texts,
            site_files=lambda: SiteBucket(bucket),
        )

    @cached_property
    def pages(self) -> Pages:
        return Pages(self.site, self.config.site_url, self.config.providers.offers_texts)


@cache
def components() -> FromEnvironment:
    return FromEnvironment()


@cache
def http_app() -> Mangum:
    """The routes: the embedded server's ASGI application, behind API Gateway. It only
    records mail jobs (on the routine queue): the HTTP function never sends email."""
    from .adapters.sqs_queue import SqsJobs

    config = Config.from_environment()
    key = config.secret()
    site = site_files(SiteBucket(os.environ["SITE_BUCKET"]))
    pages = Pages(site, config.site_url, config.providers.offers_texts)
    jobs = SqsJobs(os.environ["ROUTINE_QUEUE_URL"])
    subscriptions = Subscriptions(config.store(), jobs, Signer(key), pages, key, now)
    return Mangum(create_app(subscriptions, config.site_url, None), lifespan="off")


def http_handler(event: dict[str, Any], context: Any) -> Any:
    return http_app()(event, context)


def publish_handler(event: dict[str, Any], context: Any) -> Any:
    return HANDLERS["publish"](components(), event)


def worker_handler(event: dict[str, Any], context: Any) -> Any:
    return HANDLERS["worker"](components(), event)


def ses_events_handler(event: dict[str, Any], context: Any) -> Any:
    return HANDLERS["ses_events"](components(), event)


def digest_handler(event: dict[str, Any], context: Any) -> Any:
    return HANDLERS["digest"](components(), event)


def reminders_handler(event: dict[str, Any], context: Any) -> Any:
    return HANDLERS["reminders"](components(), event)


def sweep_handler(event: dict[str, Any], context: Any) -> Any:
    return HANDLERS["sweep"](components(), {"manifest": os.environ["NOTIFY_MANIFEST"]})
