"""``noticeboard-validate``: check the content folder, or some files in it, without building."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pelican.settings import read_settings

from plugins.content_model.checks import check_site_content, print_problems
from plugins.content_model.wards import WardsFileError
from plugins.sanitise import text_warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="noticeboard-validate",
        description="Check content files against the content model. Exit status 1 if any "
        "file has a problem; each is printed as 'path: field: what is wrong'.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="content files to report on (default: the whole content folder)",
    )
    parser.add_argument("--content", type=Path, default=None, help="the content folder")
    parser.add_argument("--settings", default="pelicanconf.py", help="Pelican settings file")
    args = parser.parse_args(argv)

    content = args.content
    files = [p for p in args.paths if p.suffix]
    folders = [p for p in args.paths if not p.suffix]
    if content is None:
        content = folders[0] if folders else Path("content")
    override = {"PATH": str(content.resolve())}
    if not Path(args.settings).is_file():
        print(
            f"{args.settings}: file: not found; run this in the noticeboard's folder, or give "
            "--settings PATH/pelicanconf.py",
            file=sys.stderr,
        )
        return 2
    settings = read_settings(args.settings, override=override)
    missing = [p for p in files if not p.is_file()]
    if missing:
        for path in missing:
            print(f"{path}: file: not found", file=sys.stderr)
        return 2
    only = {p.resolve() for p in files} or None
    try:
        report = check_site_content(settings, only=only)
    except WardsFileError as error:
        print(error, file=sys.stderr)
        return 1
    checked = [i.source_path for i in report.items if only is None or Path(i.source_path) in only]
    report.warnings += text_warnings(checked, settings)
    print_problems([*report.problems, *report.warnings])
    if report.ok:
        print(report.summary(building=False))
        return 0
    print(report.summary(building=False), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
