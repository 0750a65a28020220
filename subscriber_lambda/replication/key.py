"""The replica's place itself: whether it can be reached, and the signing key kept there.

The key signs every link in every email and keys the hashes the store files addresses
under: a store restored without it has residents nobody can find and links that no longer
work. So ``serve`` keeps a copy beside the replica (``subscriber-secret``: a file readable
by its owner only, or an S3 object), and ``restore`` puts it back. Whoever can read the
replica can read the addresses already; the key adds the power to make links, so the
replica's folder or bucket must be as private as the server.

S3 is reached with boto3 (its usual configuration), with short timeouts and few retries:
an address that answers nothing is reported in seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Any

from .litestream import ReplicationError
from .target import KEY_NAME, Replica


def s3_client() -> Any:
    import boto3
    from botocore.config import Config

    quick = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2})
    return boto3.client("s3", config=quick)


def s3_problem(replica: Replica, error: Exception) -> ReplicationError:
    """An S3 failure as a sentence an operator can act on."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    where = f"the replica {replica}"
    if isinstance(error, NoCredentialsError):
        return ReplicationError(
            f"{where}: no AWS credentials here (give them as boto3 takes them:"
            " AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an instance role)"
        )
    if isinstance(error, EndpointConnectionError):
        return ReplicationError(f"{where}: cannot connect to S3 ({error}); check AWS_ENDPOINT_URL")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404"):
            return ReplicationError(
                f"{where}: there is no bucket '{replica.bucket}' (create it, or correct"
                " SUBSCRIBER_REPLICA)"
            )
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return ReplicationError(
                f"{where}: S3 refused these credentials ({code}); they need s3:ListBucket,"
                f" s3:GetObject, s3:PutObject and s3:DeleteObject on {replica.bucket}/"
                f"{replica.prefix}/*"
            )
    return ReplicationError(f"{where}: {error}")


READ_ONLY = (
    " here: under systemd, ProtectSystem=strict makes every folder not in ReadWritePaths="
    " read-only; add the replica's folder to ReadWritePaths= in noticeboard.service"
)


def read_only(folder: Path) -> bool:
    """Whether ``folder`` is on a file system mounted read-only (for this process)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def check_reachable(replica: Replica, writable: bool) -> None:
    """Stop with a clear ReplicationError if the replica cannot be read (or, with
    ``writable``, made and written: a folder that is missing is made, owner only)."""
    from botocore.exceptions import BotoCoreError, ClientError

    if replica.folder is not None:
        folder = replica.folder
        if writable:
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as error:
                raise ReplicationError(
                    f"the replica {replica}: cannot make {folder} ({error.strerror})"
                    + (READ_ONLY if error.errno == errno.EROFS else "")
                ) from None
            if read_only(folder):
                raise ReplicationError(f"the replica {replica}: {folder} is read-only{READ_ONLY}")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ReplicationError(
                    f"the replica {replica}: {folder} cannot be written by this user;"
                    " give the service's user that folder (chown, or another folder)"
                )
        return
    try:
        s3_client().list_objects_v2(Bucket=replica.bucket, Prefix=f"{replica.prefix}/", MaxKeys=1)
    except (BotoCoreError, ClientError) as error:
        raise s3_problem(replica, error) from None


def read_key(replica: Replica) -> str | None:
    """The key (as hex) kept in the replica, None if there is none."""
    from botocore.exceptions import BotoCoreError, ClientError

    if replica.folder is not None:
        try:
            return (replica.folder / KEY_NAME).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
    try:
        found = s3_client().get_object(Bucket=replica.bucket, Key=f"{replica.prefix}/{KEY_NAME}")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise s3_problem(replica, error) from None
    except BotoCoreError as error:
        raise s3_problem(replica, error) from None
    return str(found["Body"].read().decode("ascii")).strip()


def write_key(replica: Replica, key_hex: str) -> None:
    """Keep the key in the replica (a file made whole at once, owner only; or an object)."""
    from botocore.exceptions import BotoCoreError, ClientError

    text = key_hex + "\n"
    if replica.folder is None:
        try:
            s3_client().put_object(
                Bucket=replica.bucket, Key=f"{replica.prefix}/{KEY_NAME}", Body=text.encode()
            )
        except (BotoCoreError, ClientError) as error:
            raise s3_problem(replica, error) from None
        return
    descriptor, temporary = tempfile.mkstemp(dir=replica.folder, prefix=f".{KEY_NAME}.")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, replica.folder / KEY_NAME)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
