"""Configuration by environment, one URL each, so the same code runs embedded or on AWS
(shared/design.md): SUBSCRIBER_STORE, SUBSCRIBER_MAILER, SUBSCRIBER_QUEUE,
SUBSCRIBER_SECRET, SUBSCRIBER_REPLICA (read by ``replication/target.py``), SITE_URL,
MAIL_FROM; the text provider and social accounts are read by ``providers.py``.

Paths in URLs. The two schemes that name local files follow two different conventions,
each the one its URLs are known by:

- ``file:`` URLs mean what RFC 8089 says. ``file:///srv/noticeboard/subscriber-secret``
  (three slashes: an empty host) and ``file://localhost/srv/noticeboard/subscriber-secret``
  are both the absolute path ``/srv/noticeboard/subscriber-secret``; so is the short form
  ``file:/srv/noticeboard/subscriber-secret``. Percent-escapes are decoded (``%20`` is a
  space, ``%23`` a ``#``). Other hosts (``file://var/x``), relative paths (``file:var/x``)
  and four slashes (``file:////srv/x``, a network share in RFC 8089) are refused with the
  form to write instead. A relative path has no ``file:`` URL: write it out in full.
- ``sqlite:`` URLs follow SQLAlchemy: ``sqlite:///var/subscribers.db`` (three slashes) is
  ``var/subscribers.db`` under the working directory, ``sqlite:////srv/noticeboard/
  subscribers.db`` (four slashes) the absolute path.

The signing key (SUBSCRIBER_SECRET) signs every link in every email and keys the hashes
the store files addresses under, so it is never replaced behind anyone's back:

- Unset, it is ``var/subscriber-secret`` under the working directory (where ``make run``
  runs), as an absolute ``file:`` URL worked out when the configuration is loaded; that
  file, and only that one, is made on first run (64 hex characters, mode 0600).
- Set, it must name a key that exists: a file (or SSM SecureString, ``ssm:///NAME``)
  holding at least 32 bytes as hex. A file that is missing, empty, not hex or too short
  stops the command with a ConfigError that says how to make one; nothing is generated.
- A key file that its group or others may read or write is used, with a warning (logged
  each time it is read) saying ``chmod 600 PATH``: refusing would break secrets mounted
  by container platforms (often 0644 or 0444, owned by root), and the key in memory is
  the same either way. Keep it 0600, owned by the service's user.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, unquote_to_bytes, urlsplit

from .adapters.inline_queue import InlineQueue
from .adapters.smtp_mailer import SmtpMailer
from .adapters.sqlite_store import SqliteStore
from .core.tokens import MIN_SECRET_BYTES
from .ports import Mailer, Queue, Store

if TYPE_CHECKING:
    from .providers import Providers
    from .replication.target import Replica

log = logging.getLogger(__name__)

# The signing key when SUBSCRIBER_SECRET is unset: made here on first run.
DEFAULT_SECRET_FILE = Path("var/subscriber-secret")

DEFAULTS = {
    "SUBSCRIBER_STORE": "sqlite:///var/subscribers.db",
    "SUBSCRIBER_MAILER": "smtp://127.0.0.1:8025",
    "SUBSCRIBER_QUEUE": "inline",
    "SUBSCRIBER_SECRET": "",  # DEFAULT_SECRET_FILE under the working directory, at load time
    "SITE_URL": "http://127.0.0.1:8000",
    "MAIL_FROM": "Council noticeboard <noticeboard@example.org>",
    "SUBSCRIBER_SEND_EXERCISES": "no",
    "SUBSCRIBER_REPLICA": "",  # no replica
}


def url_path(path: str) -> Path:
    """As SQLAlchemy writes them: sqlite:///var/x.db is relative, sqlite:////srv/x.db absolute."""
    return Path(unquote(path)[1:])


class ConfigError(ValueError):
    """A setting that cannot be used: the message names the variable and what to do."""


