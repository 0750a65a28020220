"""An officer adds one alert to a built and published site: the rebuild writes only the
files whose bytes changed, and ``make publish`` uploads only those, the alert's own files
and the notify manifest before the other pages (issue 19, ADR 27). Not timed:
bench/alert_latency.py times the same path."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from pelican import signals

from noticeboard import rebuild as rebuild_module
from noticeboard.publish.__main__ import EARLY, build_and_publish, publish
from noticeboard.publish.plan import STAGES, classify
from noticeboard.rebuild import SyncReport, rebuild
from tests.moto_server import CREDENTIALS, moto_server
from tests.sitebuilder import FIXTURE_WARDS, ROOT, build, item, write_content

BUCKET = "noticeboard-site"
MANIFEST = "api/v1/notify.json"
ALERT = "alerts/water/index.html"
SITE = {
    "alerts/flood.md": item("alerts", Slug="flood"),
    "notices/plan.md": item("notices", Slug="plan"),
    "notices/old.md": item(
        "notices", Slug="old", Date="2026-10-01 09:00", Reference="DOV/26/00002"
    ),
    "bin-changes/holiday.md": item("bin-changes", Slug="holiday"),
    "meetings/committee.md": item("meetings", Slug="committee"),
    "pages/about.md": item("pages", Slug="about"),
}
NEW_ALERT = item(
    "alerts",
    Slug="water",
    Title="Water supply off in Walmer",
    Date="2026-11-28 10:00",
    Summary="No water until this evening.",
    Wards="walmer",
    Event="water-supply",
    Severity="severe",
    Expires="2026-11-28 20:00",
)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """moto's S3 with the site's bucket; yields the keys put, in the order they were put."""
    with moto_server() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
        monkeypatch.setenv("AWS_DEFAULT_REGION", CREDENTIALS["region_name"])
        boto3.setup_default_session()
        boto3.client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        put: list[str] = []

        def record(params: dict[str, str], **_: object) -> None:
            put.append(params["Key"])

        events = boto3.DEFAULT_SESSION.events
        events.register("provide-client-params.s3.PutObject", record)
        yield put


def settings_file(root: Path) -> str:
    """pelicanconf.py with a fixture site's data: the fixture wards, no rounds or outlines."""
    conf = root / "conf.py"
    conf.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\n"
        f"WARDS_FILE = {str(FIXTURE_WARDS)!r}\nWARD_OUTLINES_FILE = None\nPOSTCODES_FILE = None\n"
        "ROUNDS_FILE = None\nSEARCH_INDEX = False\nNOTICEBOARD_NOW = '2026-11-28T12:00:00+00:00'\n"
    )
    return str(conf)


def files(root: Path) -> dict[str, tuple[str, int]]:
    """Each file: its bytes' digest and its modification time."""
    return {
        p.relative_to(root).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in root.rglob("*")
        if p.is_file()
    }


def rebuilt(root: Path) -> tuple[SyncReport, dict[str, tuple[str, int]]]:
    report = rebuild(settings_file(root), root / "output", str(root / "content"), root / "cache")
    return report, files(root / "output")


