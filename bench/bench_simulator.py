"""Benchmark the simulator's hottest path against a bare Starlette route, in one run.

    .venv/bin/python bench/bench_simulator.py [--seconds 24] [--rounds 4]

The hottest path: a customer on a verified device, signed in, opens her management URL:
GET /s/<site>/manage/... -> 303 -> GET /s/<site>/ (the portal's home page, rendered).
The baseline: a bare Starlette app (same framework, no middleware) whose /manage route answers
303 to a route returning a page of the same bytes as that home page.

Both apps are served by uvicorn on threads of this process with the same settings; one
httpx.Client with keep-alive drives both, following the redirect, measured in alternating
rounds so drift in the machine's load hits both alike. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_mail.serving import HttpServer, SmtpServer, bind  # noqa: E402
from simulator.app import Settings, create_app  # noqa: E402

HOST = "127.0.0.1"
TOKEN = "bench-token"


class Sink:
    """The smallest SMTP sink: keeps messages, wakes whoever waits for one."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, kind: str, timeout: float = 10.0) -> email.message.EmailMessage:
        def found() -> list[email.message.EmailMessage]:
            return [m for m in self.messages if m["X-Portal-Email-Kind"] == kind]

        with self.arrived:
            assert self.arrived.wait_for(found, timeout), f"no {kind} mail"
            return found()[-1]


class Served:
    """An ASGI app, made knowing its own URL, under uvicorn on a thread of its own."""

    def __init__(self, make_app: Callable[[str], ASGIApp]) -> None:
        sock = bind(HOST, 0)
        self.url = f"http://{HOST}:{sock.getsockname()[1]}"
        self.server = HttpServer(make_app(self.url), sock)

    def __enter__(self) -> Served:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def prepare_simulator(client: httpx.Client, base: str, sink: Sink) -> str:
    """A site, a customer who accepted her invitation with `client`; returns her management URL."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    site = client.post(f"{base}/control/sites", headers=auth).json()
    customer = client.post(
        f"{base}/control/sites/{site['id']}/customers",
        headers=auth,
        json={"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
    ).json()
    client.post(f"{base}/control/sites/{site['id']}/customers/{customer['id']}/subscriptions", headers=auth, json={"product": "Gold"})
    client.post(f"{base}/control/sites/{site['id']}/customers/{customer['id']}/invitations", headers=auth)
    text = sink.wait_for("invitation").get_body(("plain",)).get_content()  # type: ignore[union-attr]
    invitation = re.search(r"http://\S+/invitation/\S+", text).group(0)  # type: ignore[union-attr]
    assert client.get(invitation, follow_redirects=True).status_code == 200
    return str(client.get(f"{base}/control/sites/{site['id']}/customers/{customer['id']}/management_link", headers=auth).json()["url"])


def bare_app(page: bytes) -> Starlette:
    async def manage(request: Request) -> Response:
        return RedirectResponse("/bare/", status_code=303)

    async def home(request: Request) -> Response:
        return HTMLResponse(page)

    return Starlette(routes=[Route("/bare/manage/{rest:path}", manage), Route("/bare/", home)])


def measure(open_once: Callable[[], int], seconds: float) -> tuple[int, float]:
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(20):
            open_once()
        done += 20
    return done, time.perf_counter() - start


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--seconds", type=float, default=24.0, help="total measuring time, split over both (default 24)")
    cli.add_argument("--rounds", type=int, default=4, help="alternating rounds (default 4)")
    args = cli.parse_args()

    sink = Sink()
    relay = SmtpServer(sink, bind(HOST, 0), server_hostname="sink")
    relay.start()
    try:
        def simulator_app(url: str) -> ASGIApp:
            # Default settings otherwise: in-memory SQLite, the real argon2 cost (not on this path).
            return create_app(Settings(public_url=url, control_token=TOKEN, smtp_host=HOST, smtp_port=relay.port))

        with Served(simulator_app) as simulator, httpx.Client(timeout=10) as client:
            manage_url = prepare_simulator(client, simulator.url, sink)
            home = client.get(manage_url, follow_redirects=True)
            assert home.status_code == 200 and "Your billing portal" in home.text, home.text[:200]
            page = home.content
            with Served(lambda url: bare_app(page)) as bare:
                bare_manage = f"{bare.url}/bare/manage/1/1767225600/{'S' * 43}"
                bare_page = client.get(bare_manage, follow_redirects=True)
                assert bare_page.status_code == 200 and len(bare_page.content) == len(page)

                def open_simulator() -> int:
                    response = client.get(manage_url, follow_redirects=True)
                    assert response.status_code == 200
                    return len(response.content)

                def open_bare() -> int:
                    response = client.get(bare_manage, follow_redirects=True)
                    assert response.status_code == 200
                    return len(response.content)

                measure(open_simulator, 1.0)  # warm up both
                measure(open_bare, 1.0)
                totals = {"simulator": [0, 0.0], "bare": [0, 0.0]}
                share = args.seconds / (2 * args.rounds)
                for _ in range(args.rounds):
                    for name, opener in (("simulator", open_simulator), ("bare", open_bare)):
                        done, elapsed = measure(opener, share)
                        totals[name][0] += done
                        totals[name][1] += elapsed
    finally:
        relay.stop()

    rates = {name: done / elapsed for name, (done, elapsed) in totals.items()}
    print(f"page size: {len(page)} bytes; each operation = GET manage URL (303) + GET home (200)")
    for name in ("simulator", "bare"):
        done, elapsed = totals[name]
        print(
            f"{name:9}  {rates[name]:8.1f} opens/s   {2 * rates[name]:8.1f} requests/s"
            f"   ({done} opens in {elapsed:.1f} s)"
        )
    print(f"ratio simulator/bare: {rates['simulator'] / rates['bare']:.2f}")


if __name__ == "__main__":
    main()
