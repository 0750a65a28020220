"""``python -m subscriber_lambda``: serve | notify | digest | reminders | demand | feedback |
report | erase | export | restore.

serve   the built site and the subscription routes on one local port; with
        SUBSCRIBER_REPLICA set, the store is replicated there continuously (Litestream)
restore rebuild the embedded store (and the signing key) from SUBSCRIBER_REPLICA; an
        existing store is replaced only with --force, and never while it is in use
notify  send new items of a notify manifest (a file or the published URL) by email and
        text, and post them on the council's accounts; it prints its plan (emails, texts,
        segments, posts) first, and with DRY_RUN=1 only that
digest  send daily or weekly summaries (run from a schedule)
reminders
        bin-day reminders for the collections of the day after --on (default today in
        London): run it from a schedule at 18:00
demand  for each alert, the residents who chose a language it has no version in
feedback
        take the complaints (ARF) and bounces (DSN) a relay or a mailbox provider mails
        back: report files, a Maildir's new messages, or one message on standard input
        (a mail alias's pipe); complaints and bounces about the address suppress it
report  reach: per item and channel, per day, and subscribers, from aggregate counters
        (tables on a terminal; --csv DIR, --json FILE; docs/reach.md defines each figure)
export  print everything held about one person, by email address or mobile number
        (JSON), for a subject access request
erase   delete one person (by address or number) and everything held under it, but for a
        suppression (bounce or complaint: only a keyed hash, kept so that the address is
        never mailed again)

notify, digest and reminders exit with 0 when every email was dealt with, 75 (EX_TEMPFAIL) when some
were deferred (run again after the time the summary gives), and 1 when they stopped
because the mail system was unavailable (run again: nothing sent is sent twice).
"""

from __future__ import annotations

import argparse
import fcntl
import itertools
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config import Config, ConfigError, url_path
from .core.addresses import AddressError, address_hash, normalise_address
from .core.matching import translation_demand
from .core.phones import PhoneError, normalise_phone
from .core.reach import LEFT
from .core.tokens import Signer
from .feedback import NotMail, incoming, take_all
from .notify import (
    DeliveryCounts,
    Links,
    ManifestError,
    Notifier,
    apply_opt_outs,
    demand_lines,
    load_manifest,
    progress_stream,
)
from .ports import DeliveryError, Store, TextSender
from .reach import build_report, count_change, print_tables, summary, write_csv, write_json
from .site_data import OPTIONS, SiteData
from .social import SocialPoster


