"""The outbox towards a relay that insists on STARTTLS and AUTH, as vendors' relays do.

The relay is fake_mail's sink configured as such a relay; each test drives the outbox's delivery
step directly (no worker loop), so every outcome is known when the call returns.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_mail import MailSink
from simulator.emails import message_id_of
from simulator.outbox import Outbox, RelaySecurity
from simulator.policy import Policy
from simulator.store import Store

NOW = 1_767_225_600.0
USERS = {"portal": "relay-password"}


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store(":memory:")
    opened.add_site("s", b"secret", Policy())
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def strict_relay() -> Iterator[MailSink]:
    """STARTTLS required, AUTH required: mail any other way is refused."""
    with MailSink(require_starttls=True, auth=USERS) as sink:
        yield sink


def queue(store: Store, to: str, subject: str) -> None:
    store.queue_mail("s", to, f"To: {to}\r\nSubject: {subject}\r\n\r\nbody\r\n".encode(), NOW)


def deliver_due(store: Store, relay: MailSink, security: RelaySecurity) -> None:
    outbox = Outbox(
        store, smtp_host="127.0.0.1", smtp_port=relay.smtp_port, wall_clock=lambda: NOW,
        sender="portal@billing.invalid", security=security,
    )
    outbox._deliver(store.due_mail(NOW))


def verified(relay: MailSink, **auth: str) -> RelaySecurity:
    return RelaySecurity(starttls=True, cafile=str(relay.tls_ca_file), **auth)


def test_delivers_through_starttls_and_auth(store: Store, strict_relay: MailSink) -> None:
    queue(store, "ada@example.com", "through TLS")
    deliver_due(store, strict_relay, verified(strict_relay, username="portal", password=USERS["portal"]))
    [row] = store.outbox()
    assert row["sent_at"] == NOW and row["last_error"] is None
    mail = strict_relay.mailbox("ada@example.com").wait_for(subject="through TLS", timeout=5)
    assert mail.headers.get("Message-ID") == row["message_id"]


@pytest.mark.parametrize(
    ("security", "error"),
    [
        (RelaySecurity(), "530"),  # plain: the relay wants STARTTLS first
        (RelaySecurity(starttls=True, insecure=True), "530"),  # TLS, but no AUTH
    ],
    ids=["plain", "no-auth"],
)
def test_a_strict_relay_refuses_and_the_mail_stays_queued(
    store: Store, strict_relay: MailSink, security: RelaySecurity, error: str
) -> None:
    queue(store, "ben@example.com", "refused")
    deliver_due(store, strict_relay, security)
    [row] = store.outbox()
    assert row["sent_at"] is None and row["attempts"] == 1 and error in row["last_error"]
    assert strict_relay.mailbox("ben@example.com").messages(subject="refused") == []


def test_a_wrong_password_is_refused_with_535_and_retried_later(store: Store, strict_relay: MailSink) -> None:
    queue(store, "cy@example.com", "wrong password")
    deliver_due(store, strict_relay, verified(strict_relay, username="portal", password="nope"))
    [row] = store.outbox()
    assert row["sent_at"] is None and "535" in row["last_error"]
    assert store.next_mail_due_at() == NOW + 0.5


def test_an_untrusted_certificate_is_refused_unless_insecure(store: Store, strict_relay: MailSink) -> None:
    queue(store, "dee@example.com", "untrusted")
    deliver_due(store, strict_relay, RelaySecurity(starttls=True, username="portal", password=USERS["portal"]))
    [row] = store.outbox()
    assert row["sent_at"] is None and "CERTIFICATE_VERIFY_FAILED" in row["last_error"]

    insecure = RelaySecurity(starttls=True, insecure=True, username="portal", password=USERS["portal"])
    outbox = Outbox(
        store, smtp_host="127.0.0.1", smtp_port=strict_relay.smtp_port, wall_clock=lambda: NOW + 1,
        sender="portal@billing.invalid", security=insecure,
    )
    outbox._deliver(store.due_mail(NOW + 1))
    assert store.outbox()[0]["sent_at"] == NOW + 1
    assert strict_relay.mailbox("dee@example.com").wait_for(subject="untrusted", timeout=5)


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"username": "portal", "password": "pw"}, "AUTH needs STARTTLS"),
        ({"starttls": True, "username": "portal"}, "both a user name and a password"),
        ({"cafile": "ca.pem"}, "nothing without STARTTLS"),
        ({"starttls": True, "cafile": "ca.pem", "insecure": True}, "exclude each other"),
    ],
)
def test_contradictory_security_is_refused(options: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        RelaySecurity(**options)  # type: ignore[arg-type]


def test_an_unreadable_ca_file_fails_when_the_outbox_is_made(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read CA file"):
        Outbox(
            store, smtp_host="127.0.0.1", smtp_port=25, wall_clock=lambda: NOW, sender="p@billing.invalid",
            security=RelaySecurity(starttls=True, cafile=str(tmp_path / "missing.pem")),
        )


def test_the_message_id_is_fixed_when_queued(store: Store) -> None:
    store.queue_mail("s", "ada@example.com", b"Message-ID: <given@portal.invalid>\r\nSubject: a\r\n\r\nx\r\n", NOW)
    store.queue_mail("s", "ada@example.com", b"Subject: none of its own\r\n\r\nx\r\n", NOW)
    given, made = store.due_mail(NOW)
    assert given.message_id == "<given@portal.invalid>"
    assert made.message_id.startswith("<") and made.message_id.endswith("@portal.invalid>")
    assert [row["message_id"] for row in store.outbox()] == [given.message_id, made.message_id]
    assert message_id_of(made.message) is None  # the queued bytes stay as they were given


class Crash(BaseException):
    """The process dying: not an error the outbox handles."""


def test_a_copy_sent_again_after_a_crash_carries_the_same_message_id(
    tmp_path: Path, strict_relay: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "portal.sqlite3"
    security = verified(strict_relay, username="portal", password=USERS["portal"])
    first = Store(path)
    first.add_site("s", b"secret", Policy())
    first.queue_mail("s", "eve@example.com", b"To: eve@example.com\r\nSubject: statement\r\n\r\nx\r\n", NOW)

    def die(*args: object) -> None:
        raise Crash  # after the relay's 250, before the store records it

    monkeypatch.setattr(first, "mark_sent", die)
    with pytest.raises(Crash):
        deliver_due(first, strict_relay, security)
    first.close()

    restarted = Store(path)
    try:
        [still_queued] = restarted.due_mail(NOW)
        deliver_due(restarted, strict_relay, security)
        assert restarted.outbox()[0]["sent_at"] == NOW
    finally:
        restarted.close()
    copies = strict_relay.mailbox("eve@example.com").messages(subject="statement")
    assert len(copies) == 2
    ids = {email.message_from_bytes(copy.raw, policy=email.policy.default)["Message-ID"] for copy in copies}
    assert ids == {still_queued.message_id}
