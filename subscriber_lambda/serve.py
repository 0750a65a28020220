"""``python -m subscriber_lambda serve``: the built site and the subscription routes on one
port, under uvicorn, with the sender threads that send the routes' emails.

Hard limits, whatever a client sends: request bodies (enforced while reading, so a false
or missing Content-Length cannot get past it), header size and concurrent requests
(``asgi.py``), a deadline for reading each request and connections per client
(``http_protocol.py``), a backlog and an idle timeout on kept-alive connections. Behind a
reverse proxy the real client address is taken from ``X-Forwarded-For`` only when the
connection comes from a proxy named with ``--trusted-proxy`` (docs/deploy.md has nginx
and Caddy set-ups).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from .asgi import MAX_HEADERS, PROBLEMS, create_app
from .config import Config
from .core.tokens import Signer
from .http_protocol import READ_TIMEOUT, protocol
from .mail_jobs import JobRunner, MailJobs
from .pages import Pages
from .site_data import SiteData
from .site_policy import NEVER, security_headers
from .web import Subscriptions

log = logging.getLogger(__name__)

BACKLOG = 2048  # connections waiting to be accepted
KEEP_ALIVE = 5  # seconds an idle kept-alive connection stays open
SENDER_THREADS = 2


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    site_dir: Path
    trusted_proxies: tuple[str, ...] = ()
    clock: Callable[[], datetime] = now
    read_timeout: float = READ_TIMEOUT


def server(config: Config, options: ServeOptions) -> tuple[uvicorn.Server, JobRunner]:
    """The server (not yet started) and its sender threads (not yet started)."""
    from .adapters.sqlite_jobs import SqliteJobs

    key = config.secret()
    signer = Signer(key)
    providers = config.providers
    pages = Pages(SiteData.load(options.site_dir), config.site_url, providers.offers_texts)

    def sender() -> MailJobs:  # each sender thread its own store, mail and text connections
        return MailJobs(
            store=config.store(),
            mailer=config.mailer(),
            signer=signer,
            pages=pages,
            site_url=config.site_url,
            sender=config.mail_from,
            host=config.host,
            clock=options.clock,
            texts=providers.texts(),
            key=key,
        )

    jobs = SqliteJobs(config.jobs_path(), options.clock)
    runner = JobRunner(jobs, sender, options.clock, threads=SENDER_THREADS)
    subscriptions = Subscriptions(config.store(), jobs, signer, pages, key, options.clock)
    app = create_app(subscriptions, config.site_url, options.site_dir)
    uvicorn_config = uvicorn.Config(
        app,
        http=protocol(
            options.read_timeout,
            options.trusted_proxies,
            {**security_headers("/", https=False), "Cache-Control": NEVER},
            pages.problem(400, PROBLEMS[400]).html,
        ),
        host=options.host,
        port=options.port,
        proxy_headers=bool(options.trusted_proxies),
        forwarded_allow_ips=list(options.trusted_proxies) or None,
        access_log=False,
        server_header=False,
        backlog=BACKLOG,
        timeout_keep_alive=KEEP_ALIVE,
        timeout_graceful_shutdown=10,
        h11_max_incomplete_event_size=MAX_HEADERS,
        lifespan="off",
        log_config=None,
    )
    # uvicorn's access log would write query strings, and links carry tokens: ours
    # (asgi.SitePolicy) logs paths only. Disabled, not just unhandled, so no handler added
    # later (a journal, a test's log capture) can bring it back.
    logging.getLogger("uvicorn.access").disabled = True
    return uvicorn.Server(uvicorn_config), runner