def now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m subscriber_lambda",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the built site and the routes on one port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--site-dir", type=Path, default=Path("output"))
    serve.add_argument(
        "--capture-mail", metavar="HOST:PORT", help="also run a mail catcher writing var/outbox/"
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a reverse proxy (IP address or network) whose X-Forwarded-For and"
        " X-Forwarded-Proto are believed; repeat for several (default: none)",
    )
    notify = commands.add_parser("notify", help="email new items of a notify manifest")
    notify.add_argument("manifest", help="path or URL of api/v1/notify.json")
    digest = commands.add_parser("digest", help="send daily or weekly summaries")
    digest.add_argument("--frequency", choices=("daily", "weekly"), required=True)
    digest.add_argument(
        "--site-dir", type=Path, default=Path("output"), help="the built site (the council's name)"
    )
    reminders = commands.add_parser("reminders", help="send bin-day reminders (evening before)")
    reminders.add_argument(
        "--on",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="remind of the collections of the day after this one (default today in London)",
    )
    reminders.add_argument(
        "--site-dir", type=Path, default=Path("output"), help="the built site (its rounds)"
    )
    demand = commands.add_parser(
        "demand", help="alerts some residents get in a language they did not choose"
    )
    demand.add_argument("manifest", help="path or URL of api/v1/notify.json")
    demand.add_argument(
        "--at",
        type=datetime.fromisoformat,
        help="count the alerts in force at this time (ISO 8601; default now)",
    )
    feedback = commands.add_parser(
        "feedback",
        help="take complaints and bounces mailed back (files, a Maildir or stdin)",
        description="Take the abuse reports (ARF) and bounce reports (DSN) mailed back about"
        " our emails: complaints and bounces about the address suppress it, and each report"
        " counts for its item's reach. Only reports quoting one of our emails' signed"
        " unsubscribe links count. A Maildir's new messages are deleted once taken. With no"
        " path, one message is read from standard input (a mail alias's pipe); exit 75 asks"
        " the mail system to try again later.",
    )
    feedback.add_argument(
        "paths", nargs="*", type=Path, metavar="FILE_OR_MAILDIR", help="report files, Maildirs"
    )
    report = commands.add_parser("report", help="reach figures (docs/reach.md)")
    report.add_argument("--csv", type=Path, metavar="DIR", help="write items.csv, days.csv...")
    report.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON")
    report.add_argument("--since", type=day_given, metavar="YYYY-MM-DD", help="only from this day")
    report.add_argument("--manifest", help="notify.json for titles (default: the built site's)")
    report.add_argument(
        "--site-dir", type=Path, default=Path("output"), help="the built site (names, titles)"
    )
    restore = commands.add_parser(
        "restore", help="rebuild the embedded store from SUBSCRIBER_REPLICA"
    )
    restore.add_argument(
        "--force", action="store_true", help="replace the store (and key) that are here"
    )
    for name in ("export", "erase"):
        command = commands.add_parser(name, help=f"{name} one person's data")
        command.add_argument("email", metavar="EMAIL_OR_PHONE")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = Config.from_environment()
        return COMMANDS[args.command](config, args)
    except ConfigError as error:
        print(f"{error}", file=sys.stderr)
        return 2


def quiet_boto() -> None:
    """botocore's INFO lines (where it found credentials...) are not the operator's news."""
    logging.getLogger("botocore").setLevel(logging.WARNING)


def run_serve(config: Config, args: argparse.Namespace) -> int:
    from .replication import ReplicationError
    from .replication.serving import replicating
    from .serve import ServeOptions, server

    if not (args.site_dir / "index.html").is_file():
        print(f"{args.site_dir}: no built site here; run 'make html' first", file=sys.stderr)
        return 1
    if "SITE_URL" not in os.environ:  # links and forms point at this server, on any port
        local = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        config = replace(config, site_url=f"http://{local}:{args.port}")
    for name in ("subscriber_lambda", "uvicorn"):  # requests and the server's own news
        logging.getLogger(name).setLevel(logging.INFO)
    quiet_boto()
    capture = None
    if args.capture_mail:  # the catcher gets the mail, whatever SUBSCRIBER_MAILER says
        from .capture import start_capture

        host, _, port = args.capture_mail.rpartition(":")
        capture = start_capture(host or "127.0.0.1", int(port), Path("var/outbox"))
        config = replace(config, mailer_url=f"smtp://{host or '127.0.0.1'}:{int(port)}")
    options = ServeOptions(args.host, args.port, args.site_dir, tuple(args.trusted_proxy))
    # A service manager stops the server with SIGTERM: once uvicorn has finished the
    # requests under way it raises the signal again, and then the sender threads and the
    # replica's last copy are still stopped in order, and the exit is a clean one.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    http_server = None
    halted: list[str] = []

    def halt(reason: str) -> None:  # replication failed for good: stop serving, loudly
        halted.append(reason)
        if http_server is not None:
            http_server.should_exit = True

    try:
        with replicating(config, halt) as replicator:
            http_server, senders = server(config, options)
            http_server.should_exit = bool(halted)  # given up already: start, then stop
            print(
                f"Serving {args.site_dir} and /subscriptions/ at {config.site_url}/"
                + (" (mail caught in var/outbox/)" if capture else "")
                + (f", the store replicated to {config.replica_url}" if replicator else "")
                + " - Ctrl+C to stop",
                flush=True,
            )
            senders.start()
            try:
                http_server.run()
            finally:
                senders.stop()
    except ReplicationError as error:
        print(f"serve: {error}", file=sys.stderr)
        return 1
    finally:
        if capture:
            capture.stop()
    if halted:
        print(
            f"serve: stopped: {halted[0]}. Nothing more is accepted until the replica"
            " can be written again.",
            file=sys.stderr,
        )
        return 1
    return 0


