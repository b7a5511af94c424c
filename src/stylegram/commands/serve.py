"""`stylegram serve [--host 127.0.0.1] [--port 8000]`: the local web page with a live preview."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import SUMMARIES
from ..errors import OptionError, check_number, warn


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "serve",
        help=SUMMARIES["serve"],
        description="Start a local web server with a page for style transfer and texture synthesis. Jobs run one "
        "at a time; others wait in a queue. The content may be a video, stylized frame by frame as stylegram batch "
        "does it. Needs the web extra: pip install 'stylegram[web]' (and the batch extra for videos).",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; anything but 127.0.0.1/localhost lets other machines in, and "
                        "the page then fetches no web addresses for them (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--max-upload-mb", type=float, default=32, help="largest upload in MB (default: %(default)s)")
    parser.add_argument("--max-pixels", type=int, default=50_000_000,
                        help="largest image in pixels, checked before decoding (default: %(default)s)")
    parser.add_argument("--max-size", type=int, default=1024, help="largest output long side in px (default: %(default)s)")
    parser.add_argument("--open", action="store_true", help="open the page in the default browser")
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        from ..web import create_app, server
    except ImportError as err:
        raise OptionError(f"the web page needs packages that are not installed ({err.name}); "
                          "install them with: pip install 'stylegram[web]' (in a clone of stylegram: "
                          "pip install -e '.[web]')") from None
    check_number("--max-upload-mb", args.max_upload_mb, 0.001)  # 1 kB; less rounds to a limit of 0 bytes
    check_number("--max-pixels", args.max_pixels, 1)
    check_number("--max-size", args.max_size, 16)
    if not 0 <= args.port <= 65535:
        raise OptionError(f"--port must be between 0 and 65535 (0 picks a free one), got {args.port}")
    local = args.host in server.LOOPBACK
    sock = server.bind(args.host, args.port)
    app = create_app(max_upload_bytes=int(args.max_upload_mb * 1e6), max_pixels=args.max_pixels,
                     max_size=args.max_size, allowed_hosts=list(server.LOOPBACK) if local else None,
                     fetch_addresses=local)
    address = server.url(sock)
    print(f"stylegram: serving on {address}  (Ctrl-C to stop)", flush=True)
    if not local:
        warn(f"listening on {args.host}, so other machines can reach this page")
    if args.open:
        import webbrowser

        webbrowser.open(address)
    def report() -> None:  # what the stop did to the jobs under way
        for line in app.state.service.shutdown_report(Path.cwd()):
            print(f"stylegram: {line}", file=sys.stderr, flush=True)

    server.Server(server.config(app), after=report).run(sockets=[sock])
    return 0
