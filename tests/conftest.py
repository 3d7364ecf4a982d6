"""Fixtures for the simulator's own tests (tests/test_simulator_*.py).

Everything here is named `simulator_*` and builds on `simulator.app.create_app`:

- `simulator_wall_clock`: a wall clock that stands still until a test moves it, so link
  expiry is exact to the second; site time itself moves through the control API.
- `simulator_mail`: one aiosmtpd sink for the session; waiting for a mail is on a condition.
- `simulator_client`: the app under `TestClient` (lifespan on), not following redirects.
- `simulator_site`: a fresh test site with helpers for the control API, its mail and devices;
  each device is a client of its own (its own cookies) on the same app.
- `simulator_served`: the app under uvicorn on a real socket, for tools that speak HTTP
  themselves (Schemathesis).
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import itertools
import re
import socket
import threading
from email.message import EmailMessage
from typing import Any, Callable, Iterator

import httpx2
import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from fake_mail.serving import HttpServer, bind
from simulator.app import Settings, create_app
from simulator.service import Portal

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules first, as `long(seconds)` marks them: two workers that take modules
    in turn (`--dist loadscope`) then do not end with one of them running a long module alone."""

    def seconds(item: pytest.Item) -> float:
        mark = item.get_closest_marker("long")
        return mark.args[0] if mark else 0.0

    items.sort(key=seconds, reverse=True)  # stable: the others keep their order


SIMULATOR_CONTROL_TOKEN = "simulator-test-token"
SIMULATOR_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a whole second
SIMULATOR_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
MAIL_TIMEOUT_S = 5.0

_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
_ADDRESSES = itertools.count(1)  # distinct default addresses across the session


class SimulatorWallClock:
    """An injectable wall clock: `Settings(wall_clock=...)` reads it, tests move it."""

    def __init__(self, start: float = SIMULATOR_EPOCH) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CollectedMail:
    """An aiosmtpd handler keeping every message; readers wait on a condition, never sleep."""

    def __init__(self) -> None:
        self.port = 0  # where the sink listens, once started
        self._messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def matching(self, predicate: Callable[[EmailMessage], bool]) -> list[EmailMessage]:
        with self._arrived:
            return [message for message in self._messages if predicate(message)]

    def wait_for(
        self, predicate: Callable[[EmailMessage], bool], *, count: int = 1, timeout: float = MAIL_TIMEOUT_S
    ) -> list[EmailMessage]:
        """At least `count` messages matching `predicate`, oldest first; AssertionError on timeout."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self.matching(predicate)) >= count, timeout)
            found = self.matching(predicate)
        assert arrived, f"expected {count} matching mail(s) within {timeout}s, got {len(found)}"
        return found


class BoundSmtpController(Controller):
    """aiosmtpd's threaded controller on a socket bound beforehand (its port-0 check cannot work)."""

    def __init__(self, handler: Any, sock: socket.socket) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, server_hostname="sink", ident="sink")
        self._sock = sock

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


def bind_free_port(host: str = "127.0.0.1") -> socket.socket:
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets saying so, and without
    # it every multi-line SMTP reply waits out the client's delayed ACK (~40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(16)
    sock.setblocking(False)
    return sock


def mail_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def action_link(message: EmailMessage) -> str:
    found = re.search(r"http://testserver/s/\w+/(?:invitation|link)/[A-Za-z0-9_-]+", mail_text(message))
    assert found, mail_text(message)
    return found.group(0)


def management_link_in(message: EmailMessage) -> str:
    found = re.search(r"http://testserver/s/\w+/manage/\d+/\d+/[A-Za-z0-9_-]+", mail_text(message))
    assert found, mail_text(message)
    return found.group(0)


def csrf_of(response: httpx2.Response) -> str:
    found = _CSRF_RE.search(response.text)
    assert found, f"no CSRF field in {response.status_code} {response.url}"
    return found.group(1)