def run_restore(config: Config, args: argparse.Namespace) -> int:
    """The store rebuilt from the replica: progress on a terminal, then one line."""
    from .replication import ReplicationError
    from .replication.restore import restore

    def progress(line: str) -> None:
        if sys.stderr.isatty():
            print(f"restore: {line}", file=sys.stderr, flush=True)

    quiet_boto()
    try:
        done = restore(config, args.force, progress)
    except ReplicationError as error:
        print(f"restore: {error}", file=sys.stderr)
        return 1
    print(done.summary())
    return 0


def site_address(config: Config, built_for: object) -> Config:
    """Without SITE_URL, the address the site was built for (the manifest's or the forms'
    ``site_url``): residents' links then reach the routes that site is served with, on
    whatever port ``make run`` used."""
    if "SITE_URL" in os.environ or not isinstance(built_for, str):
        return config
    if not built_for.startswith(("http://", "https://")):
        return config
    return replace(config, site_url=built_for.rstrip("/"))


def run_demand(config: Config, args: argparse.Namespace) -> int:
    """Translation demand: for each alert of the manifest, the residents it goes to who
    chose a language it has no version in, by language. Read only: a missing embedded
    store is not made."""
    store_url = urlsplit(config.store_url)
    if store_url.scheme == "sqlite" and not url_path(store_url.path).is_file():
        print(f"translation demand: no subscribers here ({config.store_url}); nothing to count")
        return 0
    try:
        manifest = load_manifest(args.manifest)
    except (ManifestError, OSError) as error:
        print(f"demand: {error}", file=sys.stderr)
        return 1
    subscribers = iter(config.store().subscribers())  # streamed: memory stays flat
    first = next(subscribers, None)
    if first is None:
        print("translation demand: no subscribers yet; nothing to count")
        return 0
    everyone = (s.preferences for s in itertools.chain([first], subscribers))
    at = args.at if args.at and args.at.tzinfo else now()
    lines = demand_lines(translation_demand(manifest["items"], everyone, at))
    print("\n".join(lines) or "translation demand: every alert is in every language chosen")
    return 0


def run_notify(config: Config, args: argparse.Namespace) -> int:
    try:
        manifest = load_manifest(args.manifest)
    except ManifestError as error:
        print(f"notify: {error}; nothing was sent.", file=sys.stderr)
        return 1
    except OSError as error:  # not there, or not readable: say so, not "run it again"
        print(f"notify: cannot read {args.manifest}: {error}; nothing was sent.", file=sys.stderr)
        return 1
    config = site_address(config, manifest.get("site_url"))
    mailer = config.mailer()
    providers = config.providers
    store, texts, key = config.store(), providers.texts(), config.secret()
    social = SocialPoster(store, providers.social_accounts(), providers.social_topics, now)
    notifier = Notifier(
        store=store,
        mailer=mailer,
        queue=config.queue(),
        links=Links(Signer(key), config.site_url),
        sender=config.mail_from,
        host=config.host,
        clock=now,
        send_exercises=config.send_exercises,
        progress=progress_stream(),
        texts=texts,
        social=social if social.accounts else None,
    )
    try:
        plan = notifier.forecast(manifest)
        print(plan.summary(), file=sys.stderr, flush=True)
        if os.environ.get("DRY_RUN") not in (None, "", "0"):
            print("notify: DRY_RUN is set; nothing was sent or changed.", file=sys.stderr)
            return 0
        if texts:
            read_opt_outs(store, texts, key)
        report = notifier.run(manifest)
    except OSError as error:
        print(
            f"notify: stopped: {error}. Run it again: nothing sent is sent twice.", file=sys.stderr
        )
        return 1
    finally:
        close = getattr(mailer, "close", None)
        if close:
            close()
    return finish("notify", report.summary(), report)


