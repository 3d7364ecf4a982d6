"""`python -m tests.alt_portal`: serve the alternative portal; prints `ready <url>` once listening."""

from __future__ import annotations

import argparse
import sys

from .control import ControlApi
from .mail import Outbox
from .model import Portal
from .pages import Pages
from .web import App, Request, Response, serve


def make_app(base_url: str, outbox: Outbox, token: str) -> App:
    portal = Portal(base_url)
    control, pages = ControlApi(portal, outbox, token), Pages(portal, outbox)

    def app(request: Request) -> Response:
        if request.path.startswith("/control/"):
            return control(request)
        if request.path.startswith("/portal/"):
            return pages(request)
        return Response(404, b"Not found.", "text/plain; charset=utf-8")

    return app


def smtp_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m tests.alt_portal", description=__doc__)
    cli.add_argument("--host", default="127.0.0.1")
    cli.add_argument("--port", type=int, default=0, help="0 picks a free port")
    cli.add_argument("--smtp", type=smtp_address, required=True, help="HOST:PORT of the mail sink")
    cli.add_argument("--control-token", required=True)
    args = cli.parse_args(argv)
    if not args.control_token.strip():
        cli.error("--control-token may not be empty")
    outbox = Outbox(*args.smtp)
    try:
        server = serve(args.host, args.port, lambda url: make_app(url, outbox, args.control_token))
    except OSError as error:
        cli.error(f"cannot listen on {args.host}:{args.port}: {error.strerror}")
    host, port = server.server_address[:2]
    print(f"ready http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        outbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