class SimulatorDevice:
    """One browser: its own cookie jar, talking to the same app as every other device."""

    def __init__(self, transport: httpx2.BaseTransport, site: SimulatorSite) -> None:
        self.client = httpx2.Client(transport=_Shared(transport), base_url="http://testserver")
        self.site = site

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, **kwargs: Any) -> httpx2.Response:
        return self.client.get(self.site.absolute(url), **kwargs)

    def follow(self, url: str) -> httpx2.Response:
        return self.client.get(self.site.absolute(url), follow_redirects=True)

    def csrf(self) -> str:
        """The CSRF value a page of this site hands this device (reading the sign-in page)."""
        return csrf_of(self.get("/login"))

    def post(
        self, url: str, fields: dict[str, str] | None = None, *, csrf: str | None = "auto", **kwargs: Any
    ) -> httpx2.Response:
        data = dict(fields or {})
        if csrf == "auto":
            data["csrf"] = self.csrf()
        elif csrf is not None:
            data["csrf"] = csrf
        return self.client.post(self.site.absolute(url), data=data, **kwargs)

    def ask_login_link(self, address: str) -> httpx2.Response:
        return self.post("/login-link", {"email": address})

    def password_sign_in(self, address: str, password: str) -> httpx2.Response:
        return self.post("/sign-in", {"email": address, "password": password})

    def sign_out(self) -> httpx2.Response:
        return self.post("/sign-out")

    def home(self) -> httpx2.Response:
        return self.get("/")

    def has_access(self) -> bool:
        """Does this device see the portal signed in? (home renders rather than redirects)"""
        response = self.home()
        return response.status_code == 200 and "Your billing portal" in response.text

    def cookie(self, name: str) -> str | None:
        return self.client.cookies.get(name)

    def set_cookie(self, name: str, value: str) -> None:
        """Plant a cookie as the site would have set it (host-only, the site's path)."""
        self.client.cookies.set(name, value, domain="testserver.local", path=self.site.base)

    def drop_cookie(self, name: str) -> None:
        for cookie in list(self.client.cookies.jar):
            if cookie.name == name:
                self.client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)


class _Shared(httpx2.BaseTransport):
    """The TestClient's transport, lent to a device client that must not close it."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return self._inner.handle_request(request)


class SimulatorSite:
    """A test site of the app under test, reached through the control API as the suite would."""

    def __init__(self, client: TestClient, mail: CollectedMail) -> None:
        self.client = client
        self.mail_sink = mail
        answer = self.control("POST", "", path="/control/sites")
        assert answer.status_code == 201, answer.text
        self.id: str = answer.json()["id"]
        self.portal_url: str = answer.json()["portal_url"]
        self.base = f"/s/{self.id}"
        self._devices: list[SimulatorDevice] = []

    # -- control API -------------------------------------------------------------------------

    def control(
        self, method: str, suffix: str = "", *, path: str | None = None, token: str | None = SIMULATOR_CONTROL_TOKEN, **kwargs: Any
    ) -> httpx2.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        url = path if path is not None else f"/control/sites/{self.id}{suffix}"
        return self.client.request(method, url, headers=headers, **kwargs)

    def set_policy(self, **changes: Any) -> dict[str, Any]:
        answer = self.control("PUT", "/policy", json=changes)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def policy(self) -> dict[str, Any]:
        return self.control("GET", "/policy").json()

    def add_customer(self, address: str | None = None, first_name: str = "Ada", last_name: str = "Lovelace") -> dict[str, Any]:
        address = address or f"ada{next(_ADDRESSES)}@example.com"
        answer = self.control(
            "POST", "/customers", json={"email": address, "first_name": first_name, "last_name": last_name}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    def customer(self, customer: dict[str, Any]) -> dict[str, Any]:
        return self.control("GET", f"/customers/{customer['id']}").json()

    def invite(self, customer: dict[str, Any]) -> None:
        answer = self.control("POST", f"/customers/{customer['id']}/invitations")
        assert answer.status_code == 202, answer.text

    def revoke(self, customer: dict[str, Any]) -> None:
        answer = self.control("DELETE", f"/customers/{customer['id']}/invitations")
        assert answer.status_code == 200, answer.text

    def set_password(self, customer: dict[str, Any], password: str) -> None:
        answer = self.control("PUT", f"/customers/{customer['id']}/password", json={"password": password})
        assert answer.status_code == 204, answer.text

    def management_link(self, customer: dict[str, Any]) -> dict[str, Any]:
        answer = self.control("GET", f"/customers/{customer['id']}/management_link")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def management_url(self, customer: dict[str, Any]) -> str:
        return str(self.management_link(customer)["url"])

    def advance(self, seconds: float) -> None:
        answer = self.control("POST", "/clock/advance", json={"seconds": seconds})
        assert answer.status_code == 200, answer.text

    # -- mail --------------------------------------------------------------------------------

    def _mail_filter(self, to: str, kind: str | None) -> Callable[[EmailMessage], bool]:
        def matches(message: EmailMessage) -> bool:
            return (
                message["To"].addresses[0].addr_spec.lower() == to.lower()
                and (kind is None or message["X-Portal-Email-Kind"] == kind)
                and f"/s/{self.id}/" in mail_text(message)
            )

        return matches

    def mail(self, to: str, kind: str | None = None, *, nth: int = 1) -> EmailMessage:
        """The `nth` mail of `kind` this site sent to `to`, waiting for it to arrive."""
        return self.mail_sink.wait_for(self._mail_filter(to, kind), count=nth)[nth - 1]

    def mails(self, to: str, kind: str | None = None) -> list[EmailMessage]:
        """The mail that has arrived so far (no waiting: use `queued` to count what was sent)."""
        return self.mail_sink.matching(self._mail_filter(to, kind))

    def link(self, to: str, kind: str, *, nth: int = 1) -> str:
        """The action link (invitation or login link) of the `nth` such mail to `to`."""
        return action_link(self.mail(to, kind, nth=nth))

    # Readers of mail and pages, as methods so test modules need not import this conftest.
    text_of = staticmethod(mail_text)
    action_link_in = staticmethod(action_link)
    management_link_in = staticmethod(management_link_in)
    csrf_of = staticmethod(csrf_of)

    def queued(self, to: str | None = None) -> list[dict[str, Any]]:
        """Mail this site queued (in the request that sent it), from the store's outbox."""
        return [
            row
            for row in self.portal.store.outbox()
            if row["site_id"] == self.id and (to is None or row["recipient"].lower() == to.lower())
        ]

    # -- pages and devices -------------------------------------------------------------------

    @property
    def portal(self) -> Portal:
        return self.client.app_state["portal"]

    def absolute(self, url: str) -> str:
        return url if url.startswith(("http://", "https://", "/s/", "/control")) else self.base + url

    def device(self) -> SimulatorDevice:
        device = SimulatorDevice(self.client._transport, self)
        self._devices.append(device)
        return device

    def accepted_invitation(self, customer: dict[str, Any], device: SimulatorDevice) -> None:
        """Invite a customer never invited before and open the invitation on `device` (INV-4)."""
        self.invite(customer)
        answer = device.get(self.link(customer["email"], "invitation"))
        assert answer.status_code == 303, answer.text

    def close(self) -> None:
        for device in self._devices:
            device.close()