def read_opt_outs(store: Store, texts: TextSender, key: bytes, command: str = "notify") -> None:
    """The numbers that replied STOP are forgotten before texts go; if the provider cannot
    say which, the run goes on (emails and posts must not wait for it) and says so."""
    try:
        apply_opt_outs(store, texts, key, now())
    except DeliveryError as error:
        print(
            f"{command}: could not read who replied STOP ({error}); sending anyway. Numbers"
            " that replied STOP since the last run get texts until a run reads them.",
            file=sys.stderr,
        )


def finish(command: str, summary: str, report: DeliveryCounts) -> int:
    """The summary on stdout, and the exit status a schedule can act on: 0 done, 75
    (EX_TEMPFAIL) some deliveries deferred, 1 stopped because the mail system was
    unavailable (the summary then counts what was done before it stopped)."""
    print(summary)
    if report.stopped:
        print(
            f"{command}: stopped: the mail system is unavailable: {report.stopped}. "
            "Run it again: nothing sent is sent twice.",
            file=sys.stderr,
        )
    return report.exit_status


def run_scheduled(
    command: str,
    config: Config,
    args: argparse.Namespace,
    send: Callable[[Config, argparse.Namespace], int],
    needs: str,
    busy: str,
    slot: int = 0,
) -> int:
    """A scheduled run (digest, reminders): only from a built site (``needs``: what of it),
    and one at a time (``busy``: what a second run says as it stops) for its ``slot``."""
    if not (args.site_dir / OPTIONS).is_file():
        print(
            f"{command}: {args.site_dir}: no built site here ({needs});"
            " run 'make html', or give --site-dir",
            file=sys.stderr,
        )
        return 2
    with one_at_a_time(config, command, slot) as alone:
        if not alone:
            print(f"{command}: {busy}; this one stops")
            return 0
        return send(config, args)


def run_digest(config: Config, args: argparse.Namespace) -> int:
    return run_scheduled(
        "digest",
        config,
        args,
        send_digests,
        f"its {OPTIONS} names the council",
        "another digest run is sending these summaries",
    )


def send_digests(config: Config, args: argparse.Namespace) -> int:
    from .digest import Digester
    from .pages import Pages

    site = SiteData.load(args.site_dir)
    config = site_address(config, site.options.value().get("site_url"))
    digester = Digester(
        store=config.store(),
        mailer=config.mailer(),
        links=Links(Signer(config.secret()), config.site_url),
        sender=config.mail_from,
        host=config.host,
        pages=Pages(site, config.site_url),
        clock=now,
    )
    report = digester.run(args.frequency)
    return finish("digest", report.summary(), report)


