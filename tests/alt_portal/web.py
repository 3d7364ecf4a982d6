"""The HTTP layer on stdlib `http.server`: requests in, responses out, nothing of the policy."""

from __future__ import annotations

import dataclasses
import json
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

MAX_BODY = 64 * 1024
SECURITY_HEADERS = [
    ("Referrer-Policy", "no-referrer"),  # SEC-3: no page ever sends a token on as a referrer
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
]


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    cookies: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str] | None:
        """The url-encoded form, or None when it is not one (bad encoding, bad bytes)."""
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return None
        try:
            pairs = parse_qsl(self.body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            return None
        return dict(reversed(pairs))  # the first value of a repeated field wins

    def json(self) -> Any:
        """The JSON body (None when empty); ValueError when it is not JSON."""
        return json.loads(self.body) if self.body else None


@dataclasses.dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    @classmethod
    def json(cls, status: int, data: Any = None) -> Response:
        body = b"" if data is None else json.dumps(data).encode()
        return cls(status, body, "application/json")

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(303, b"", "text/plain", [("Location", location)])


App = Callable[[Request], Response]


def parse_cookies(header: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for piece in header.split(";"):
        name, sep, value = piece.strip().partition("=")
        if sep and name and name not in cookies:
            cookies[name] = value.strip().strip('"')
    return cookies


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AltPortal/1"
    app: App

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _serve(self) -> None:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            self.close_connection = True
            self._send(Response(413, b"Request body too large.", "text/plain; charset=utf-8"))
            return
        body = self.rfile.read(int(length)) if int(length) else b""
        parts = urlsplit(self.path)
        request = Request(
            self.command, parts.path, dict(reversed(parse_qsl(parts.query, keep_blank_values=True))),
            self.headers, parse_cookies(self.headers.get("Cookie", "")), body,
        )
        try:
            response = self.app(request)
        except Exception:  # a bug: say so loudly, and still answer
            traceback.print_exc(file=sys.stderr)
            response = Response(500, b"Internal error.", "text/plain; charset=utf-8")
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in [*SECURITY_HEADERS, *response.headers]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the suite's evidence records what happened."""


def serve(host: str, port: int, make_app: Callable[[str], App]) -> ThreadingHTTPServer:
    """A bound server (port 0 picks one); the app is made knowing the server's own URL."""
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    bound = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    handler = type("BoundHandler", (Handler,), {"app": staticmethod(make_app(f"http://{shown}:{bound}"))})
    server.RequestHandlerClass = handler
    return server
