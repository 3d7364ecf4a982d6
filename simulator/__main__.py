"""`python -m simulator`: run the reference portal alone."""

from __future__ import annotations

import argparse
import socket
import sys

import uvicorn

from .app import Settings, create_app
from .faults import REGISTRY, Faults
from .outbox import RelaySecurity


def parse_smtp(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def parse_credentials(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise argparse.ArgumentTypeError(f"expected USER:PASSWORD, got {value!r}")
    return user, password


def parse_port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {value!r}")
    return int(value)


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m simulator", description="The reference billing portal.")
    cli.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    cli.add_argument("--port", type=parse_port, default=8000, help="port to listen on; 0 picks a free one")
    cli.add_argument("--smtp", type=parse_smtp, required=True, help="HOST:PORT of the SMTP relay (the mail sink)")
    relay = cli.add_argument_group("the relay's TLS and AUTH (default: plain SMTP, no AUTH)")
    relay.add_argument("--smtp-starttls", action="store_true", help="upgrade every relay connection with STARTTLS")
    relay.add_argument(
        "--smtp-auth", type=parse_credentials, metavar="USER:PASSWORD", help="AUTH after STARTTLS (needs --smtp-starttls)"
    )
    trust = relay.add_mutually_exclusive_group()
    trust.add_argument(
        "--smtp-cafile", metavar="PEM",
        help="verify the relay's certificate against this CA (e.g. the one `python -m fake_mail` prints)",
    )
    trust.add_argument(
        "--smtp-insecure", action="store_true", help="accept any relay certificate (encrypted, not authenticated)"
    )
    cli.add_argument("--control-token", required=True, help="bearer token the control API requires")
    cli.add_argument("--db", default=":memory:", help="SQLite file (default: in memory)")
    cli.add_argument("--public-url", help="base URL in links (default http://HOST:PORT)")
    cli.add_argument(
        "--fault", action="append", default=[], choices=list(REGISTRY), metavar="NAME",
        help="break one rule on purpose, to prove the suite notices (repeatable): " + ", ".join(REGISTRY),
    )
    return cli


def relay_security(cli: argparse.ArgumentParser, args: argparse.Namespace) -> RelaySecurity:
    """The --smtp-* options as the outbox takes them; a contradiction is a usage error."""
    user, password = args.smtp_auth or (None, None)
    try:
        security = RelaySecurity(
            starttls=args.smtp_starttls, username=user, password=password,
            cafile=args.smtp_cafile, insecure=args.smtp_insecure,
        )
        if security.starttls:
            security.tls_context()  # an unreadable CA file fails now, not at the first mail
    except ValueError as error:
        cli.error(str(error))
    return security


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without
    # it every response waits out a 40 ms delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()  # a port in use must not leak the socket (a ResourceWarning)
        raise
    return sock


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if not args.control_token.strip():
        cli.error("--control-token may not be empty")
    security = relay_security(cli, args)
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        cli.error(f"cannot listen on {args.host}:{args.port}: {error.strerror}")
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host  # an IPv6 literal needs brackets
    public_url = (args.public_url or f"http://{host}:{port}").rstrip("/")
    settings = Settings(
        public_url=public_url,
        control_token=args.control_token,
        smtp_host=args.smtp[0],
        smtp_port=args.smtp[1],
        smtp_security=security,
        db_path=args.db,
        faults=Faults.named(args.fault),
    )
    print(f"portal   {public_url}/s/<site>", flush=True)
    print(f"control  {public_url}/control", flush=True)
    for name in settings.faults.names:
        print(f"fault    {name}: breaks {REGISTRY[name].rule} ({REGISTRY[name].breaks})", flush=True)
    print(f"ready    {public_url}", flush=True)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
