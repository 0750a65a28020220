"""Pelican plugin: the web editor for officers who do not use git (Decap CMS) at /admin/,
its configuration generated from the content model and the wards file at every build.

Decap CMS comes from npm (``decap-cms``, pinned in package.json and installed by ``make
setup``) and is copied into the site with each build, so the editor loads from the
council's own site: no third-party CDN to trust or to be blocked by.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.output_files import write_document

from .config import editor_config

DECAP_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "decap-cms" / "dist"
# The bundle, the chunks and WebAssembly it loads from beside itself, and its licences;
# not the source maps (tens of megabytes) nor the second copy named cms.js.
DECAP_FILES = ("decap-cms.js", "decap-cms.js.LICENSE.txt", "[0-9]*.decap-cms.js", "*.wasm")


class EditorMissingError(SystemExit):
    """Decap CMS is not installed; exits non-zero saying how to install it."""


def copy_decap(dist: Path, target: Path) -> None:
    if not (dist / "decap-cms.js").is_file():
        raise EditorMissingError(
            f"admin: {dist / 'decap-cms.js'} is missing; run 'make setup' (npm ci) to install "
            "the editor"
        )
    target.mkdir(parents=True, exist_ok=True)
    for pattern in DECAP_FILES:
        for path in dist.glob(pattern):
            shutil.copyfile(path, target / path.name)


class EditorGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        backend = self.settings.get("DECAP_BACKEND") or {"name": "git-gateway", "branch": "main"}
        config = editor_config(checked_content(self.context).wards, backend)
        text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
        write_document(writer, self.context, "admin/config.yml", text)
        copy_decap(DECAP_DIST, Path(self.output_path) / "admin")
        writer.write_file(
            "admin/index.html", self.get_template("admin"), self.context, url="admin/"
        )


def editor_generator(pelican: Any) -> type[Generator]:
    return EditorGenerator


def register() -> None:
    signals.get_generators.connect(editor_generator)
