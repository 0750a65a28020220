"""``make publish``: build with publishconf.py, check, then upload to S3 in a safe order.

PUBLISH_BUCKET names the bucket; boto3's own configuration gives credentials, region and
AWS_ENDPOINT_URL; CLOUDFRONT_DISTRIBUTION_ID (optional) is invalidated after; DRY_RUN=1
prints the plan and changes nothing. A build with a problem stops before any upload; an
upload that fails leaves the old objects in place (nothing is deleted until every new
object is up, and the notify manifest goes last).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pelican import Pelican
from pelican.log import console
from pelican.settings import read_settings

from .plan import Upload, plan


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def existing_objects(s3: Any, bucket: str) -> dict[str, str]:
    """Key -> ETag (the MD5 of objects uploaded in one part, as ours are)."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        found.update({o["Key"]: o["ETag"].strip('"') for o in page.get("Contents", [])})
    return found


def publish(
    site: Path, bucket: str, dry_run: bool, distribution: str | None, out: Any = sys.stdout
) -> dict[str, int]:
    s3 = boto3.client("s3")
    files = {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}
    live = existing_objects(s3, bucket)
    uploads: list[Upload] = [u for u in plan(list(files)) if live.get(u.key) != md5(files[u.key])]
    stale = sorted(set(live) - set(files))
    for upload in uploads:
        if dry_run or out.isatty():  # on a schedule or in CI: only the summary line
            verb = "would upload" if dry_run else "upload"
            print(f"{verb} {upload.key} ({upload.content_type}; {upload.cache_control})", file=out)
        if not dry_run:
            s3.upload_file(
                str(files[upload.key]),
                bucket,
                upload.key,
                ExtraArgs={
                    "ContentType": upload.content_type,
                    "CacheControl": upload.cache_control,
                },
            )
    for key in stale:
        if dry_run:
            print(f"would delete {key}", file=out)
        else:
            s3.delete_object(Bucket=bucket, Key=key)
    changed = [u.key for u in uploads] + stale
    if distribution and changed and not dry_run:
        paths = (
            ["/*"] if len(changed) > 100 else [f"/{k.removesuffix('index.html')}" for k in changed]
        )
        boto3.client("cloudfront").create_invalidation(
            DistributionId=distribution,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": str(time.time()),
            },
        )
    return {"uploaded": len(uploads), "deleted": len(stale), "unchanged": len(files) - len(uploads)}


def build(settings_file: str, content: str | None, output: Path) -> None:
    override: dict[str, Any] = {"OUTPUT_PATH": str(output)}
    if content:
        override["PATH"] = str(Path(content).resolve())
    Pelican(read_settings(settings_file, override=override)).run()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settings", default="publishconf.py")
    parser.add_argument("--content", default=None)
    args = parser.parse_args(list(argv) if argv is not None else None)
    bucket = os.environ.get("PUBLISH_BUCKET")
    if not bucket:
        print("PUBLISH_BUCKET: not set; name the S3 bucket to publish to", file=sys.stderr)
        return 2
    dry_run = os.environ.get("DRY_RUN", "") not in ("", "0", "no")
    console.quiet = not sys.stdout.isatty()
    with tempfile.TemporaryDirectory(prefix="publish-") as work:
        site = Path(work) / "site"
        build(args.settings, args.content, site)  # a content problem exits here, before any upload
        try:
            report = publish(site, bucket, dry_run, os.environ.get("CLOUDFRONT_DISTRIBUTION_ID"))
        except (BotoCoreError, ClientError) as error:
            print(
                f"publish: s3://{bucket}: {error}. Nothing more was changed; check the AWS "
                "credentials, region and bucket (boto3's usual configuration), then publish "
                "again: files already uploaded are skipped",
                file=sys.stderr,
            )
            return 1
    verb = "would change" if dry_run else "published"
    counts = ", ".join(f"{n} {what}" for what, n in report.items())
    print(f"publish: {verb} s3://{bucket}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
