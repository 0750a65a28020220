"""The officer's journey, without network: scaffold a notice, validate it, build, publish to
an S3 bucket (moto's server on 127.0.0.1), and notify subscribers from the uploaded
manifest, once. A broken file stops the publish with the validator's message and leaves
the bucket as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from noticeboard.publish.plan import classify
from subscriber_lambda.adapters.inline_queue import InlineQueue
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.tokens import Signer
from subscriber_lambda.notify import Links, Notifier, load_manifest
from subscriber_lambda.site_policy import FOREVER, SHORT, cache_control
from tests.moto_server import CREDENTIALS, moto_server
from tests.services import free_port
from tests.sitebuilder import ROOT, write_content

NOW = "2026-11-28T09:00:00+00:00"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    with moto_server() as endpoint:
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": CREDENTIALS["region_name"],
            "PUBLISH_BUCKET": "noticeboard-site",
            "NOTICEBOARD_NOW": NOW,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3").create_bucket(
            Bucket="noticeboard-site", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        yield env


def publish(content: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``make publish``'s command on ``content``, with the publishing settings."""
    args = ("noticeboard.publish", "--settings", "publishconf.py", "--content", str(content))
    args += ("--cache", str(content.parent / "cache"))
    return run(*args, env=env)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def bucket() -> dict[str, dict[str, Any]]:
    s3 = boto3.client("s3")
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="noticeboard-site"):
        for item in page.get("Contents", []):
            head = s3.head_object(Bucket="noticeboard-site", Key=item["Key"])
            found[item["Key"]] = {
                "type": head["ContentType"],
                "cache": head.get("CacheControl"),
                "etag": item["ETag"],
            }
    return found


def test_from_new_notice_to_residents_emailed(aws: dict[str, str], tmp_path: Path) -> None:
    content = write_content(tmp_path, {"pages/about.md": "Title: About\n\nAbout us.\n"})
    made = run(
        "noticeboard.new",
        "notice",
        "--content",
        str(content),
        "--title",
        "Road closure: Mill Lane",
        "--summary",
        "Mill Lane will close for a week in January.",
        "--wards",
        "walmer",
        "--field",
        "Notice-Type=traffic-regulation-order",
        "--field",
        "Reference=TRO/2026/099",
        "--field",
        "Legislation=Road Traffic Regulation Act 1984, section 14",
    )
    assert made.returncode == 0, made.stderr
    notice = content / "notices" / "road-closure-mill-lane.md"
    assert notice.read_text().startswith("Title: Road closure: Mill Lane\nDate: 2026-11-28 09:00\n")
    fields = notice.read_text().split("\n\n")[0]
    notice.write_text(f"{fields}\n\nMill Lane will be closed from 11 to 15 January.\n")
    assert run("noticeboard.validate", "--content", str(content), str(notice)).returncode == 0

    uploaded: list[str] = []
    boto3.setup_default_session()

    def record_upload(params: dict[str, str], **_: object) -> None:
        uploaded.append(params["Key"])

    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    events.register("provide-client-params.s3.PutObject", record_upload)
    from noticeboard.publish.__main__ import main as publish_main

    try:
        args = ["--settings", "publishconf.py", "--content", str(content)]
        assert publish_main([*args, "--cache", str(tmp_path / "cache")]) == 0
    finally:
        events.unregister("provide-client-params.s3.PutObject", record_upload)
    stored = bucket()
    # Assets, the new notice's page, the home page, lists, feeds and data, the manifest, then
    # the other pages: each stage up before the next.
    stages = [classify(key, {"notices/road-closure-mill-lane"}).stage for key in uploaded]
    assert stages == sorted(stages)
    manifest = uploaded.index("api/v1/notify.json")
    assert {"notices/road-closure-mill-lane/index.html", "index.html"} <= set(uploaded[:manifest])
    assert "about/index.html" in uploaded[manifest:]
    assert stored["notices/road-closure-mill-lane/index.html"] == {
        **stored["notices/road-closure-mill-lane/index.html"],
        "type": "text/html; charset=utf-8",
        "cache": SHORT,
    }
    assert stored["feeds/notices.atom.xml"]["type"] == "application/atom+xml"
    assert stored["feeds/alerts.cap.atom.xml"]["type"] == "application/atom+xml"
    assert stored["bin-changes/calendar.ics"]["type"] == "text/calendar; charset=utf-8"
    assert stored["api/v1/notices.json"]["type"] == "application/json"
    assert stored["api/v1/notify.json"]["cache"] == "no-cache"
    assert any(v["cache"] == FOREVER for k, v in stored.items() if k.startswith("pagefind/"))

    store = SqliteStore(tmp_path / "subscribers.db")
    key = b"k" * 32
    for n in range(3):
        address = f"r{n}@example.net"
        prefs = Preferences(frozenset({"notices"}), frozenset({"walmer"}))
        store.save_subscriber(
            address, address_hash(address, key), prefs, datetime(2026, 11, 1, tzinfo=UTC)
        )
    sent: list[str] = []

    class Mailer:
        def send(self, message: Any) -> None:
            sent.append(str(message["To"]))

    notifier = Notifier(
        store,
        Mailer(),
        InlineQueue(),
        Links(Signer(key), "https://n.example.org"),
        "C <c@example.org>",
        "n.example.org",
        lambda: datetime(2026, 11, 28, 10, tzinfo=UTC),
    )
    manifest = load_manifest("s3://noticeboard-site/api/v1/notify.json")
    notifier.run(manifest)
    notifier.run(manifest)
    assert sorted(sent) == ["r0@example.net", "r1@example.net", "r2@example.net"]


