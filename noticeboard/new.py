"""``noticeboard-new alert|notice|bin-change|consultation|meeting``: start a content file
with today's date, a slug and every required field filled from flags, asked for (at a
terminal), or marked for the officer to fill in (the validator then says exactly what is
missing)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pelican.settings import read_settings

from plugins.content_model.checks import site_slugify
from plugins.content_model.london_time import LONDON
from plugins.content_model.placeholders import BODY, placeholder
from plugins.content_model.registry import ITEM_TYPES
from plugins.content_model.schema import ContentType

# What officers type: a type's singular name ('bin-change' for content/bin-changes/).
KINDS = {t.template.replace("_", "-"): t.folder for t in ITEM_TYPES.values()}
ASKED = ("Title", "Summary", "Wards")


def draft(
    content_type: ContentType,
    values: dict[str, str],
    now: datetime,
    slugify_title: Callable[[str], str],
) -> tuple[str, str]:
    """The file's name and text: required fields first, each given, or marked to fill in."""
    values = {"Date": now.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"), **values}
    if "Slug" not in values and values.get("Title"):
        values["Slug"] = slugify_title(values["Title"])
    lines = []
    for spec in content_type.fields:
        if spec.name in values:
            lines.append(f"{spec.name}: {values[spec.name]}")
        elif spec.required:
            lines.append(f"{spec.name}: {placeholder(spec)}")
    name = f"{values.get('Slug') or 'new-' + content_type.folder}.md"
    return name, "\n".join(lines) + "\n\n" + BODY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="noticeboard-new", description=__doc__)
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--title")
    parser.add_argument("--summary")
    parser.add_argument("--wards", help="ward slugs separated by commas, or all")
    parser.add_argument(
        "--field", action="append", default=[], metavar="NAME=VALUE", help="any other field"
    )
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--settings", default="pelicanconf.py")
    args = parser.parse_args(argv)
    content_type = ITEM_TYPES[KINDS[args.kind]]
    values = {
        k: v
        for k, v in (("Title", args.title), ("Summary", args.summary), ("Wards", args.wards))
        if v
    }
    for pair in args.field:
        name, _, value = pair.partition("=")
        values[name.strip()] = value.strip()
    if sys.stdin.isatty():
        for name in ASKED:
            if name not in values and (answer := input(f"{name}: ").strip()):
                values[name] = answer
    settings = read_settings(args.settings, override={"PATH": str(args.content.resolve())})
    from plugins.content_model import build_time

    name, text = draft(
        content_type, values, build_time(settings.get("NOTICEBOARD_NOW")), site_slugify(settings)
    )
    target = args.content / content_type.folder / name
    if target.exists():
        print(
            f"{target}: file: already exists; give another --title or a --field Slug=...",
            file=sys.stderr,
        )
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"Wrote {target}. Fill in what it marks, then: make validate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
