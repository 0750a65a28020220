"""``noticeboard-preview``: build, serve and rebuild the site while an officer writes
(http://127.0.0.1:8000/).

Every change to the content, the theme or the settings is a whole new build, so the
content check runs on every file, metadata included, each time (Pelican's own autoreload
checks only at the start: it runs the plugins' ``initialized`` signal once). A page open
in the browser reloads itself after each good build. One process: the server is a thread
and Ctrl+C or SIGTERM stops everything, leaving no process behind.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import watchfiles
from pelican import Pelican
from pelican.log import init as init_logging
from pelican.settings import read_settings
from pelican.utils import FileChangeFilter

from plugins import build_children

logger = logging.getLogger(__name__)

PREFIX = "/__preview__/"
# Asks every second which build is served; reloads the page when a newer one is.
RELOAD_JS = b"""(function () {
  var shown = new URL(document.currentScript.src).searchParams.get("build");
  function ask() {
    fetch("/__preview__/build", {cache: "no-store"})
      .then(function (response) { return response.text(); })
      .then(function (build) { if (build !== shown) { location.reload(); } })
      .catch(function () {})
      .finally(function () { setTimeout(ask, 1000); });
  }
  setTimeout(ask, 1000);
})();
"""


class Builds:
    """The number of the last good build, shared by the builder and the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._number = 0

    def done(self) -> None:
        with self._lock:
            self._number += 1

    @property
    def number(self) -> int:
        with self._lock:
            return self._number


class PreviewHandler(SimpleHTTPRequestHandler):
    """The output folder as it is, with the reload script added to every page."""

    def __init__(self, *args: Any, builds: Builds, **kwargs: Any) -> None:
        self.builds = builds
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == PREFIX + "build":
            self._send(str(self.builds.number).encode(), "text/plain; charset=utf-8")
        elif path == PREFIX + "reload.js":
            self._send(RELOAD_JS, "text/javascript; charset=utf-8")
        elif (page := self._page(path)) is not None:
            tag = f'<script src="{PREFIX}reload.js?build={self.builds.number}" defer></script>'
            html = page.read_bytes().replace(b"</body>", tag.encode() + b"</body>", 1)
            self._send(html, "text/html; charset=utf-8")
        else:
            super().do_GET()

    def _page(self, path: str) -> Path | None:
        found = Path(self.translate_path(path))
        if found.is_dir():
            found = found / "index.html"
        return found if found.suffix == ".html" and found.is_file() else None

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for the content check's messages."""


def build(settings: dict[str, Any], builds: Builds) -> None:
    """One whole build with fresh plugins (so the content check runs again)."""
    try:
        Pelican(settings).run()
    except SystemExit as stopped:  # the content check's (its problems are printed already)
        print(stopped.code, file=sys.stderr)
        print("Preview: still showing the last good build; fix the file and save.", flush=True)
    except Exception:
        logger.exception("Preview: the build failed")
    else:
        builds.done()
    finally:
        build_children.end_all()  # of a build that failed: none goes on working for it


def changes(settings_file: str, settings: dict[str, Any]) -> Iterator[set[str]]:
    """The files changed since the last time asked (often none: it answers at least every
    half second): the content, the theme and the settings, as Pelican's own autoreload
    watches them. One watcher for the whole session, so a save made during a build is
    not missed."""
    watched = [settings_file, settings["THEME"], settings["PATH"]]
    ignored = FileChangeFilter(ignore_file_patterns=set(settings.get("IGNORE_FILES", [])))
    for batch in watchfiles.watch(
        *(p for p in watched if Path(p).exists()),
        watch_filter=ignored,
        yield_on_timeout=True,
        rust_timeout=500,
    ):
        yield {path for _, path in batch}


def stop_on_terminate() -> None:
    """SIGTERM stops the preview like Ctrl+C does, with its clean-up."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="noticeboard-preview", description=__doc__)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--content", default="content")
    parser.add_argument("--output", default="output")
    parser.add_argument("--settings", default="pelicanconf.py")
    args = parser.parse_args(argv)
    init_logging(logging.WARNING)
    stop_on_terminate()
    override = {"PATH": str(Path(args.content).resolve()), "OUTPUT_PATH": args.output}
    builds = Builds()
    handler = partial(PreviewHandler, builds=builds, directory=args.output)
    server = ThreadingHTTPServer((args.bind, args.port), handler)
    server.daemon_threads = True
    serving = threading.Thread(target=server.serve_forever, name="preview-server")
    try:
        settings = read_settings(args.settings, override=override)
        for changed in changes(args.settings, settings):
            if serving.is_alive() and not changed:
                continue
            if changed:
                print(f"Changed: {', '.join(sorted(changed))}", flush=True)
            build(read_settings(args.settings, override=override), builds)
            if not serving.is_alive():
                serving.start()
                print(f"Preview at http://{args.bind}:{args.port}/ (Ctrl+C to stop)", flush=True)
    except KeyboardInterrupt:
        print("Preview stopped.", flush=True)
    finally:
        if serving.is_alive():
            server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