def test_a_broken_file_stops_the_publish_and_changes_nothing(
    aws: dict[str, str], tmp_path: Path
) -> None:
    good = "Title: About\n\nAbout us.\n"
    content = write_content(tmp_path, {"pages/about.md": good})
    assert publish(content).returncode == 0
    before = bucket()
    (content / "notices").mkdir()
    (content / "notices" / "bad.md").write_text(
        "Title: Bad\nDate: 2026-11-28\nSummary: S.\nWards: atlantis\n"
    )
    result = publish(content)
    assert result.returncode == 1
    assert "notices/bad.md: Wards: 'atlantis' is not a ward in the wards file" in result.stderr
    assert bucket() == before


def test_a_bucket_that_cannot_be_reached_is_a_clear_error(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"pages/about.md": "Title: About\n\nAbout us.\n"})
    result = publish(
        content,
        env={
            "PUBLISH_BUCKET": "noticeboard-site",
            "DRY_RUN": "1",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "eu-west-2",
            "AWS_MAX_ATTEMPTS": "1",
            "NOTICEBOARD_NOW": NOW,
        },
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "publish: s3://noticeboard-site: " in result.stderr
    assert "check the AWS credentials, region and bucket" in result.stderr


def test_a_dry_run_prints_the_plan_and_changes_nothing(aws: dict[str, str], tmp_path: Path) -> None:
    content = write_content(tmp_path, {"pages/about.md": "Title: About\n\nAbout us.\n"})
    result = publish(content, env={"DRY_RUN": "1"})
    assert result.returncode == 0, result.stderr
    assert (
        "would upload 1 (notify manifest):\n  api/v1/notify.json (application/json; no-cache)\n"
        "would upload " in result.stdout
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("publish: dry run, nothing changed in s3://noticeboard-site: ")
    assert summary.endswith(" to upload, 0 to delete, 0 unchanged")
    assert bucket() == {}


def test_cloudfront_is_invalidated_for_what_changed(aws: dict[str, str], tmp_path: Path) -> None:
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "noticeboard",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": "noticeboard-site.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )["Distribution"]["Id"]
    content = write_content(tmp_path, {"pages/about.md": "Title: About\n\nAbout us.\n"})
    env = {"CLOUDFRONT_DISTRIBUTION_ID": distribution}
    assert publish(content, env=env).returncode == 0
    invalidations = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    assert invalidations["Quantity"] == 1


def test_pagefinds_fingerprinted_files_are_kept_a_year_and_its_script_a_minute() -> None:
    """Pagefind names its index files by a hash of seven hexadecimal characters or more."""
    for name in (
        "pagefind/fragment/ar_278d428.pf_fragment",
        "pagefind/pagefind.en_1a2b3c4d.pf_meta",
    ):
        assert cache_control(name) == FOREVER
    assert cache_control("pagefind/pagefind.js") == SHORT
