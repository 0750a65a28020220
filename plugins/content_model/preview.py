"""``noticeboard-preview``: build and serve the site with live reload while writing
(http://127.0.0.1:8000/). The content check runs on the first build; run
``noticeboard-validate`` before committing."""

from __future__ import annotations

import sys

from pelican import main as pelican_main


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    pelican_main(
        [
            "content",
            "-s",
            "pelicanconf.py",
            "-o",
            "output",
            "--autoreload",
            "--listen",
            "--bind",
            "127.0.0.1",
            "--port",
            "8000",
            *args,
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