@pytest.fixture(scope="session")
def simulator_mail() -> Iterator[CollectedMail]:
    collected = CollectedMail()
    controller = BoundSmtpController(collected, bind_free_port())
    controller.start()
    collected.port = controller.port
    try:
        yield collected
    finally:
        controller.stop()


@pytest.fixture
def simulator_relay_on(simulator_mail: CollectedMail) -> Iterator[Callable[[socket.socket], None]]:
    """Bring a relay up on a socket bound beforehand; what it receives joins `simulator_mail`."""
    started: list[BoundSmtpController] = []

    def start(sock: socket.socket) -> None:
        started.append(BoundSmtpController(simulator_mail, sock))
        started[-1].start()

    try:
        yield start
    finally:
        for controller in started:
            controller.stop()


@pytest.fixture
def simulator_wall_clock() -> SimulatorWallClock:
    return SimulatorWallClock()


@pytest.fixture
def simulator_settings(simulator_mail: CollectedMail, simulator_wall_clock: SimulatorWallClock) -> Settings:
    return Settings(
        public_url="http://testserver",
        control_token=SIMULATOR_CONTROL_TOKEN,
        smtp_port=simulator_mail.port,
        password_hasher=SIMULATOR_HASHER,
        wall_clock=simulator_wall_clock,
    )


@pytest.fixture
def simulator_client(simulator_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(simulator_settings), follow_redirects=False) as client:
        yield client


@pytest.fixture
def simulator_sites(simulator_client: TestClient, simulator_mail: CollectedMail) -> Iterator[Callable[[], SimulatorSite]]:
    """Make test sites on the one app (for isolation tests); their devices close at teardown."""
    made: list[SimulatorSite] = []

    def make() -> SimulatorSite:
        made.append(SimulatorSite(simulator_client, simulator_mail))
        return made[-1]

    try:
        yield make
    finally:
        for site in made:
            site.close()


@pytest.fixture
def simulator_site(simulator_sites: Callable[[], SimulatorSite]) -> SimulatorSite:
    return simulator_sites()


@dataclasses.dataclass(frozen=True)
class ServedSimulator:
    """The simulator under uvicorn on a socket of its own, reached over HTTP as a vendor's portal is."""

    url: str
    token: str = SIMULATOR_CONTROL_TOKEN


@pytest.fixture(scope="module")
def simulator_served(simulator_mail: CollectedMail) -> Iterator[ServedSimulator]:
    """One simulator for a module, serving on 127.0.0.1 (the real wall clock, cheap argon2)."""
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        public_url=url, control_token=SIMULATOR_CONTROL_TOKEN, smtp_port=simulator_mail.port, password_hasher=SIMULATOR_HASHER
    )
    server = HttpServer(create_app(settings), sock)
    server.start()
    try:
        yield ServedSimulator(url)
    finally:
        server.stop()
