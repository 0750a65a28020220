"""Notify throughput: personalised messages built and handed to the mailer per second, for
10,000 and 100,000 subscribers, and the notify process's peak memory.

A subscriber store (SQLite, on the RAM disk) is filled in one process; notify runs in a
fresh process against it, with one district-wide alert that every subscriber gets. The
mailer is either a counter (the core's speed: build each MIME message and hand it over) or
a real SMTP server on 127.0.0.1 (aiosmtpd, in another process) with --smtp.

    python bench/notify_bench.py --subscribers 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
import json, sys, tempfile
from datetime import datetime, UTC
# Benchmarks write only to temporary folders (a store was once committed by mistake).
if not sys.argv[1].startswith((tempfile.gettempdir(), "/dev/shm")):
    sys.exit(f"{sys.argv[1]}: the benchmark store must be in a temporary folder")
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.preferences import Preferences
store = SqliteStore(sys.argv[1])
prefs = Preferences(frozenset({"alerts"}), frozenset({"all"}))
# When they confirmed (argv[3], ISO 8601): they get only what is published after it.
then = datetime.fromisoformat(sys.argv[3] if len(sys.argv) > 3 else "2026-01-01T00:00:00+00:00")
store._db.execute("BEGIN")
for n in range(int(sys.argv[2])):
    email = f"resident{n}@example.net"
    store._db.execute(
        "INSERT INTO subscribers (email, email_hash, preferences, frequency, confirmed_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (email, address_hash(email, b"k" * 32), json.dumps(prefs.to_dict()), "immediate",
         then.isoformat()),
    )
store._db.execute("COMMIT")
"""

RUN = """
import json, sys, time
from datetime import datetime, UTC
from subscriber_lambda.adapters.inline_queue import InlineQueue
from subscriber_lambda.adapters.smtp_mailer import SmtpMailer
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.tokens import Signer
from subscriber_lambda.notify import Links, Notifier

class Counter:
    sent = 0
    def send(self, message):
        message.as_bytes()  # what handing it to SMTP costs on our side
        self.sent += 1

port = int(sys.argv[3])
mailer = SmtpMailer("127.0.0.1", port) if port else Counter()
manifest = json.load(open(sys.argv[2]))
links = Links(Signer(b"k" * 32), "https://noticeboard.example.org")
notifier = Notifier(SqliteStore(sys.argv[1]), mailer, InlineQueue(), links,
                    "Council <noticeboard@example.org>", "noticeboard.example.org",
                    lambda: datetime.now(UTC))
started = time.perf_counter()
report = notifier.run(manifest)
print(json.dumps({"sent": report.sent, "seconds": time.perf_counter() - started}))
"""

# An SMTP server that accepts everything; when its input closes it says when it accepted
# the first and the last message, and how many.
CATCHER = """
import json, sys, time
from aiosmtpd.controller import Controller
class Sink:
    first = last = None
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Sink.last = time.time()
        Sink.first = Sink.first or Sink.last
        Sink.count += 1
        return "250 OK"
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.read()
controller.stop()
print(json.dumps({"first": Sink.first, "last": Sink.last, "count": Sink.count}))
"""


def smtp_catcher(port: int) -> subprocess.Popen[str]:
    """CATCHER on 127.0.0.1:``port``, once it listens; close its input to stop it."""
    catcher = subprocess.Popen(
        [sys.executable, "-c", CATCHER, str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert catcher.stdout is not None and catcher.stdout.readline().strip() == "ready"
    return catcher


def manifest(path: Path) -> None:
    email = {
        "subject": "Severe alert: Flood warning: River Stour at Sandwich",
        "text": "Flooding is expected.\\n\\nRead it: https://noticeboard.example.org/alerts/flood/\\n"
        "Change what you get: ((manage_url))\\nUnsubscribe: ((unsubscribe_url))\\n" * 3,
        "html": "<html><body><p>Flooding is expected.</p>"
        + "<p>Lorem ipsum dolor sit amet.</p>" * 40
        + '<a href="((manage_url))">Change</a> '
        + '<a href="((unsubscribe_url))">Unsubscribe</a></body></html>',
    }
    item = {
        "id": "alerts/flood",
        "revision": "2026-11-28T07:15:00+00:00",
        "type": "alerts",
        "topic_detail": "flooding",
        "supersedes": None,
        "urgency": "immediate",
        "exercise": False,
        "wards": ["sandwich"],
        "district_wide": True,
        "published": "2026-11-28T07:15:00+00:00",
        "versions": [
            {
                "lang": "en",
                "url": "https://noticeboard.example.org/alerts/flood/",
                "title": "Flood warning",
                "summary": "Flooding is expected.",
                "email": email,
            }
        ],
    }
    path.write_text(json.dumps({"council": "Council", "site_url": "https://x", "items": [item]}))


def run(subscribers: int, smtp: bool, work: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    db, data = work / f"subscribers-{subscribers}.db", work / "notify.json"
    manifest(data)
    subprocess.run([sys.executable, "-c", SETUP, str(db), str(subscribers)], env=env, check=True)
    catcher = None
    port = 0
    if smtp:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        catcher = smtp_catcher(port)
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, str(db), str(data), str(port)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    assert process.stdout is not None
    result = json.loads(process.stdout.read())
    if catcher:
        catcher.communicate("")
    if status != 0:
        raise SystemExit("notify failed")
    return {
        "subscribers": subscribers,
        "mailer": "smtp (aiosmtpd on 127.0.0.1)" if smtp else "counter",
        "sent": result["sent"],
        "seconds": round(result["seconds"], 1),
        "per_second": round(result["sent"] / result["seconds"]),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--smtp", action="store_true", help="send to a real SMTP server on 127.0.0.1"
    )
    args = parser.parse_args()
    work_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="notify-bench-", dir=work_dir) as work:
        for count in args.subscribers:
            print(json.dumps(run(count, args.smtp, Path(work))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
