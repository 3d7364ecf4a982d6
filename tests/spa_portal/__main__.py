"""`python -m tests.spa_portal`: serve the single-page-app portal; prints `ready <url>` once listening."""

from __future__ import annotations

import argparse
import sys

from tests.alt_portal.__main__ import smtp_address
from tests.alt_portal.control import ControlApi
from tests.alt_portal.mail import Outbox
from tests.alt_portal.web import App, Request, Response, serve

from .api import Call
from .faults import FAULTS
from .portal import SpaPortal
from .shell import not_found, script, shell


def make_app(base_url: str, outbox: Outbox, token: str, faults: frozenset[str] = frozenset()) -> App:
    portal = SpaPortal(base_url, faults)
    control = ControlApi(portal, outbox, token)

    def app(request: Request) -> Response:
        if request.path.startswith("/control/"):
            return control(request)
        parts = request.path.split("/", 3)  # "", "spa", site, rest
        site = portal.sites.get(parts[2]) if len(parts) > 2 and parts[1] == "spa" else None
        if site is None:
            return not_found()
        rest = parts[3] if len(parts) > 3 else ""
        if rest.startswith("api/"):
            return Call(portal, outbox, site, request).answer(rest[4:].rstrip("/"))
        if request.method not in ("GET", "HEAD"):
            return Response(405, b"Pages are only read; the app sends forms to its API.", "text/plain; charset=utf-8")
        if rest == "assets/app.js":
            return Response(200, script(), "text/javascript; charset=utf-8")
        return shell(f"/spa/{site.id}")

    return app


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m tests.spa_portal", description=__doc__)
    cli.add_argument("--host", default="127.0.0.1")
    cli.add_argument("--port", type=int, default=0, help="0 picks a free port")
    cli.add_argument("--smtp", type=smtp_address, required=True, help="HOST:PORT of the mail sink")
    cli.add_argument("--control-token", required=True)
    cli.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS), help="turn a fault on")
    args = cli.parse_args(argv)
    if not args.control_token.strip():
        cli.error("--control-token may not be empty")
    outbox = Outbox(*args.smtp)
    try:
        server = serve(args.host, args.port, lambda url: make_app(url, outbox, args.control_token, frozenset(args.fault)))
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
