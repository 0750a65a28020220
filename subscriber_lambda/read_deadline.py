"""uvicorn's HTTP/1.1 protocol with a deadline for reading each request.

uvicorn closes connections that sit idle between requests, but not one that sends its
request line, headers or body slowly (or sends nothing after connecting): a few hundred
such clients would hold every connection the server allows. Here each request, from the
moment the connection opens or the previous response ends, must arrive whole within
``read_timeout`` seconds, or the connection is closed. The server runs this class in
place of uvicorn's own (``uvicorn.Config(http=...)``); it relies on uvicorn's h11
protocol's hooks, so uvicorn is pinned and tests/test_backend_http.py checks it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

READ_TIMEOUT = 15.0  # seconds: a 16 KiB form on a slow mobile link takes well under this


class H11WithReadDeadline(H11Protocol):
    read_timeout = READ_TIMEOUT
    _read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_deadline()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._cancel_read_deadline()  # the request is in (or the connection is ending)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_read_deadline()  # the next request on this connection

    def _arm_read_deadline(self) -> None:
        self._cancel_read_deadline()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _cancel_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        reading = self.conn.their_state in (h11.IDLE, h11.SEND_BODY)
        if reading and not self.transport.is_closing():
            self.transport.close()


def with_read_timeout(seconds: float) -> type[H11WithReadDeadline]:
    """The protocol class with another deadline (tests use a short one)."""
    return type("H11WithReadDeadline", (H11WithReadDeadline,), {"read_timeout": seconds})
