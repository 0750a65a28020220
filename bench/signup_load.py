"""A busy morning: many residents sign up at once after a flood warning, then confirm.

``python -m subscriber_lambda serve`` runs as its own process on 127.0.0.1 with a real
SQLite file; a real SMTP server (aiosmtpd) catches the mail. Each resident connects from
an address of their own in 127.0.0.0/8 (as residents behind their own connections do),
so per-client rate limits apply as in life. Then every confirmation link is followed (the
page, then its button), all at once too.

Checked, not only timed: every request answered 200; exactly one confirmation email per
resident, each carrying the link for its own recipient (the sealed token is opened and
its address compared with the email's To); every resident, and nobody else, confirmed.

    python bench/signup_load.py --residents 1000 --in-flight 200
"""

from __future__ import annotations

import argparse
import email
import html
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from subscriber_lambda.adapters.sqlite_store import SqliteStore  # noqa: E402
from subscriber_lambda.core.addresses import address_hash  # noqa: E402
from subscriber_lambda.core.tokens import Purpose, Signer  # noqa: E402

KEY = b"k" * 32
LINK = re.compile(r"(http://\S+/subscriptions/confirm\?token=([^&\s]+)\S*)")


@dataclass
class Catcher:
    """An SMTP server's handler keeping every message it accepts."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def wait_for(self, count: int, seconds: float) -> list[Message]:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # anything more (there must not be) arrives now
        with self.lock:
            return list(self.messages)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def resident_address(number: int) -> str:
    """A loopback address of the resident's own: 127.1.x.y."""
    return f"127.1.{number // 250}.{number % 250 + 1}"


def call(
    base: str, number: int, method: str, path: str, form: dict[str, str] | None = None
) -> tuple[int, str, float]:
    url = urlsplit(base)
    connection = http.client.HTTPConnection(
        url.hostname, url.port, timeout=60, source_address=(resident_address(number), 0)
    )
    body = urlencode(form).encode() if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": base} if body else {}
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        page = response.read().decode()
        return response.status, page, time.perf_counter() - started
    except OSError as error:
        return 0, str(error), time.perf_counter() - started
    finally:
        connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def phase(
    name: str, count: int, in_flight: int, one: Callable[[int], tuple[int, str, float]]
) -> dict[str, Any]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        results = list(pool.map(one, range(count)))
    seconds = time.perf_counter() - started
    latencies = [latency for _, _, latency in results]
    errors = [(n, status) for n, (status, _, _) in enumerate(results) if status != 200]
    return {
        "phase": name,
        "requests": count,
        "errors": len(errors),
        "first_errors": errors[:5],
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(percentile(latencies, 0.95) * 1000),
        "max_ms": round(max(latencies) * 1000),
    }


def start_server(site: Path, work: Path, smtp_port: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    secret = work / "secret"
    secret.write_text(KEY.hex())
    secret.chmod(0o600)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SUBSCRIBER_STORE": f"sqlite:///{work / 'subscribers.db'}",
        "SUBSCRIBER_SECRET": f"file://{secret}",
        "SUBSCRIBER_MAILER": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "subscriber_lambda",
            "serve",
            "--port",
            str(port),
            "--site-dir",
            str(site),
        ],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "serve.log", "wb"),  # noqa: SIM115 (closed with the process)
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if call(base, 0, "GET", "/")[0] == 200:
            return server, base
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"serve did not start: {(work / 'serve.log').read_text()[-2000:]}")


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    return ""


def run(site: Path, residents: int, in_flight: int, work: Path) -> dict[str, Any]:
    """Sign-ups, then confirmations; returns the figures and what was checked."""
    catcher = Catcher()
    smtp_port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server, base = start_server(site, work, smtp_port)
    addresses = [f"resident{n}@example.net" for n in range(residents)]
    problems: list[str] = []
    try:

        def sign_up(n: int) -> tuple[int, str, float]:
            form = {"email": addresses[n], "topics": "alerts", "wards": "all"}
            return call(base, n, "POST", "/subscriptions/subscribe", form)

        signing_up = phase("sign-up", residents, in_flight, sign_up)
        messages = catcher.wait_for(residents, seconds=120)
        signer, now = Signer(KEY), datetime.now(UTC)
        links: dict[str, str] = {}
        for message in messages:
            found = LINK.search(text_of(message))
            if found is None:
                problems.append(f"no confirmation link in the email to {message['To']}")
                continue
            sealed_for = signer.read(found.group(2), Purpose.CONFIRM, now)["email"]
            if sealed_for != message["To"]:
                problems.append(f"the email to {message['To']} carries {sealed_for}'s link")
            if message["To"] in links:
                problems.append(f"{message['To']} got more than one confirmation email")
            links[str(message["To"])] = found.group(1).removeprefix(base)
        if len(messages) != residents:
            problems.append(f"{len(messages)} confirmation emails for {residents} sign-ups")

        def confirm(n: int) -> tuple[int, str, float]:
            link = links.get(addresses[n])
            if link is None:
                return 0, "no link", 0.0
            status, page, first = call(base, n, "GET", link)
            token = re.search(r'name="token" value="([^"]+)"', page)
            if status != 200 or token is None:
                return status or 599, page, first
            status, page, second = call(
                base, n, "POST", "/subscriptions/confirm", {"token": html.unescape(token[1])}
            )
            ok = status == 200 and "You are subscribed" in page
            return (200 if ok else status or 599), page, first + second

        confirming = phase("confirm (page and button)", residents, in_flight, confirm)
        store = SqliteStore(work / "subscribers.db")
        confirmed = {s.email for s in store.subscribers()}
        if confirmed != set(addresses):
            problems.append(f"{len(confirmed ^ set(addresses))} addresses confirmed wrongly")
        for address in addresses[:: max(1, residents // 50)]:
            if store.subscriber_by_hash(address_hash(address, KEY)) is None:
                problems.append(f"{address} is not confirmed under its own key")
        store.close()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        controller.stop()
    return {
        "residents": residents,
        "in_flight": in_flight,
        "cores": os.cpu_count(),
        "phases": [signing_up, confirming],
        "emails": len(messages),
        "problems": problems,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=200)
    parser.add_argument("--site", type=Path, default=ROOT / "output", help="a built site")
    args = parser.parse_args()
    if not (args.site / "index.html").is_file():
        print(f"{args.site}: no built site; run 'make html' first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="signup-load-") as work:
        result = run(args.site, args.residents, args.in_flight, Path(work))
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "signup_load.json").write_text(json.dumps(result, indent=2))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
