"""The Lambda entry points named in template.yaml. Each builds its components once per
container from the environment (the same variables as the embedded default, with AWS
URLs), then calls the handler in ``aws_lambda``.

Environment: SUBSCRIBER_STORE=dynamodb://TABLE, SUBSCRIBER_MAILER=ses://CONFIGURATION_SET,
ALERT_QUEUE_URL, ROUTINE_QUEUE_URL, SUBSCRIBER_SECRET=ssm:///PARAMETER, SITE_URL,
MAIL_FROM, SITE_BUCKET (the site's files: the page shell, form options, postcodes) and
NOTIFY_MANIFEST (s3://bucket/api/v1/notify.json, for the sweeper).
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from mangum import Mangum

from .adapters.s3_site import SiteBucket
from .asgi import create_app
from .aws_lambda import HANDLERS, Components
from .config import Config
from .core.tokens import Signer
from .digest import Digester
from .mail_jobs import MailJobs
from .notify import Links, Notifier, load_manifest
from .pages import Pages
from .site_data import OPTIONS, SHELL, SiteData
from .web import Subscriptions


def now() -> datetime:
    return datetime.now(UTC)


def site_files(files: SiteBucket) -> SiteData:
    """The page shell and form options, copied from the site's bucket into a folder of the
    container's own; postcode files are read from the bucket when a resident types one."""
    copy = Path(tempfile.mkdtemp(prefix="site-"))
    for name in (SHELL, OPTIONS):
        data = files.read(name)
        if data is None:
            raise FileNotFoundError(f"s3://{files.bucket}/{name} is missing: publish the site")
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return SiteData.load(copy, files)


@cache
def components() -> Components:
    """What the publish, worker, SES-event, digest and sweep handlers need."""
    from .adapters.sqs_queue import SqsQueue

    config = Config.from_environment()
    key = config.secret()
    store, mailer, signer = config.store(), config.mailer(), Signer(key)
    queue = SqsQueue(
        {"alerts": os.environ["ALERT_QUEUE_URL"], "routine": os.environ["ROUTINE_QUEUE_URL"]}
    )
    links = Links(signer, config.site_url)
    site = site_files(SiteBucket(os.environ["SITE_BUCKET"]))
    notifier = Notifier(
        store, mailer, queue, links, config.mail_from, config.host, now, config.send_exercises
    )
    mail_jobs = MailJobs(
        store,
        mailer,
        signer,
        Pages(site, config.site_url),
        config.site_url,
        config.mail_from,
        config.host,
        now,
    )
    digester = Digester(store, mailer, links, config.mail_from, config.host, site.council, now)
    return Components(store, notifier, mail_jobs, digester, key, load_manifest)


@cache
def http_app() -> Mangum:
    """The routes: the embedded server's ASGI application, behind API Gateway. It only
    records mail jobs (on the routine queue): the HTTP function never sends email."""
    from .adapters.sqs_queue import SqsJobs

    config = Config.from_environment()
    key = config.secret()
    pages = Pages(site_files(SiteBucket(os.environ["SITE_BUCKET"])), config.site_url)
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


def sweep_handler(event: dict[str, Any], context: Any) -> Any:
    return HANDLERS["sweep"](components(), {"manifest": os.environ["NOTIFY_MANIFEST"]})
