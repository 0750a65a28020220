"""What ``SUBSCRIBER_REPLICA`` names, and Litestream's configuration for replicating the
store there.

- ``file:///ABSOLUTE/PATH``: a folder (RFC 8089, as ``SUBSCRIBER_SECRET``'s file: URLs);
  made, readable by its owner only, when missing. A folder on another disk (a mounted
  network share, a second drive) is what survives the store's disk dying.
- ``s3://BUCKET/PREFIX``: a folder in an S3 bucket, reached with boto3's usual
  configuration: credentials, ``AWS_REGION``, and ``AWS_ENDPOINT_URL`` (or
  ``AWS_ENDPOINT_URL_S3``) for an S3-compatible service, which is then addressed by path.

Unset or empty, nothing is replicated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..config import ConfigError, file_url_path, url_path

VARIABLE = "SUBSCRIBER_REPLICA"
FORMS = "file:///ABSOLUTE/PATH (a folder) or s3://BUCKET/PREFIX (a folder in a bucket)"
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# How often Litestream looks for new transactions in the store's WAL, and uploads them.
SYNC_INTERVAL = "1s"
MONITOR_INTERVAL = "250ms"
# The signing key's name in the replica's folder, beside Litestream's ltx/ folder.
KEY_NAME = "subscriber-secret"


@dataclass(frozen=True)
class Replica:
    """A replica's place: a local ``folder``, or a ``bucket`` and ``prefix`` in S3."""

    url: str
    folder: Path | None = None
    bucket: str = ""
    prefix: str = ""

    def __str__(self) -> str:
        return self.url

    def litestream(self, endpoint: str | None, region: str | None) -> dict[str, object]:
        """This replica in Litestream's configuration (``endpoint`` and ``region`` as boto3
        resolves them, for S3)."""
        settings: dict[str, object] = {"sync-interval": SYNC_INTERVAL}
        if self.folder is not None:
            return {**settings, "type": "file", "path": str(self.folder)}
        settings |= {"type": "s3", "bucket": self.bucket, "path": self.prefix}
        if region:
            settings["region"] = region
        if endpoint:  # an S3-compatible service: addressed by path, not by host name
            settings |= {"endpoint": endpoint, "force-path-style": True}
        return settings


def parse_replica(value: str | None) -> Replica | None:
    """The replica ``SUBSCRIBER_REPLICA`` names, None when unset or empty; any other value
    is a ConfigError naming the variable and the forms it takes."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigError(
            f"{VARIABLE}: {value!r} has a control character in it (a line break or tab?);"
            f" write it on one line as {FORMS}"
        )
    scheme = urlsplit(value).scheme.lower()
    if scheme == "file":
        return Replica(value, folder=file_url_path(VARIABLE, value))
    if scheme == "s3":
        return s3_replica(value)
    raise ConfigError(f"{VARIABLE}: '{value}' is not {FORMS}")


def s3_replica(value: str) -> Replica:
    url = urlsplit(value)
    if url.query or url.fragment or url.username or url.port:
        raise ConfigError(
            f"{VARIABLE}: '{value}' has more than a bucket and a folder; write s3://BUCKET/PREFIX"
            " and give the endpoint, region and credentials as boto3 takes them"
            " (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE...)"
        )
    bucket, prefix = url.hostname or "", url.path.strip("/")
    if not BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ConfigError(
            f"{VARIABLE}: '{value}' does not name an S3 bucket (3 to 63 lowercase letters,"
            " digits, dots and hyphens); write s3://BUCKET/PREFIX"
        )
    if not prefix:
        raise ConfigError(
            f"{VARIABLE}: '{value}' names no folder in the bucket; write s3://{bucket}/PREFIX,"
            f" such as s3://{bucket}/noticeboard"
        )
    return Replica(value, bucket=bucket, prefix=prefix)


def s3_settings(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The S3 endpoint (None for AWS's own) and region boto3 would use here."""
    import boto3

    session = boto3.session.Session()
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if endpoint is None:  # perhaps in boto3's config file: ask boto3 where it would go
        resolved = session.client("s3", region_name=session.region_name or "us-east-1")
        host = urlsplit(resolved.meta.endpoint_url).hostname or ""
        endpoint = None if host.endswith(".amazonaws.com") else resolved.meta.endpoint_url
    return endpoint, session.region_name or ("us-east-1" if endpoint else None)


def litestream_config(
    replica: Replica, database: Path, environ: Mapping[str, str]
) -> dict[str, object]:
    """Litestream's configuration (as JSON, which is YAML) for replicating ``database``."""
    endpoint, region = s3_settings(environ) if replica.bucket else (None, None)
    return {
        "logging": {"level": "warn", "stderr": True},
        "dbs": [
            {
                "path": str(database.resolve()),
                "monitor-interval": MONITOR_INTERVAL,
                "replica": replica.litestream(endpoint, region),
            }
        ],
    }


def meta_folder(database: Path) -> Path:
    """Where Litestream keeps its own record of how far it has copied ``database``."""
    return database.parent / f".{database.name}-litestream"


def store_file(store_url: str) -> Path:
    """The embedded store's file: replication is only for it."""
    url = urlsplit(store_url)
    if url.scheme != "sqlite":
        raise ConfigError(
            f"{VARIABLE}: replication and restore are for the embedded store"
            f" (SUBSCRIBER_STORE=sqlite:///PATH), not '{store_url}'; a DynamoDB table is"
            " protected by its own point-in-time recovery (docs/deploy.md)"
        )
    return url_path(url.path)


def config_file(database: Path) -> Path:
    """Litestream's configuration for ``database``, while ``serve`` or ``restore`` runs."""
    return database.parent / f".{database.name}-litestream.yml"


def lock_file(database: Path) -> Path:
    """Locked by the one ``serve`` that replicates ``database``."""
    return database.parent / f".{database.name}-serve.lock"


def restore_note(database: Path) -> Path:
    """Written by ``restore`` beside the store: which replica, at which transaction, it was
    rebuilt from; ``serve`` reads it to tell a restored store from a stray one."""
    return database.parent / f".{database.name}-restored"
