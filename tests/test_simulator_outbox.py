"""Mail delivery (`simulator.outbox`): a relay that is down loses nothing; mail goes when it is up.

The relay's port is bound from the start but not listening (connections are refused, as with a
relay that is down); starting the sink on that same socket brings the relay up on the same port.
The worker's wall clock is injected, so retries come due when the test says, and every wait is
on an event with a timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import socket
import threading
from typing import Any, Awaitable, Callable, Iterator

import pytest
from simulator_flows import Clock
from starlette.testclient import TestClient

from simulator.app import Settings, create_app
from simulator.outbox import MAX_RETRY_DELAY_S, Outbox
from simulator.policy import Policy
from simulator.store import Store


class WatchedStore(Store):
    """A store that says when the worker has recorded a failure or a delivery."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.changed = threading.Condition()

    def mark_failed(self, mail_id: int, error: str, retry_at: float) -> None:
        super().mark_failed(mail_id, error, retry_at)
        with self.changed:
            self.changed.notify_all()

    def mark_sent(self, mail_id: int, now: float) -> None:
        super().mark_sent(mail_id, now)
        with self.changed:
            self.changed.notify_all()

    def wait_until(self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0) -> list[dict[str, Any]]:
        with self.changed:
            assert self.changed.wait_for(lambda: condition(self.outbox()), timeout), self.outbox()
        return self.outbox()


@pytest.fixture
def watched_store() -> Iterator[WatchedStore]:
    store = WatchedStore()
    store.add_site("s", b"secret", Policy())
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def relay_socket() -> Iterator[socket.socket]:
    """A bound, not yet listening socket: the relay's port, down until a sink serves on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def message(recipient: str, n: int) -> bytes:
    return f"To: {recipient}\r\nSubject: statement {n}\r\nX-Portal-Email-Kind: account\r\n\r\nbody {n}\r\n".encode()


def run_worker(outbox: Outbox, scenario: Callable[[], Awaitable[None]]) -> None:
    """Run `outbox.run()` beside `scenario` on one event loop, and stop it after."""

    async def main() -> None:
        worker = asyncio.create_task(outbox.run())
        try:
            await scenario()
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    # A loop of its own in a thread of its own: a worker that ran a browser test before this one
    # holds the session's sync Playwright, whose loop counts as running in the main thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


def test_relay_down_keeps_mail_queued_and_delivers_all_when_it_is_up(
    watched_store: WatchedStore,
    relay_socket: socket.socket,
    simulator_mail: Any,
    simulator_relay_on: Callable[[socket.socket], None],
    request: pytest.FixtureRequest,
) -> None:
    clock = Clock()
    port = relay_socket.getsockname()[1]
    outbox = Outbox(watched_store, smtp_host="127.0.0.1", smtp_port=port, wall_clock=clock, sender="portal@billing.invalid")
    recipients = [f"outbox-{request.node.name}-{n}@example.com" for n in range(3)]

    async def scenario() -> None:
        for n, recipient in enumerate(recipients):
            watched_store.queue_mail("s", recipient, message(recipient, n), clock())
        outbox.notify()
        rows = await asyncio.to_thread(watched_store.wait_until, lambda rows: all(r["attempts"] >= 1 for r in rows))
        assert all(row["sent_at"] is None for row in rows)
        assert all(row["last_error"].startswith("relay unavailable") for row in rows)
        assert all(row["attempts"] == 1 for row in rows)  # not retried before its time

        simulator_relay_on(relay_socket)
        clock.now += 0.5  # the first retry is due
        outbox.notify()
        delivered = await asyncio.to_thread(
            simulator_mail.wait_for, lambda m: m["To"] in recipients, count=len(recipients)
        )
        rows = await asyncio.to_thread(watched_store.wait_until, lambda rows: all(r["sent_at"] for r in rows))
        assert sorted(m["Subject"] for m in delivered) == ["statement 0", "statement 1", "statement 2"]
        assert [row["attempts"] for row in rows] == [1, 1, 1]

    run_worker(outbox, scenario)


def test_failed_mail_is_retried_later_and_later(watched_store: WatchedStore, relay_socket: socket.socket) -> None:
    clock = Clock()
    port = relay_socket.getsockname()[1]
    outbox = Outbox(watched_store, smtp_host="127.0.0.1", smtp_port=port, wall_clock=clock, sender="portal@billing.invalid")

    async def scenario() -> None:
        watched_store.queue_mail("s", "ada@example.com", message("ada@example.com", 1), clock())
        delays = []
        for attempt in range(1, 9):
            outbox.notify()
            await asyncio.to_thread(watched_store.wait_until, lambda rows: rows[0]["attempts"] == attempt)
            due = watched_store.next_mail_due_at()
            assert due is not None
            delays.append(due - clock.now)
            clock.now = due
        assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, MAX_RETRY_DELAY_S, MAX_RETRY_DELAY_S]

    run_worker(outbox, scenario)


def test_app_outbox_with_relay_down_then_up(
    relay_socket: socket.socket,
    simulator_mail: Any,
    simulator_relay_on: Callable[[socket.socket], None],
    simulator_settings: Settings,
    simulator_wall_clock: Any,
    request: pytest.FixtureRequest,
) -> None:
    """The whole app: an invitation sent while the relay is down arrives once it is up."""
    settings = dataclasses.replace(simulator_settings, smtp_port=relay_socket.getsockname()[1])
    auth = {"Authorization": f"Bearer {settings.control_token}"}
    address = f"down-{request.node.name}@example.com"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        store = client.app_state["portal"].store
        failed = threading.Event()
        original = store.mark_failed

        def mark_failed(*args: Any) -> None:
            original(*args)
            failed.set()

        store.mark_failed = mark_failed
        site = client.post("/control/sites", headers=auth).json()["id"]
        customer = client.post(
            f"/control/sites/{site}/customers", headers=auth, json={"email": address, "first_name": "A", "last_name": "B"}
        ).json()
        assert client.post(f"/control/sites/{site}/customers/{customer['id']}/invitations", headers=auth).status_code == 202
        assert failed.wait(5)
        [row] = [row for row in store.outbox() if row["recipient"] == address]
        assert row["attempts"] == 1 and row["sent_at"] is None and "relay unavailable" in row["last_error"]

        simulator_relay_on(relay_socket)
        simulator_wall_clock.advance(1)  # past the retry time; the worker wakes on its own
        [invitation] = simulator_mail.wait_for(lambda m: m["To"].addresses[0].addr_spec == address)
        assert invitation["X-Portal-Email-Kind"] == "invitation"


def test_the_delivered_mail_carries_the_message_id_it_was_queued_with(simulator_site: Any) -> None:
    customer = simulator_site.add_customer()
    simulator_site.invite(customer)
    delivered = simulator_site.mail(customer["email"], "invitation")
    [row] = simulator_site.queued(customer["email"])
    assert row["message_id"] and delivered["Message-ID"] == row["message_id"]
    simulator_site.invite(customer)  # a second invitation is a new mail, with a new Message-ID
    again = simulator_site.mail(customer["email"], "invitation", nth=2)
    assert again["Message-ID"] not in (None, row["message_id"])
