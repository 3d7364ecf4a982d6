"""The portal's operations (`simulator.service`) without HTTP: what HTTP tests cannot force."""

from __future__ import annotations

import email
import email.policy
import re
import threading
from typing import Iterator

import pytest
from argon2 import PasswordHasher
from simulator_flows import Clock

from simulator import service, validation
from simulator.app import template_environment
from simulator.rules import Outcome
from simulator.service import Portal, RateLimited
from simulator.store import Site, Store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def portal(clock: Clock) -> Iterator[Portal]:
    store = Store(":memory:")
    try:
        yield Portal(
            store,
            templates=template_environment(),
            public_url="http://portal.test",
            sender="Billing Portal <portal@billing.invalid>",
            wall_clock=clock,
            password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
        )
    finally:
        store.close()


def queued_links(portal: Portal, clock: Clock) -> list[str]:
    links = []
    for mail in portal.store.due_mail(clock()):
        message = email.message_from_bytes(mail.message, policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        links += re.findall(r"http://portal\.test/s/\w+/(?:invitation|link)/[\w-]+", text)
    return links


def invited(portal: Portal, clock: Clock) -> tuple[Site, int, str]:
    site = portal.create_site()
    ada = portal.create_customer(site, "ada@example.com", "Ada", "Lovelace")
    portal.invite(site, ada)
    [link] = queued_links(portal, clock)
    return site, ada.id, link.rsplit("/", 1)[1]


def test_SEC2_two_requests_that_both_decided_yes_still_use_the_link_once(portal: Portal, clock: Clock) -> None:
    """Both requests pass the policy core before either marks the link used: the store decides."""
    site, _, token = invited(portal, clock)
    both_decided = threading.Barrier(2, timeout=5)
    use_email_link = portal.store.use_email_link

    def use_after_both_decided(token_hash: str, now: float) -> bool:
        both_decided.wait()
        return use_email_link(token_hash, now)

    portal.store.use_email_link = use_after_both_decided  # type: ignore[method-assign]
    results: dict[str, object] = {}

    def open_on(device: str) -> None:
        access, _, signed = portal.open_email_link(site, token, device)
        results[device] = (access.outcome, signed is not None)

    threads = [threading.Thread(target=open_on, args=(device,)) for device in ("laptop", "phone")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == sorted([(Outcome.SIGN_IN, True), (Outcome.INVALID, False)])
    winner = next(device for device, (_, signed) in results.items() if signed)  # type: ignore[misc]
    loser = "phone" if winner == "laptop" else "laptop"
    assert portal.store.device_verified(1, winner) and not portal.store.device_verified(1, loser)


def test_mail_is_queued_on_the_wall_clock_even_when_the_site_clock_is_ahead(portal: Portal, clock: Clock) -> None:
    site = portal.create_site()
    portal.advance_clock(site, 30 * 86400)
    site = portal.site(site.id)
    ada = portal.create_customer(site, "ada@example.com", "Ada", "Lovelace")
    portal.invite(site, ada)
    assert [mail.recipient for mail in portal.store.due_mail(clock())] == ["ada@example.com"]


def test_verify_ticket_is_bound_to_site_customer_and_time(portal: Portal, clock: Clock) -> None:
    site = portal.create_site()
    ada = portal.create_customer(site, "ada@example.com", "Ada", "Lovelace")
    ben = portal.create_customer(site, "ben@example.com", "Ben", "Byron")
    ticket = portal.verify_ticket(site, ada)
    assert portal.request_login_link_for(site, ada.id, ticket) == ada
    with pytest.raises(validation.InvalidInput):
        portal.request_login_link_for(site, ben.id, ticket)  # another customer's ticket
    other = portal.create_site()
    with pytest.raises(validation.InvalidInput):
        portal.request_login_link_for(other, ada.id, ticket)  # another site's
    clock.now += 3600
    with pytest.raises(validation.InvalidInput):
        portal.request_login_link_for(site, ada.id, ticket)  # an hour old


@pytest.mark.parametrize("ticket", ["", ".", "abc", "1.", "²." + "A" * 43, "9" * 5000 + ".x", "1767225600.tampered"])
def test_malformed_verify_ticket_is_invalid_input(portal: Portal, ticket: str) -> None:
    site = portal.create_site()
    ada = portal.create_customer(site, "ada@example.com", "Ada", "Lovelace")
    with pytest.raises(validation.InvalidInput):
        portal.request_login_link_for(site, ada.id, ticket)


def test_record_id_takes_only_ascii_digits_that_fit_sqlite() -> None:
    assert validation.record_id("42") == 42
    assert validation.record_id("9" * 18) == int("9" * 18)
    for bad in ("", "-1", "1.0", "²", "١", "9" * 19, " 1", "1\n", "0x1"):
        assert validation.record_id(bad) is None, bad


def fail_to_compose(*args: object, **kwargs: object) -> None:
    raise RuntimeError("template missing")


def test_an_invitation_that_fails_to_compose_changes_nothing(
    portal: Portal, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, ada_id, token = invited(portal, clock)
    ada = portal.customer(site, ada_id)
    with monkeypatch.context() as patched:
        patched.setattr(service, "compose", fail_to_compose)
        with pytest.raises(RuntimeError, match="template missing"):
            portal.invite(site, ada)
    access, _, _ = portal.open_email_link(site, token, "laptop")
    assert access.outcome is Outcome.SIGN_IN, "the earlier invitation was superseded by one never sent"
    for _ in range(4):  # nor did it count: four more make the five allowed in 30 minutes
        portal.invite(site, ada)
    with pytest.raises(RateLimited):
        portal.invite(site, ada)


def test_concurrent_invitations_cannot_both_pass_the_limit(portal: Portal, clock: Clock) -> None:
    site, ada_id, _ = invited(portal, clock)
    ada = portal.customer(site, ada_id)
    for _ in range(3):
        portal.invite(site, ada)  # four sent: one more is allowed
    both_counted = threading.Barrier(2, timeout=5)
    events = portal.store.events

    def events_then_wait(*args: object) -> list[float]:
        found = events(*args)  # type: ignore[arg-type]
        try:
            both_counted.wait(timeout=0.5)  # without the transaction, both count four and go on
        except threading.BrokenBarrierError:
            pass  # with it, the other request waits for this one's whole transaction
        return found

    portal.store.events = events_then_wait  # type: ignore[method-assign]
    outcomes: list[str] = []

    def invite() -> None:
        try:
            portal.invite(site, ada)
            outcomes.append("sent")
        except RateLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=invite) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["limited", "sent"]