def file_url_path(variable: str, value: str) -> Path:
    """The absolute path a ``file:`` URL names (RFC 8089): ``file:///ABSOLUTE/PATH``,
    ``file://localhost/ABSOLUTE/PATH`` or ``file:/ABSOLUTE/PATH``, percent-decoded."""
    url = urlsplit(value)
    form = "file:///ABSOLUTE/PATH (three slashes, then the path from the root)"

    def refuse(problem: str, instead: str = form) -> ConfigError:
        return ConfigError(f"{variable}: '{value}' {problem}; write {instead}")

    if url.scheme.lower() != "file":
        raise refuse("is not a file: URL")
    if url.query or url.fragment or value.endswith(("?", "#")):
        raise refuse("has a '?' or '#' (in a path, write them as %3F and %23)")
    if url.netloc.lower() not in ("", "localhost"):
        named = unquote(url.netloc + url.path)
        raise refuse(
            f"names the host '{url.netloc}', and only local files can be read",
            f"{form}: file:///{url.netloc}{url.path} for /{named}, or"
            f" {Path(named).resolve().as_uri()} for {named} under the current directory",
        )
    if url.path in ("", "/"):
        raise refuse("names no file")
    if url.path.startswith("//"):
        raise refuse(
            "has four slashes, which RFC 8089 reads as a network share",
            f"file://{url.path[1:]} for the absolute path {unquote(url.path[1:])}",
        )
    if not url.path.startswith("/"):
        relative = Path(unquote(url.path))
        raise refuse(
            "is a relative path, and file: URLs name absolute ones",
            f"{form}: {relative.resolve().as_uri()} is {relative} under the current directory",
        )
    raw = unquote_to_bytes(url.path)
    if b"\0" in raw:
        raise refuse("has a NUL character (%00), which no path can hold")
    return Path(os.fsdecode(raw))


def default_secret_url() -> str:
    """``var/subscriber-secret`` under the working directory, as an absolute file: URL."""
    return DEFAULT_SECRET_FILE.resolve().as_uri()


def key_from_hex(variable: str, text: str, where: str, advice: str) -> bytes:
    """The key written as hex in ``text``, or a ConfigError naming ``where`` it came from."""
    text = text.strip()
    if not text:
        raise ConfigError(f"{variable}: {where} is empty. {advice}")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ConfigError(
            f"{variable}: {where} is not a key written in hex (0-9, a-f). {advice}"
        ) from None
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"{variable}: {where} holds {len(key)} bytes of key; at least"
            f" {MIN_SECRET_BYTES} are needed ({2 * MIN_SECRET_BYTES} hex characters). {advice}"
        )
    return key


