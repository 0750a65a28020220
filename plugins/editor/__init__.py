"""Pelican plugin: the web editor for officers who do not use git (Decap CMS) at /admin/,
its configuration generated from the content model and the wards file at every build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pelican import signals
from pelican.generators import Generator

from plugins.content_model import WARDS

from .config import editor_config


class EditorGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        backend = self.settings.get("DECAP_BACKEND") or {"name": "git-gateway", "branch": "main"}
        config = editor_config(self.settings[WARDS], backend)
        path = Path(self.output_path) / "admin" / "config.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        writer.write_file(
            "admin/index.html", self.get_template("admin"), self.context, url="admin/"
        )


def editor_generator(pelican: Any) -> type[Generator]:
    return EditorGenerator


def register() -> None:
    signals.get_generators.connect(editor_generator)
