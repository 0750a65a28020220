"""A replicated server for the tests (and the replication bench): ``serve`` as its own
process with SUBSCRIBER_REPLICA set (a folder, or a bucket in moto's S3 server), a real
SMTP server catching the mail, and residents who sign up and confirm through HTTP."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.signup_load import LINK, Catcher, call, text_of
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]
PID = re.compile(r"\(Litestream, pid (\d+)\)")


class Inbox(Catcher):
    """An SMTP server's handler keeping every message, read by recipient or subject."""

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def about(self, subject: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if subject in str(m["Subject"])]

    def first_to(self, address: str, seconds: float = 15) -> Message | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[0]
            time.sleep(0.05)
        return None


@contextmanager
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment less any backend settings, plus ``settings``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SUBSCRIBER_", "SITE_URL", "AWS_"))
    }
    if "AWS_CA_BUNDLE" in os.environ:  # kept: Litestream must cope with it
        env["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
    return {**env, "PYTHONPATH": str(ROOT), **settings}


def backend(
    work: Path, env: Mapping[str, str], *arguments: str
) -> subprocess.CompletedProcess[str]:
    """``python -m subscriber_lambda ...`` in ``work``, to its end."""
    return subprocess.run(
        [sys.executable, "-m", "subscriber_lambda", *arguments],
        cwd=work,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=180,
    )


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def litestream_pid(self, seconds: float = 20) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = PID.findall(self.log.read_text(errors="replace"))
            if found:
                return int(found[-1])
            time.sleep(0.05)
        raise AssertionError(f"no Litestream started:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        """Stop as a service manager does (SIGTERM); the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


@contextmanager
def serving(site: Path, work: Path, env: Mapping[str, str]) -> Iterator[Server]:
    """``serve`` on a free loopback port, until it answers (or fails the test)."""
    port = free_port()
    log = work / f"serve-{port}.log"
    command = ["serve", "--port", str(port), "--site-dir", str(site)]
    process = subprocess.Popen(
        [sys.executable, "-m", "subscriber_lambda", *command],
        cwd=work,
        env={**env, "SITE_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    try:
        while call(server.base, 0, "GET", "/")[0] != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()


def sign_up_and_confirm(base: str, inbox: Inbox, number: int, address: str) -> bool:
    """One resident, through the forms: sign up, open the emailed link, press confirm.
    True when the server said they are subscribed."""
    form = {"email": address, "topics": "alerts", "wards": "all"}
    if call(base, number, "POST", "/subscriptions/subscribe", form)[0] != 200:
        return False
    message = inbox.first_to(address)
    found = LINK.search(text_of(message)) if message else None
    if found is None:
        return False
    status, page, _ = call(base, number, "GET", found.group(1).removeprefix(base))
    token = re.search(r'name="token" value="([^"]+)"', page)
    if status != 200 or token is None:
        return False
    status, page, _ = call(
        base, number, "POST", "/subscriptions/confirm", {"token": html.unescape(token[1])}
    )
    return status == 200 and "You are subscribed" in page
