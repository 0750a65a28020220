"""Starting the local stand-ins the tests talk to: free loopback ports, and waiting for a
server to listen."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"{what} did not start on 127.0.0.1:{port}")


def serve_on_loopback(
    port: int, handler: type[BaseHTTPRequestHandler], owner: object
) -> ThreadingHTTPServer:
    """A stand-in's HTTP server on 127.0.0.1:``port``, serving in a thread of its own;
    handlers find ``owner`` (the stand-in's state) as ``self.server.fake``."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    server.fake = owner  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def stop_serving(server: ThreadingHTTPServer) -> None:
    """Stop listening: later requests find no server (connection refused)."""
    server.shutdown()
    server.server_close()
