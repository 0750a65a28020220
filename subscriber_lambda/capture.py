"""A local mail catcher for ``make run``: an SMTP server (aiosmtpd) on 127.0.0.1 that writes
each message it receives to ``var/outbox/`` as an .eml file, so officers can open what
residents would receive. It delivers nothing anywhere."""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class OutboxHandler:
    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._numbers):05d}.eml"
        (self.outbox / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_capture(host: str, port: int, outbox: Path) -> Controller:
    """Starts in a thread; call .stop() to end it. aiosmtpd logs each recipient at INFO:
    its log is kept to warnings, so no address reaches the server's log."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(OutboxHandler(outbox), hostname=host, port=port)
    controller.start()
    return controller