def make_publish(
    root: Path, files: dict[str, str], progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """``files`` written into the site's content, then ``make publish``'s build and upload."""
    content = write_content(root, files)
    return build_and_publish(
        settings_file(root),
        str(content),
        BUCKET,
        False,
        None,
        root / "cache",
        io.StringIO(),
        progress,
    )


def test_a_one_alert_rebuild_writes_and_uploads_only_the_files_that_changed(
    tmp_path: Path, s3: list[str]
) -> None:
    write_content(tmp_path, SITE)
    rebuilt(tmp_path)
    publish(tmp_path / "output", BUCKET, dry_run=False, distribution=None, out=io.StringIO())
    s3.clear()
    before = files(tmp_path / "output")

    write_content(tmp_path, {"alerts/water.md": NEW_ALERT})
    report, after = rebuilt(tmp_path)
    differ = {name for name, (digest, _) in after.items() if before.get(name, ("",))[0] != digest}

    # Written: exactly the files whose bytes changed; every other file kept its time.
    assert set(report.added) | set(report.changed) == differ
    assert not report.removed
    assert all(after[n][1] == before[n][1] for n in after.keys() - differ)
    new = {ALERT, "alerts/water.cap.xml"}
    assert set(report.added) == new
    assert {"index.html", "alerts/index.html", "feeds/alerts.atom.xml", "api/v1/notify.json"} <= (
        differ
    )
    # The banner is on every page, so the other pages change too; what does not carry it
    # is left alone: other types' feeds, data and calendars, the styles.
    unchanged = {"feeds/notices.atom.xml", "api/v1/notices.json", "meetings/calendar.ics"}
    assert not unchanged & differ
    assert any(n.startswith("theme/") for n in after.keys() - differ)
    # Replaced in the live folder in publishing order: the alert's page first of all pages.
    written = [*report.added, *report.changed]
    html = [n for n in written if n.endswith(".html")]
    assert html[0] == ALERT

    outcome = publish(
        tmp_path / "output", BUCKET, dry_run=False, distribution=None, out=io.StringIO()
    )
    # Uploaded: exactly what changed, each once, stage after stage (the manifest after the
    # alert's page, the home page and the feeds; the other pages after the manifest).
    assert sorted(s3) == sorted(differ)
    assert outcome == {"uploaded": len(differ), "deleted": 0, "unchanged": len(after) - len(differ)}
    items = {"alerts/water"}
    order = [classify(key, items).stage for key in s3]
    assert order == sorted(order)
    manifest = s3.index("api/v1/notify.json")
    assert {ALERT, "alerts/water.cap.xml", "index.html", "feeds/alerts.atom.xml"} <= set(
        s3[:manifest]
    )
    assert "notices/plan/index.html" in s3[manifest:]

    # Nothing to do a second time.
    s3.clear()
    assert rebuilt(tmp_path)[0].summary().startswith("0 changed, 0 added, 0 removed")
    publish(tmp_path / "output", BUCKET, dry_run=False, distribution=None, out=io.StringIO())
    assert s3 == []


def test_a_deleted_alert_leaves_the_site_and_the_bucket(tmp_path: Path, s3: list[str]) -> None:
    write_content(tmp_path, {**SITE, "alerts/water.md": NEW_ALERT})
    rebuilt(tmp_path)
    publish(tmp_path / "output", BUCKET, dry_run=False, distribution=None, out=io.StringIO())

    (tmp_path / "content" / "alerts" / "water.md").unlink()
    report, after = rebuilt(tmp_path)
    assert set(report.removed) == {ALERT, "alerts/water.cap.xml"}
    assert "Water supply off" not in (tmp_path / "output" / "index.html").read_text()
    assert "Water supply off" not in (tmp_path / "output" / "notices/plan/index.html").read_text()
    outcome = publish(
        tmp_path / "output", BUCKET, dry_run=False, distribution=None, out=io.StringIO()
    )
    assert outcome["deleted"] == 2
    keys = {o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == set(after)


def test_make_publish_puts_a_new_alert_in_the_bucket_while_it_builds(
    tmp_path: Path, s3: list[str]
) -> None:
    make_publish(tmp_path, SITE)
    s3.clear()
    said: list[str] = []

    def progress(stage: str) -> None:
        said.append(f"{stage} after {len(s3)} uploads")

    outcome = make_publish(tmp_path, {"alerts/water.md": NEW_ALERT}, progress)
    assert outcome["uploaded"] == len(s3)  # those uploaded while building included
    # Its page, and at once the manifest that emails it (written before any page; it
    # announces nothing else new), then its CAP message, while Pelican writes the rest and
    # before any stage of the upload.
    assert s3[:3] == [ALERT, MANIFEST, "alerts/water.cap.xml"]
    assert said[:3] == [
        f"{EARLY} after 1 uploads",
        f"{STAGES[4]} after 2 uploads",
        f"{EARLY} after 3 uploads",
    ]
    assert s3.count(ALERT) == 1 and s3.count(MANIFEST) == 1
    assert "index.html" in s3 and s3.index("index.html") > 2  # the home page: built after


def test_a_rebuild_puts_a_new_alert_and_the_manifest_emailing_it_live_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On one server: the alert's page, then at once the manifest (which starts notify),
    while Pelican is still writing the lists and ward pages."""
    write_content(tmp_path, SITE)
    rebuilt(tmp_path)
    replaced: list[tuple[str, bool]] = []  # each file put live, and whether the build had
    real_replace = rebuild_module.replace_file  # written the ward pages by then

    def replace(source: Path, target: Path) -> None:
        name = target.relative_to(tmp_path / "output").as_posix()
        build = Path(str(source)[: -len(name)])
        replaced.append((name, (build / "wards" / "index.html").exists()))
        real_replace(source, target)

    monkeypatch.setattr(rebuild_module, "replace_file", replace)
    write_content(tmp_path, {"alerts/water.md": NEW_ALERT})
    rebuilt(tmp_path)
    assert replaced[:3] == [(ALERT, False), (MANIFEST, False), ("alerts/water.cap.xml", True)]


def test_a_build_straight_into_the_served_folder_writes_the_manifest_after_its_pages(
    tmp_path: Path,
) -> None:
    """``make html`` writes into the folder being served (and watched by notify's path
    unit): there the manifest comes after every page, never before the pages it links to."""
    order: list[str] = []

    def note(path: str, context: object = None) -> None:
        order.append(Path(path).relative_to(tmp_path / "output").as_posix())

    signals.content_written.connect(note)
    try:
        build(tmp_path, {**SITE, "alerts/water.md": NEW_ALERT}, SEARCH_INDEX=False)
    finally:
        signals.content_written.disconnect(note)
    linked = (
        ALERT,
        "index.html",
        "alerts/index.html",
        "wards/index.html",
        "notices/plan/index.html",
    )
    assert order.index(MANIFEST) > max(order.index(page) for page in linked)


def test_a_publish_builds_in_its_cache_and_clears_what_a_killed_one_left(
    tmp_path: Path, s3: list[str]
) -> None:
    left = tmp_path / "cache" / ".rebuild-publish-k1ll3d_x"  # a publish killed outright
    (left / "site").mkdir(parents=True)
    (left / "site" / "index.html").write_text("half a site")
    make_publish(tmp_path, SITE)
    assert "index.html" in s3
    assert list((tmp_path / "cache").glob(".rebuild-*")) == []


def test_a_manifest_announcing_more_than_new_alerts_waits_for_their_pages(
    tmp_path: Path, s3: list[str]
) -> None:
    make_publish(tmp_path, SITE)
    s3.clear()
    notice = item("notices", Slug="road", Date="2026-11-28 10:30", Reference="DOV/26/00003")
    make_publish(tmp_path, {"alerts/water.md": NEW_ALERT, "notices/road.md": notice})
    assert set(s3[:2]) == {ALERT, "alerts/water.cap.xml"}
    assert s3.index(MANIFEST) > s3.index("notices/road/index.html")


TRANSLATED = {
    **SITE,
    **{
        f"alerts/flood.{lang}.md": item(
            "alerts", Slug="flood", Lang=lang, Title=f"Flood ({lang})", Summary="Llifogydd."
        )
        for lang in ("cy", "pl", "ro", "ar")
    },
}


def rebuild_process(root: Path, seed: str, **settings: str) -> str:
    """``python -m noticeboard.rebuild`` as a timer runs it, in a process of its own (with
    its own hash seed); its summary line."""
    conf = settings_file(root)
    if settings:
        with open(conf, "a", encoding="utf-8") as file:
            file.writelines(f"{name} = {value}\n" for name, value in settings.items())
    arguments = ["--settings", conf, "--output", str(root / "output")]
    arguments += ["--content", str(root / "content"), "--cache", str(root / "cache")]
    done = subprocess.run(
        [sys.executable, "-m", "noticeboard.rebuild", *arguments],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_rebuild_of_nothing_new_in_another_process_changes_nothing(tmp_path: Path) -> None:
    """An item's translations are listed in the same order by every process (Pelican finds
    them in a set's order), so a timer's rebuild changes, uploads and announces nothing."""
    write_content(tmp_path, TRANSLATED)
    rebuild_process(tmp_path, "1")
    for seed in ("2", "3"):
        assert rebuild_process(tmp_path, seed).startswith("rebuild: 0 changed, 0 added, 0 removed")
    cap = (tmp_path / "output" / "alerts" / "flood.cap.xml").read_text()
    languages = [line.strip() for line in cap.splitlines() if "<language>" in line]
    assert languages[0] == "<language>en-GB</language>"  # the original, then by language
    assert languages[1:] == sorted(languages[1:]) and len(languages) == 5


def test_settings_that_shape_a_cache_start_a_new_one(tmp_path: Path) -> None:
    """Compiled templates kept from a build with other Jinja options, or a reading kept
    from a build with other Markdown settings, would give stale pages: not used."""
    write_content(tmp_path, SITE)
    rebuild_process(tmp_path, "1")
    page = (tmp_path / "output" / "about" / "index.html").read_text()
    trimmed = rebuild_process(
        tmp_path,
        "1",
        JINJA_ENVIRONMENT='{**JINJA_ENVIRONMENT, "trim_blocks": False}',
        MARKDOWN='{**MARKDOWN, "extension_configs": {**MARKDOWN["extension_configs"],'
        ' "markdown.extensions.nl2br": {}}}',
    )
    assert not trimmed.startswith("rebuild: 0 changed")
    again = (tmp_path / "output" / "about" / "index.html").read_text()
    assert again.count("\n") > page.count("\n")  # untrimmed blocks: more lines
    assert len([p for p in (tmp_path / "cache").iterdir() if p.is_dir()]) == 2