def make_secret_file(path: Path) -> None:
    """Make a new key at ``path`` unless one is there, mode 0600 whatever the umask. The
    whole file appears at once (a hard link to a finished file), so a second process
    starting at the same moment reads either no file or the complete key, and keeps
    whichever key was linked first."""
    if os.path.lexists(path):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(MIN_SECRET_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # made by another process just now
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def read_secret_file(path: Path, variable: str = "SUBSCRIBER_SECRET") -> bytes:
    """The key in a file: missing, unreadable, empty, not hex or short is a ConfigError
    saying what to do; a file others may use is read, with a warning."""
    quoted = shlex.quote(str(path))
    make = (
        f'For a new installation only, make one: (umask 077; python3 -c "import secrets;'
        f' print(secrets.token_hex(32))" > {quoted}); chmod 600 {quoted}'
    )
    advice = (
        f"If this service has run before, set {variable} to the key it used (see"
        f" docs/deploy.md): a new key breaks the links in every email already sent and"
        f" loses track of every subscriber. {make}"
    )
    try:
        text = path.read_text(encoding="ascii", errors="replace")
        mode = path.stat().st_mode
    except FileNotFoundError:
        hint = ""
        old = Path(str(path).lstrip("/"))
        if old.is_file():  # file:///var/x once meant var/x under the working directory
            hint = (
                f" (There is a {old} under the current directory: file:///{old} once meant"
                f" that file; now it is /{old}. To use it, set {variable}="
                f"{old.resolve().as_uri()}.)"
            )
        raise ConfigError(f"{variable}: {path} does not exist.{hint} {advice}") from None
    except OSError as error:
        raise ConfigError(
            f"{variable}: {path} cannot be read ({error.strerror}); it must be a file the"
            " service's user can read."
        ) from None
    key = key_from_hex(variable, text, str(path), advice)
    if mode & 0o077:
        log.warning(
            "%s: %s can be read or changed by users other than its owner (mode %s), and"
            " the key signs every subscriber's links: chmod 600 %s",
            variable,
            path,
            oct(mode & 0o777)[2:].zfill(4),
            quoted,
        )
    return key


@dataclass(frozen=True)
class Config:
    store_url: str
    mailer_url: str
    queue_url: str
    secret_url: str
    site_url: str
    mail_from: str
    send_exercises: bool
    # True only when SUBSCRIBER_SECRET was not set: then, and only then, a missing key
    # file is made (the default's, under var/).
    make_missing_secret: bool = False
    replica_url: str = ""
    environ: Mapping[str, str] = field(default_factory=dict)  # for ``providers``

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Config:
        given = {
            k: v for k, v in (os.environ if environ is None else environ).items() if k in DEFAULTS
        }
        env = {**DEFAULTS, "SUBSCRIBER_SECRET": default_secret_url(), **given}
        site = env["SITE_URL"].rstrip("/")
        if not site.startswith(("http://", "https://")):
            raise ConfigError(f"SITE_URL: '{site}' must be a full http(s) address")
        return cls(
            store_url=env["SUBSCRIBER_STORE"],
            mailer_url=env["SUBSCRIBER_MAILER"],
            queue_url=env["SUBSCRIBER_QUEUE"],
            secret_url=env["SUBSCRIBER_SECRET"],
            site_url=site,
            mail_from=env["MAIL_FROM"],
            send_exercises=env["SUBSCRIBER_SEND_EXERCISES"].lower() in ("yes", "true", "1"),
            make_missing_secret="SUBSCRIBER_SECRET" not in given,
            replica_url=env["SUBSCRIBER_REPLICA"],
            environ=dict(os.environ if environ is None else environ),
        )

    @property
    def providers(self) -> Providers:
        """The text provider and social accounts this environment configures."""
        from .providers import Providers

        return Providers(self.environ)

    @property
    def host(self) -> str:
        """The site's host name, for Message-ID and List-Id (which take a domain: no port)."""
        return urlsplit(self.site_url).hostname or "localhost"

    def store(self) -> Store:
        url = urlsplit(self.store_url)
        if url.scheme == "sqlite":
            return SqliteStore(url_path(url.path))
        if url.scheme == "dynamodb" and url.netloc:
            from .adapters.dynamodb_store import DynamoStore  # boto3's own configuration

            return DynamoStore(url.netloc)
        raise ConfigError(
            f"SUBSCRIBER_STORE: '{self.store_url}' is not sqlite:///PATH or dynamodb://TABLE"
        )

    def replica(self) -> Replica | None:
        """Where the embedded store is replicated (SUBSCRIBER_REPLICA), None if nowhere."""
        from .replication.target import parse_replica

        return parse_replica(self.replica_url)

    def jobs_path(self) -> Path:
        """Where the embedded server keeps the routes' mail jobs: the store's SQLite file,
        or a file of its own beside it when the store is elsewhere."""
        url = urlsplit(self.store_url)
        return url_path(url.path) if url.scheme == "sqlite" else Path("var/mail-jobs.db")

    def mailer(self) -> Mailer:
        url = urlsplit(self.mailer_url)
        if url.scheme in ("smtp", "smtp+starttls"):
            query = parse_qs(url.query)
            return SmtpMailer(
                host=url.hostname or "127.0.0.1",
                port=url.port or 25,
                starttls=url.scheme == "smtp+starttls" or query.get("starttls") == ["1"],
                username=unquote(url.username) if url.username else None,
                password=unquote(url.password) if url.password else None,
            )
        if url.scheme == "ses" and url.netloc:
            from .adapters.ses_mailer import SesMailer  # boto3's own configuration

            return SesMailer(url.netloc)
        if self.mailer_url == "notify:":
            return self.providers.notify_mailer()
        raise ConfigError(
            f"SUBSCRIBER_MAILER: '{self.mailer_url}' is not smtp://HOST:PORT, ses://CONFIG_SET"
            " or notify:"
        )

    def queue(self) -> Queue:
        if self.queue_url == "inline":
            return InlineQueue()
        raise ConfigError(
            f"SUBSCRIBER_QUEUE: '{self.queue_url}' is not inline; SQS queues are for the AWS"
            " adapters, which take ALERT_QUEUE_URL and ROUTINE_QUEUE_URL (docs/deploy.md)"
        )

    def secret(self) -> bytes:
        """The signing key: from an SSM SecureString (ssm:///NAME) or a file
        (file:///ABSOLUTE/PATH), as hex; only the default file is made when missing."""
        url = urlsplit(self.secret_url)
        if url.scheme == "ssm" and url.path:
            import boto3  # boto3's own configuration

            parameter = boto3.client("ssm").get_parameter(Name=url.path, WithDecryption=True)
            return key_from_hex(
                "SUBSCRIBER_SECRET",
                parameter["Parameter"]["Value"],
                f"the SSM parameter {url.path}",
                "Put a new key there only for a new installation (docs/deploy.md).",
            )
        if url.scheme != "file":
            raise ConfigError(
                f"SUBSCRIBER_SECRET: '{self.secret_url}' is not file:///ABSOLUTE/PATH or"
                " ssm:///NAME"
            )
        path = file_url_path("SUBSCRIBER_SECRET", self.secret_url)
        if self.make_missing_secret:
            make_secret_file(path)
        return read_secret_file(path)
