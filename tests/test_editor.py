"""The web editor agrees with the validator: its fields and values come from the content
model, and what its file format writes passes the content check."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from noticeboard.new import KINDS, draft
from plugins.content_model.checks import site_slugify, site_wards
from plugins.content_model.model import Source, check_source
from plugins.content_model.places import Places
from plugins.content_model.registry import ALL_TYPES
from plugins.editor import DECAP_DIST, EditorMissingError, copy_decap
from subscriber_lambda.site_policy import EDITOR_POLICY
from tests.sitebuilder import BASE, ROOT, build, read, settings_for

FORMAT = ROOT / "theme" / "static" / "js" / "decap-pelican-format.js"
SAMPLES = {
    "Title": "Road closed in Walmer",
    "Date": "2026-11-20 09:00",
    "Summary": "The Strand is closed for repairs.",
    "Wards": ["walmer", "mill-hill"],
    "Expires": "2026-11-30 18:00",
    "Polygon": "51.20,1.40 51.21,1.40 51.21,1.41 51.20,1.40",
    "Reference": "TRO/2026/100",
    "Legislation": "Road Traffic Regulation Act 1984, section 14",
    "Changes": "2026-12-25 -> 2026-12-26",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("editor"), {"pages/about.md": "Title: About\n\nAbout.\n"})


@pytest.fixture(scope="module")
def config(site: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((site / "admin" / "config.yml").read_text())
    return loaded


def node(function: str, value: Any) -> Any:
    script = (
        f"const f = require({json.dumps(str(FORMAT))});"
        f"process.stdout.write(JSON.stringify(f.{function}(JSON.parse(process.argv[1]))))"
    )
    result = subprocess.run(
        ["node", "-e", script, json.dumps(value)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("folder", list(ALL_TYPES))
def test_the_editor_offers_exactly_the_content_models_fields(
    config: dict[str, Any], folder: str
) -> None:
    collection = next(c for c in config["collections"] if c["name"] == folder)
    fields = {f["name"]: f for f in collection["fields"] if f["name"] != "body"}
    model = ALL_TYPES[folder]
    assert list(fields) == [f.name for f in model.fields]
    for spec in model.fields:
        offered = fields[spec.name]
        assert offered["required"] is spec.required, spec.name
        if spec.kind == "wards":
            assert offered["options"][0] == "all" and "walmer" in offered["options"]
        elif spec.choices:
            assert offered["options"] == list(spec.choices), spec.name
    assert collection["folder"] == f"content/{folder}" and collection["format"] == "pelican-meta"


@pytest.mark.parametrize("folder", ["alerts", "notices", "bin-changes", "pages"])
def test_what_the_editor_writes_passes_the_content_check(
    config: dict[str, Any], folder: str, tmp_path: Path
) -> None:
    collection = next(c for c in config["collections"] if c["name"] == folder)
    entry: dict[str, Any] = {}
    for field in collection["fields"]:
        if field["name"] == "body":
            entry["body"] = "Some **words**."
        elif field["required"] or field["name"] == "Polygon":
            entry[field["name"]] = SAMPLES.get(field["name"]) or field["options"][0]
    text = node("toFile", entry)
    assert node("fromFile", text) == {
        k: ", ".join(v) if isinstance(v, list) else v for k, v in entry.items()
    }
    output = build(tmp_path, {f"{folder}/from-the-editor.md": text})
    assert (output / "index.html").exists()


def test_the_editor_reads_the_example_content(config: dict[str, Any]) -> None:
    for folder in ALL_TYPES:
        names = {
            f["name"] for c in config["collections"] if c["name"] == folder for f in c["fields"]
        }
        for path in (ROOT / "content" / folder).glob("*.md"):
            assert set(node("fromFile", path.read_text())) <= names, path


def test_the_admin_page_loads_the_editor_and_the_format(site: Path) -> None:
    page = read(site, "/admin/")
    assert 'rel="cms-config-url"' in page and "decap-pelican-format.js" in page
    assert "admin" not in (site / "sitemap.xml").read_text()


def test_the_editor_comes_from_the_pinned_npm_package_served_by_the_site(site: Path) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["decap-cms"]
    installed = json.loads((DECAP_DIST.parent / "package.json").read_text())["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned) and installed == pinned
    page = read(site, "/admin/")
    assert '<script src="/admin/decap-cms.js"></script>' in page
    assert "unpkg" not in page and "https://" not in page.split("<body>")[1]
    admin = site / "admin"
    assert (admin / "decap-cms.js").read_bytes() == (DECAP_DIST / "decap-cms.js").read_bytes()
    assert list(admin.glob("[0-9]*.decap-cms.js")) and list(admin.glob("*.wasm"))
    assert not list(admin.glob("*.map")) and not (admin / "cms.js").exists()


def test_the_editors_policy_trusts_no_cdn() -> None:
    directives = dict(d.split(" ", 1) for d in EDITOR_POLICY.split("; "))
    assert directives["script-src"] == "'self' 'unsafe-eval'"  # Decap compiles its schemas
    assert "unpkg" not in EDITOR_POLICY


def test_without_decap_installed_the_build_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(EditorMissingError, match=r"run 'make setup' \(npm ci\)"):
        copy_decap(tmp_path / "missing", tmp_path / "admin")


def test_the_admin_page_says_what_to_do_when_the_editor_cannot_start(site: Path) -> None:
    page = read(site, "/admin/")
    assert "<noscript>" in page and "The editor needs JavaScript" in page
    assert re.search(r"<div data-editor-fallback hidden>\s*<h1>The editor could not start", page)
    assert 'src="/theme/js/editor-start.js"' in page


def required_by_the_check(folder: str) -> set[str]:
    """The fields whose absence the check refuses: each left out of a valid file in turn."""
    settings = settings_for(ROOT)
    wards, slugify = site_wards(settings), site_slugify(settings)
    required = set()
    for name in BASE[folder]:
        metadata = {k.lower(): v for k, v in BASE[folder].items() if k != name}
        source = Source(f"content/{folder}/x.md", "/x.md", folder, metadata, "Words.")
        _, problems = check_source(source, Places(wards), slugify, "en")
        if any(not p.warning for p in problems):
            required.add(name)
    return required


def required_by_make_new(folder: str) -> set[str]:
    """The fields make new writes into a new file given nothing but the type."""
    _, text = draft(ALL_TYPES[folder], {}, datetime(2026, 11, 28, tzinfo=UTC), str.lower)
    return {line.split(":")[0] for line in text.split("\n\n")[0].splitlines()}


@pytest.mark.parametrize("folder", list(ALL_TYPES))
def test_the_editor_make_new_and_the_check_require_the_same_fields(
    config: dict[str, Any], folder: str
) -> None:
    collection = next(c for c in config["collections"] if c["name"] == folder)
    by_editor = {f["name"] for f in collection["fields"] if f["name"] != "body" and f["required"]}
    assert by_editor == required_by_the_check(folder)
    if folder in KINDS.values():
        assert by_editor == required_by_make_new(folder)
