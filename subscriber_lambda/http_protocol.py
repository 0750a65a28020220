"""uvicorn's HTTP/1.1 protocol with the limits a public server needs that uvicorn lacks.

- A deadline for reading each request: uvicorn closes connections idle between
  requests, but not one that sends its request line, headers or body slowly (or nothing
  after connecting), so a few hundred such clients could hold every connection. Here each
  request, from the moment the connection opens or the previous response ends, must
  arrive whole within ``read_timeout`` seconds, or the connection is closed.
- At most ``per_client`` connections open from one client (an IPv4 address or an IPv6
  /64, ``core.clients``; a trusted proxy excepted),
  and ``max_connections`` in all: one client opening a thousand idle connections cannot
  shut everyone else out.
- A request uvicorn cannot parse (a false Content-Length, no Host, bad bytes) gets the
  site's own 400 page with the security headers, not a bare line of text.

The server runs this class in place of uvicorn's own (``uvicorn.Config(http=...)``). It
relies on hooks of uvicorn's h11 protocol, so uvicorn and h11 are pinned and
tests/test_backend_http.py checks each behaviour.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .core.clients import client_key

READ_TIMEOUT = 15.0  # seconds: a 16 KiB form on a slow mobile link takes well under this
PER_CLIENT = 64  # connections open at once from one address
MAX_CONNECTIONS = 2000


class NoticeboardH11(H11Protocol):
    read_timeout: ClassVar[float] = READ_TIMEOUT
    per_client: ClassVar[int] = PER_CLIENT
    max_connections: ClassVar[int] = MAX_CONNECTIONS
    trusted: ClassVar[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]] = ()
    bad_request: ClassVar[tuple[list[tuple[bytes, bytes]], bytes]] = ([], b"Bad request")
    # Open connections per client address: touched only on the server's event loop thread
    # (protocol callbacks run there), so it needs no lock.
    open_by_client: ClassVar[Counter[str]] = Counter()
    _read_deadline: asyncio.TimerHandle | None = None
    _counted: str | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        address = self.client[0] if self.client else ""
        crowded = len(self.connections) > self.max_connections
        if not self._trusted(address):
            self._counted = key = client_key(address)
            self.open_by_client[key] += 1
            crowded = crowded or self.open_by_client[key] > self.per_client
        if crowded:
            transport.close()
            return
        self._arm_read_deadline()

    def _trusted(self, address: str) -> bool:
        try:
            found = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(found in network for network in self.trusted)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_deadline()
        if self._counted is not None:
            self.open_by_client[self._counted] -= 1
            if self.open_by_client[self._counted] <= 0:
                del self.open_by_client[self._counted]
            self._counted = None
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._cancel_read_deadline()  # the request is in (or the connection is ending)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_read_deadline()  # the next request on this connection

    def send_400_response(self, msg: str) -> None:
        headers, page = self.bad_request
        response = h11.Response(
            status_code=400,
            headers=[*headers, (b"content-length", str(len(page)).encode())],
            reason=b"Bad Request",
        )
        self.transport.write(self.conn.send(response))
        self.transport.write(self.conn.send(h11.Data(data=page)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()

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


def protocol(
    read_timeout: float,
    trusted: tuple[str, ...],
    bad_request_headers: dict[str, str],
    bad_request_page: str,
) -> type[NoticeboardH11]:
    """The protocol class with this server's settings and its 400 page."""
    headers = [(k.lower().encode(), v.encode()) for k, v in bad_request_headers.items()]
    settings = {
        "read_timeout": read_timeout,
        "trusted": tuple(ipaddress.ip_network(proxy, strict=False) for proxy in trusted),
        "bad_request": (
            [(b"content-type", b"text/html; charset=utf-8"), (b"connection", b"close"), *headers],
            bad_request_page.encode("utf-8"),
        ),
        "open_by_client": Counter(),
    }
    return type("NoticeboardH11", (NoticeboardH11,), settings)
