"""Compile the theme's CSS: GOV.UK Frontend's Sass with the council's brand from the settings.

Run by ``make`` during set-up (``python -m noticeboard.build_css``), never at
every build: the compiled CSS is build output and is not committed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parents[1]
SASS = ROOT / "node_modules" / ".bin" / "sass"
GOVUK_JS = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk" / "govuk-frontend.min.js"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5  # WCAG 2.2 AA for normal text


class BrandError(ValueError):
    """The configured brand colour cannot be used."""


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour written as #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(hex_colour: str) -> float:
    return 1.05 / (relative_luminance(hex_colour) + 0.05)


def check_brand_colour(value: object) -> str:
    if not isinstance(value, str) or not _HEX.match(value):
        raise BrandError(f"pelicanconf.py: BRAND_COLOUR: '{value}' is not a colour like #00594f")
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise BrandError(
            f"pelicanconf.py: BRAND_COLOUR: {value} gives {ratio:.1f}:1 contrast with white text; "
            f"WCAG needs {MIN_CONTRAST}:1, choose a darker shade"
        )
    return value.lower()


def council_scss(brand: str) -> str:
    return f"// Written by build_css.py from pelicanconf.py; do not edit.\n$brand: {brand};\n"


def build(settings_file: str, out_dir: Path) -> Path:
    settings = read_settings(settings_file)
    brand = check_brand_colour(settings.get("BRAND_COLOUR"))
    generated = ROOT / "theme" / "generated"
    generated.mkdir(parents=True, exist_ok=True)
    (generated / "_council.scss").write_text(council_scss(brand), encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    css = out_dir / "noticeboard.css"
    subprocess.run(
        [
            str(SASS),
            "--no-source-map",
            "--style=compressed",
            "--quiet-deps",
            f"--load-path={generated}",
            f"--load-path={ROOT / 'node_modules'}",
            str(ROOT / "theme" / "sass" / "noticeboard.scss"),
            str(css),
        ],
        check=True,
    )
    shutil.copyfile(GOVUK_JS, out_dir / "govuk-frontend.min.js")
    return css


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument("--out", type=Path, default=ROOT / "theme" / "static" / "build")
    args = parser.parse_args(argv)
    try:
        css = build(args.settings, args.out)
    except BrandError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Wrote {css.relative_to(ROOT) if css.is_relative_to(ROOT) else css}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