@contextmanager
def one_at_a_time(config: Config, command: str, slot: int = 0) -> Iterator[bool]:
    """True while this process is the only one running ``command`` (for ``slot``: a day's
    reminders, by its ordinal) on the embedded store; False if another is. A lock file
    beside the store, one per slot, so a run for another slot goes ahead; those of slots
    more than a week before this one are removed as it starts. A digest has no per-email
    ledger claim as notify's deliveries do, so two overlapping runs would each send every
    summary; reminders have (a claim younger than its lease is another run's), but two runs
    at once would still read every subscriber twice. On DynamoDB the schedule runs one
    digest at a time itself."""
    path = config.jobs_path() if config.store_url.startswith("sqlite:") else None
    if path is None:
        yield True
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    name = f"{path.name}.{command}"
    if slot:
        for old in path.parent.glob(f"{name}-*.lock"):
            if (
                old.stem.rpartition("-")[2].isdigit()
                and int(old.stem.rpartition("-")[2]) < slot - 7
            ):
                old.unlink(missing_ok=True)
        name += f"-{slot}"
    with open(path.parent / f"{name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def run_reminders(config: Config, args: argparse.Namespace) -> int:
    """One run at a time for each day's reminders: a person's catch-up run for a missed
    evening (``--on``) goes beside the schedule's."""
    from .reminders import london_today

    args.on = args.on or london_today(now())
    day = args.on + timedelta(days=1)
    return run_scheduled(
        "reminders",
        config,
        args,
        send_reminders,
        "its rounds and postcode files",
        f"another run is sending the reminders for {day}",
        slot=day.toordinal(),
    )


def send_reminders(config: Config, args: argparse.Namespace) -> int:
    from .pages import Pages
    from .reminders import Reminders, london_today

    site = SiteData.load(args.site_dir)
    if not site.bin_days:
        print("reminders: the site publishes no bin collection rounds; nothing to send")
        return 0
    config = site_address(config, site.options.value().get("site_url"))
    store, texts, key = config.store(), config.providers.texts(), config.secret()
    if texts:
        read_opt_outs(store, texts, key, "reminders")
    reminders = Reminders(
        store=store,
        mailer=config.mailer(),
        links=Links(Signer(key), config.site_url),
        sender=config.mail_from,
        host=config.host,
        pages=Pages(site, config.site_url),
        clock=now,
        texts=texts,
        progress=progress_stream(),
    )
    try:
        report = reminders.run(args.on or london_today(now()))
    finally:
        close = getattr(reminders.mailer, "close", None)
        if close:
            close()
    return finish("reminders", report.summary(), report)


def the_person(args: argparse.Namespace, store: Store, key: bytes) -> str | None:
    """The keyed hash of the email address given, or of the address of the subscriber
    whose mobile number was given (a number nobody has gives a hash nobody has)."""
    typed = args.email.strip()
    if "@" not in typed:
        try:
            number_hash = address_hash(normalise_phone(typed), key)
        except PhoneError as error:
            print(f"phone: {error}", file=sys.stderr)
            return None
        subscriber = store.subscriber_by_phone(number_hash)
        return subscriber.email_hash if subscriber else number_hash
    try:
        return address_hash(normalise_address(typed), key)
    except AddressError as error:
        print(f"email: {error}", file=sys.stderr)
        return None


def run_export(config: Config, args: argparse.Namespace) -> int:
    key = config.secret()  # first: without it, nothing is made, not even the store
    store = config.store()
    email_hash = the_person(args, store, key)
    if email_hash is None:
        return 2
    subscriber = store.subscriber_by_hash(email_hash)
    phone = subscriber.phone if subscriber else None
    waiting = subscriber.waiting_phone if subscriber else None
    data = {
        "email": subscriber.email if subscriber else args.email.strip(),
        "subscribed": subscriber is not None,
        "preferences": subscriber.preferences.to_dict() if subscriber else None,
        "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber else None,
        "phone": {
            "number": phone.number,
            "confirmed_at": phone.confirmed_at.isoformat() if phone.confirmed_at else None,
        }
        if phone
        else None,
        "number_waiting_for_its_code": waiting.number if waiting else None,
        "suppressed": store.is_suppressed(email_hash),
        "deliveries": [
            {
                "item_id": entry.item_id,
                "revision": entry.revision,
                "channel": entry.channel,
                "state": entry.state,
                "updated_at": entry.updated_at.isoformat(),
            }
            for entry in store.deliveries_of(email_hash)
        ],
    }
    print(json.dumps(data, indent=2))
    return 0


def run_erase(config: Config, args: argparse.Namespace) -> int:
    key = config.secret()  # first: without it, nothing is made, not even the store
    store = config.store()
    email_hash = the_person(args, store, key)
    if email_hash is None:
        return 2
    erased = store.delete_subscriber(email_hash)
    if erased:  # an older confirmation link must not sign the address up again
        from .web import note_change

        note_change(store, email_hash, now())
        count_change(store, now(), LEFT)
    if store.is_suppressed(email_hash):
        kept = "kept so that the address is never mailed again"
        print(
            f"erase: deleted; the suppression (a keyed hash only) is {kept}"
            if erased
            else f"erase: not subscribed; only a suppression (a keyed hash) is held, {kept}"
        )
    elif erased:
        print(
            "erase: deleted; for 7 days a note that the subscription ended (a keyed hash and a"
            " time) stops older confirmation links signing the address up again"
        )
    else:
        print("erase: not subscribed; nothing held")
    return 0


def day_given(text: str) -> date:
    """A day on the command line, or argparse's error saying how to write one."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a day; write it like 2026-11-01 (YYYY-MM-DD)"
        ) from None


def store_exists(config: Config, command: str) -> bool:
    """Whether the embedded store is there (always, for other stores), or the command
    is told it is not: a timer run in the wrong folder must not make an empty one."""
    embedded = config.jobs_path() if config.store_url.startswith("sqlite:") else None
    if embedded is not None and not embedded.is_file():
        print(
            f"{command}: {embedded}: no store here; run it where the server runs, or set "
            "SUBSCRIBER_STORE",
            file=sys.stderr,
        )
        return False
    return True


def run_feedback(config: Config, args: argparse.Namespace) -> int:
    """Complaints and bounces mailed back. 75 (EX_TEMPFAIL) when the store failed, so that
    a mail system piping a report in keeps it and tries again; a Maildir's untaken
    messages stay new for the next run."""
    if not args.paths and sys.stdin.isatty():
        print(
            "feedback: give report files or a Maildir (standard input is for a mail alias's"
            " pipe, not a terminal)",
            file=sys.stderr,
        )
        return 2
    try:
        messages = incoming(args.paths, sys.stdin.buffer)
    except NotMail as error:
        print(f"feedback: {error}", file=sys.stderr)
        return 2
    if not store_exists(config, "feedback"):
        return 75 if not args.paths else 2
    signer = Signer(config.secret())
    try:
        counts = take_all(config.store(), signer, messages, now, progress_stream())
    except Exception as error:
        logging.getLogger(__name__).exception("feedback: stopped")
        print(f"feedback: stopped: {error}. Run it again with what is left.", file=sys.stderr)
        return 75
    print(counts.summary())
    return 0


def run_report(config: Config, args: argparse.Namespace) -> int:
    """The reach report: tables on a terminal (one line otherwise), CSV and JSON files.
    Titles and links come from the notify manifest when there is one."""
    source = args.manifest or str(args.site_dir / "api" / "v1" / "notify.json")
    items: list[dict[str, Any]] = []
    if args.manifest and not Path(source).is_file():
        print(
            f"report: {source}: no such file; give the built site's api/v1/notify.json, or "
            "leave --manifest out (titles and times are then left empty)",
            file=sys.stderr,
        )
        return 2
    if args.manifest or Path(source).is_file():
        try:
            items = load_manifest(source)["items"]
        except (ManifestError, OSError) as error:
            print(f"report: {error}", file=sys.stderr)
            return 1
    options = args.site_dir / OPTIONS
    council = json.loads(options.read_text())["council"] if options.is_file() else ""
    if not store_exists(config, "report"):
        return 2
    store = config.store()
    since = args.since
    report = build_report(
        council or "the council",
        now(),
        since,
        store.tallies(since),
        items,
        store.subscribers(),
        store.suppressed_count(),
    )
    if args.csv:
        write_csv(report, args.csv)
    if args.json:
        write_json(report, args.json)
    if sys.stdout.isatty():
        print_tables(report, sys.stdout)
    else:
        print(summary(report))
    return 0


COMMANDS = {
    "serve": run_serve,
    "notify": run_notify,
    "digest": run_digest,
    "reminders": run_reminders,
    "export": run_export,
    "demand": run_demand,
    "feedback": run_feedback,
    "report": run_report,
    "erase": run_erase,
    "restore": run_restore,
}


if __name__ == "__main__":
    sys.exit(main())
