"""The embedded server as residents meet it: ``serve``'s own uvicorn server and sender
threads, started in this process on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from subscriber_lambda.config import Config
from subscriber_lambda.serve import ServeOptions, server
from tests.services import free_port


def backend_environment(var: Path, key: bytes, smtp_port: int | None = None) -> dict[str, str]:
    """Settings for a server whose store and secret live in ``var``."""
    var.mkdir(parents=True, exist_ok=True)
    secret = var / "secret"
    secret.write_text(key.hex())
    secret.chmod(0o600)
    return {
        "SUBSCRIBER_STORE": f"sqlite:///{var / 'subscribers.db'}",
        "SUBSCRIBER_SECRET": f"file://{secret}",
        "SUBSCRIBER_MAILER": f"smtp://127.0.0.1:{smtp_port or free_port()}",
        "MAIL_FROM": "Dover District Council <noticeboard@example.org>",
    }


@contextmanager
def running(
    site_dir: Path,
    environment: dict[str, str],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    trusted_proxies: tuple[str, ...] = (),
    site_url: str | None = None,
    read_timeout: float = 15,
) -> Iterator[str]:
    """Serve ``site_dir`` and the routes; yields the base URL. Stops within seconds."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = Config.from_environment({**environment, "SITE_URL": site_url or base})
    options = ServeOptions("127.0.0.1", port, site_dir, trusted_proxies, clock, read_timeout)
    http_server, senders = server(config, options)
    senders.start()
    thread = threading.Thread(target=http_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not http_server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert http_server.started, f"the server did not start on {base}"
    try:
        yield base
    finally:
        http_server.should_exit = True
        thread.join(15)
        senders.stop()
