"""``make publish``: build with publishconf.py, check, then upload to S3 in a safe order.

PUBLISH_BUCKET names the bucket; boto3's own configuration gives credentials, region and
AWS_ENDPOINT_URL; CLOUDFRONT_DISTRIBUTION_ID (optional) is invalidated after; DRY_RUN=1
prints the plan and changes nothing. A build with a problem stops before any upload.

Only files whose bytes differ from the bucket's (by ETag, the MD5 of a one-part upload)
are uploaded, many at once, stage by stage (``plan.py``): new items' pages, then the home
page, lists, feeds and data, then the notify manifest (its arrival emails subscribers),
then every other page. A new alert's page and CAP message, and the manifest when it
announces nothing else new, go up while the site is still being built (ADR 27). An upload
that fails leaves the old objects in place: nothing is deleted until every new object is
up. What Pelican read is cached in var/cache/publishconf/ for the next publish.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pelican.log import console

from subscriber_lambda.site_policy import MANIFEST

from ..rebuild import (
    Early,
    build,
    build_folder,
    items_new_in,
    reading_cache,
    stop_cleanly_when_stopped,
)
from .plan import STAGES, Upload, classify, plan, stages

WORKERS = 16  # uploads in flight at once
EARLY = "a new alert's page (while the site is built)"


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def existing_objects(s3: Any, bucket: str) -> dict[str, str]:
    """Key -> ETag (the MD5 of objects uploaded in one part, as ours are)."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        found.update({o["Key"]: o["ETag"].strip('"') for o in page.get("Contents", [])})
    return found


def site_files(site: Path) -> dict[str, Path]:
    return {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}


def live_manifest(s3: Any, bucket: str) -> dict[str, Any]:
    """The notify manifest in the bucket."""
    found: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=MANIFEST)["Body"].read())
    return found


def client() -> Any:
    return boto3.client("s3", config=Config(max_pool_connections=WORKERS))


def put(s3: Any, bucket: str, site: Path, upload: Upload) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=upload.key,
        Body=(site / upload.key).read_bytes(),
        ContentType=upload.content_type,
        CacheControl=upload.cache_control,
    )


def changes(
    site: Path, live: Mapping[str, str], previous: dict[str, Any] | None
) -> tuple[list[Upload], list[str], int]:
    """What differs from the bucket: the files to upload, in order, the stale keys, and
    how many files are already there as they are. ``previous``: the live manifest."""
    files = site_files(site)
    first = plan(files, items_new_in(site, previous))
    uploads = [u for u in first if live.get(u.key) != md5(files[u.key])]
    return uploads, sorted(set(live) - set(files)), len(files) - len(uploads)


def publish(
    site: Path,
    bucket: str,
    dry_run: bool,
    distribution: str | None,
    out: Any = sys.stdout,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Upload what differs, stage by stage (``plan``), each stage in parallel; then delete
    what is stale. ``progress`` is told each stage's name (``STAGES``) once it is up."""
    s3 = client()
    live = existing_objects(s3, bucket)
    uploads, stale, unchanged = changes(
        site, live, live_manifest(s3, bucket) if MANIFEST in live else None
    )
    show = dry_run or out.isatty()  # on a schedule or in CI: only the summary line

    with ThreadPoolExecutor(WORKERS) as pool:
        for stage in stages(uploads):
            number = stage[0].stage
            if show:
                verb = "would upload" if dry_run else "uploading"
                print(f"{verb} {len(stage)} ({STAGES[number]}):", file=out)
                for u in stage:
                    print(f"  {u.key} ({u.content_type}; {u.cache_control})", file=out)
            if not dry_run:
                # Every one up (or the first error) before the next stage.
                list(pool.map(partial(put, s3, bucket, site), stage))
                if progress:
                    progress(STAGES[number])
    for start in range(0, len(stale), 1000):  # DeleteObjects takes 1,000 keys a call
        batch = stale[start : start + 1000]
        if dry_run:
            print("\n".join(f"would delete {key}" for key in batch), file=out)
        else:
            s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
            )
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
    return {"uploaded": len(uploads), "deleted": len(stale), "unchanged": unchanged}


def build_and_publish(
    settings_file: str,
    content: str | None,
    bucket: str,
    dry_run: bool,
    distribution: str | None,
    cache: Path,
    out: Any = sys.stdout,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """``make publish``: build into a folder of its own in ``cache`` (a content problem
    stops it there, before any upload), then ``publish``; one publish at a time. A new
    alert's page and CAP message, and the manifest announcing it, are uploaded as soon as
    they are built (``Early``)."""
    s3 = client()
    live = existing_objects(s3, bucket)
    with build_folder(cache, "publish") as work:
        site = work / "site"

        def go_live(name: str) -> None:
            put(s3, bucket, site, classify(name))
            if progress:
                progress(STAGES[4] if name == MANIFEST else EARLY)

        previous = live_manifest(s3, bucket) if MANIFEST in live else None
        early = None if dry_run else Early(site, live, previous, go_live)
        build(settings_file, site, content, cache, early)
        report = publish(site, bucket, dry_run, distribution, out, progress)
    went = len(early.done) if early else 0  # uploaded while building: now the same
    return {
        **report,
        "uploaded": report["uploaded"] + went,
        "unchanged": report["unchanged"] - went,
    }


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settings", default="publishconf.py")
    parser.add_argument("--content", default=None)
    parser.add_argument(
        "--cache", type=Path, default=None, help="what Pelican read (default: var/cache/NAME)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    bucket = os.environ.get("PUBLISH_BUCKET")
    if not bucket:
        print("PUBLISH_BUCKET: not set; name the S3 bucket to publish to", file=sys.stderr)
        return 2
    dry_run = os.environ.get("DRY_RUN", "") not in ("", "0", "no")
    console.quiet = not sys.stdout.isatty()
    stop_cleanly_when_stopped()
    try:
        report = build_and_publish(
            args.settings,
            args.content,
            bucket,
            dry_run,
            os.environ.get("CLOUDFRONT_DISTRIBUTION_ID"),
            args.cache or reading_cache(args.settings),
        )
    except KeyboardInterrupt:
        print(
            f"publish: stopped; s3://{bucket} has what was uploaded before (publish again "
            "to finish: files already uploaded are skipped)",
            file=sys.stderr,
        )
        return 130
    except (BotoCoreError, ClientError) as error:
        print(
            f"publish: s3://{bucket}: {error}. Nothing more was changed; check the AWS "
            "credentials, region and bucket (boto3's usual configuration), then publish "
            "again: files already uploaded are skipped",
            file=sys.stderr,
        )
        return 1
    if dry_run:
        print(
            f"publish: dry run, nothing changed in s3://{bucket}: {report['uploaded']} to "
            f"upload, {report['deleted']} to delete, {report['unchanged']} unchanged"
        )
    else:
        counts = ", ".join(f"{n} {what}" for what, n in report.items())
        print(f"publish: published s3://{bucket}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
