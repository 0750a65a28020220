"""``python -m subscriber_lambda serve``: the site and (later) the subscription routes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .static_site import make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m subscriber_lambda")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the built site on one local port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--site-dir", type=Path, default=Path("output"))
    args = parser.parse_args(argv)

    if not (args.site_dir / "index.html").is_file():
        print(f"{args.site_dir}: no built site here; run 'make html' first", file=sys.stderr)
        return 1
    server = make_server(args.host, args.port, args.site_dir)
    print(f"Serving {args.site_dir} at http://{args.host}:{server.server_port}/ (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
