"""Run the sink standalone: ``python -m fake_mail --smtp-port 1025 --http-port 1080``.

``--starttls``/``--require-starttls``/``--tls-port`` and ``--auth USER:PASSWORD``/``--auth-accept-any``
make it a relay that insists on TLS and AUTH, as vendors' mailers expect (see docs/mail.md).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from fake_mail.auth import parse_credentials
from fake_mail.sink import MailSink
from fake_mail.store import DEFAULT_MAX_MESSAGES

# Usage errors exit 2 (as argparse's do); failing to serve exits 1.
_USAGE = 2


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(_USAGE, f"{self.prog}: error: {message}\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {port}")
    return port


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _credentials(text: str) -> tuple[str, str]:
    try:
        return parse_credentials(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = _OneLineParser(
        prog="python -m fake_mail",
        description="A local SMTP sink with a JSON API and an inbox page.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--smtp-port", type=_port, default=1025, help="SMTP port, 0 for a free one (default 1025)")
    parser.add_argument("--http-port", type=_port, default=1080, help="HTTP port, 0 for a free one (default 1080)")
    parser.add_argument("--no-http", action="store_true", help="serve SMTP only")
    parser.add_argument(
        "--max-message-size", type=_positive, default=10 * 1024 * 1024, help="bytes; larger mail gets 552"
    )
    parser.add_argument("--max-recipients", type=_positive, default=100, help="more recipients get 452")
    parser.add_argument(
        "--max-messages", type=_positive, default=DEFAULT_MAX_MESSAGES,
        help=f"mail kept; the oldest goes first (default {DEFAULT_MAX_MESSAGES})",
    )
    tls = parser.add_argument_group("TLS and AUTH (default: plain SMTP, no AUTH)")
    tls.add_argument("--starttls", action="store_true", help="offer STARTTLS on the SMTP port")
    tls.add_argument("--require-starttls", action="store_true", help="refuse mail until STARTTLS (implies --starttls)")
    tls.add_argument("--tls-port", type=_port, help="also serve implicit TLS (SMTPS) on this port, 0 for a free one")
    tls.add_argument("--tls-cert", metavar="PEM", help="certificate (chain) to serve; default: one made at start")
    tls.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")
    tls.add_argument(
        "--auth", action="append", type=_credentials, metavar="USER:PASSWORD",
        help="require AUTH PLAIN/LOGIN as this user (repeatable); wrong credentials get 535",
    )
    tls.add_argument("--auth-accept-any", action="store_true", help="require AUTH, accepting any credentials")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if args.tls_cert is not None and not (args.starttls or args.require_starttls or args.tls_port is not None):
        parser.error("--tls-cert needs --starttls, --require-starttls or --tls-port")
    if args.auth and args.auth_accept_any:
        parser.error("--auth and --auth-accept-any exclude each other")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; print the addresses once listening."""
    args = parse_args(argv)
    sink = MailSink(
        args.host,
        smtp_port=args.smtp_port,
        http_port=None if args.no_http else args.http_port,
        max_message_size=args.max_message_size,
        max_recipients=args.max_recipients,
        max_messages=args.max_messages,
        starttls=args.starttls,
        require_starttls=args.require_starttls,
        tls_port=args.tls_port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        auth=dict(args.auth) if args.auth else None,
        auth_accept_any=args.auth_accept_any,
    )
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            sink.start()
        except OSError as error:
            print(f"fake_mail: error: cannot listen on {args.host}: {error.strerror or error}", file=sys.stderr)
            return 1
        except ValueError as error:  # a certificate that cannot be used
            print(f"fake_mail: error: {error}", file=sys.stderr)
            return 1
        print(f"fake_mail SMTP on smtp://{args.host}:{sink.smtp_port}", flush=True)
        if sink.http_url is not None:
            print(f"fake_mail HTTP on {sink.http_url}/", flush=True)
        if sink.tls_port is not None:
            print(f"fake_mail SMTPS on smtps://{args.host}:{sink.tls_port}", flush=True)
        if sink.tls_ca_file is not None:
            print(f"fake_mail TLS trust {sink.tls_ca_file}", flush=True)
        stopping.wait()
        print("fake_mail stopping", flush=True)
        return 0
    finally:
        sink.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
