"""Planning text messages: time, peak memory and the segments counted, for 100,000 contact
points (confirmed mobile numbers) and one district-wide alert that all of them want by
text, in English and in Polish (half the residents chose Polish: UCS-2, more segments).

A SQLite store (in a temporary folder) is filled in one process; a fresh process then runs
``Notifier.forecast`` (the plan ``notify`` prints before sending, and all of DRY_RUN), and
with --send the whole run: each text claimed in the ledger, handed to a provider that only
counts it, and marked sent, beside each resident's email to a counting mailer.

    python bench/texts_bench.py --contacts 10000 100000 [--send]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
import json, sys, tempfile
from datetime import datetime, UTC
if not sys.argv[1].startswith((tempfile.gettempdir(), "/dev/shm")):
    sys.exit(f"{sys.argv[1]}: the benchmark store must be in a temporary folder")
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.phones import stop_code
from subscriber_lambda.core.preferences import Preferences
key = b"k" * 32
store = SqliteStore(sys.argv[1])
then = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
store._db.execute("BEGIN")
for n in range(int(sys.argv[2])):
    lang = "pl" if n % 2 else "en"
    prefs = Preferences(frozenset({"alerts"}), frozenset({"all"}), lang=lang,
                        text_topics=frozenset({"alerts"}))
    email, number = f"resident{n}@example.net", f"+4474{n:08d}"
    number_hash = address_hash(number, key)
    store._db.execute(
        "INSERT INTO subscribers (id, email, email_hash, preferences, frequency, confirmed_at)"
        " VALUES (?, ?, ?, ?, 'immediate', ?)",
        (n + 1, email, address_hash(email, key), json.dumps(prefs.to_dict()), then),
    )
    store._db.execute(
        "INSERT INTO phones (subscriber_id, number, number_hash, stop_code, confirmed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (n + 1, number, number_hash, stop_code(key, number_hash), then),
    )
store._db.execute("COMMIT")
"""

RUN = """
import json, resource, sys, time
from datetime import datetime, UTC
from subscriber_lambda.adapters.inline_queue import InlineQueue
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.texts import fit_text, text_length, stop_line, STOP_CODE_LENGTH
from subscriber_lambda.core.tokens import Signer
from subscriber_lambda.notify import Links, Notifier

SITE = "https://noticeboard.dover.gov.uk"

def version(lang, title, area, instruction):
    url = f"{SITE}/{'' if lang == 'en' else lang + '/'}alerts/flood-stour/"
    text = fit_text([title, area, instruction], url, SITE)
    sent = text_length(text + "\\n" + stop_line(SITE, "x" * STOP_CODE_LENGTH))
    return {"lang": lang, "url": url, "title": title, "summary": title,
            "text": {"body": text, "encoding": sent.encoding, "segments": sent.segments},
            "email": {"subject": title, "text": title + " ((unsubscribe_url))",
                      "html": "<p>" + title + "</p>"}}

item = {"id": "alerts/flood", "revision": "2026-11-28T09:00:00+00:00", "type": "alerts",
        "urgency": "immediate", "published": "2026-11-28T09:00:00+00:00", "exercise": False,
        "wards": [], "district_wide": True, "versions": [
            version("en", "Severe flood warning: River Stour", "Area: Sandwich and Deal",
                    "Move to higher ground now."),
            version("pl", "Poważne ostrzeżenie powodziowe: rzeka Stour",
                    "Obszar: Sandwich i Deal", "Przejdź wyżej.")]}

class Counter:
    sent = 0
    def send(self, message):
        self.sent += 1
    def send_text(self, number, body, reference):
        self.sent += 1
    def opt_outs(self, since):
        return iter(())

store = SqliteStore(sys.argv[1])
texts = Counter()
notifier = Notifier(store, Counter(), InlineQueue(), Links(Signer(b"k" * 32), SITE),
                    "C <c@example.org>", "example.org", lambda: datetime.now(UTC),
                    texts=texts)
start, cpu = time.perf_counter(), time.process_time()
plan = notifier.forecast({"items": [item]})
planned = time.perf_counter() - start, time.process_time() - cpu
result = {"texts": plan.texts, "segments": plan.segments, "emails": plan.emails,
          "plan_seconds": planned[0], "plan_cpu": planned[1]}
if sys.argv[2] == "send":
    start = time.perf_counter()
    report = notifier.run({"items": [item]})
    result.update(sent_texts=report.texts, sent_segments=report.segments,
                  run_seconds=time.perf_counter() - start)
result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def measure(contacts: int, send: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = str(Path(folder) / "subscribers.db")
        subprocess.run([sys.executable, "-c", SETUP, store, str(contacts)], cwd=ROOT, check=True)
        mode = "send" if send else "plan"
        done = subprocess.run(
            [sys.executable, "-c", RUN, store, mode],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        result: dict[str, float] = json.loads(done.stdout)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--send", action="store_true", help="also run notify with counters")
    args = parser.parse_args()
    for contacts in args.contacts:
        result = measure(contacts, args.send)
        print(json.dumps({"contacts": contacts, **result}))


if __name__ == "__main__":
    main()
