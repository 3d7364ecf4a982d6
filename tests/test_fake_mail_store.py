"""fake_mail.store: thread-safe storage, waiting and the mailbox view."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import pytest
import time_machine
from mail_flows import signal_when_waiting

from fake_mail import Mailbox, MailStore, MailTimeout


def mail(subject: str, body: str = "hello") -> bytes:
    return f"Subject: {subject}\r\nFrom: portal@example.com\r\n\r\n{body}\r\n".encode()


@pytest.fixture
def store() -> MailStore:
    return MailStore()


@pytest.fixture
def blocked(store: MailStore, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    return signal_when_waiting(store, monkeypatch)


@pytest.fixture
def deliver_when_blocked(store: MailStore, blocked: threading.Event) -> Iterator[Callable[..., None]]:
    """Deliver mails from another thread, each once the test thread is
    blocked waiting (again): ``deliver((raw, [rcpt, ...]), ...)``."""
    threads: list[threading.Thread] = []

    def deliver(*mails: tuple[bytes, list[str]]) -> None:
        def run() -> None:
            for raw, rcpt_tos in mails:
                assert blocked.wait(10), "nobody waited"
                blocked.clear()
                store.add(raw, mail_from="portal@example.com", rcpt_tos=rcpt_tos)

        thread = threading.Thread(target=run)
        thread.start()
        threads.append(thread)

    yield deliver
    for thread in threads:
        thread.join()


def test_messages_are_per_recipient_case_insensitive_and_oldest_first(store: MailStore) -> None:
    store.add(mail("one"), mail_from="p@x", rcpt_tos=["Ada@Example.com"])
    store.add(mail("two"), mail_from="p@x", rcpt_tos=["ben@example.com", "ADA@example.com"])
    store.add(mail("three"), mail_from="p@x", rcpt_tos=["ben@example.com"])

    ada = Mailbox(store, "ada@EXAMPLE.com")
    assert [m.subject for m in ada.messages()] == ["one", "two"]
    assert [m.subject for m in ada.messages(subject="^t")] == ["two"]
    assert [m.subject for m in store.messages(where=lambda m: "e" in m.subject)] == ["one", "three"]
    assert store.recipients() == ["ada@example.com", "ben@example.com"]
    assert [m.seq for m in store.messages()] == [1, 2, 3]


def test_clearing_one_mailbox_keeps_shared_mail_for_the_others(store: MailStore) -> None:
    shared = store.add(mail("shared"), mail_from="p@x", rcpt_tos=["ada@example.com", "ben@example.com"])
    store.add(mail("ada only"), mail_from="p@x", rcpt_tos=["ada@example.com"])

    Mailbox(store, "ada@example.com").clear()
    assert Mailbox(store, "ada@example.com").messages() == []
    assert Mailbox(store, "ben@example.com").messages() == [shared]
    assert store.messages() == [shared]

    Mailbox(store, "ben@example.com").clear()
    assert store.messages() == []
    assert store.get(shared.id) is None


def test_delete_and_clear_all(store: MailStore) -> None:
    first = store.add(mail("a"), mail_from="p@x", rcpt_tos=["ada@example.com"])
    store.add(mail("b"), mail_from="p@x", rcpt_tos=["ada@example.com"])
    assert store.delete(first.id) is True
    assert store.delete(first.id) is False
    assert [m.subject for m in store.messages("ada@example.com")] == ["b"]
    cursor = store.cursor()
    store.clear()
    assert store.messages() == []
    assert store.cursor() == cursor  # positions stay valid across a clear


def test_wait_for_returns_a_stored_match_at_once(store: MailStore) -> None:
    stored = store.add(mail("Welcome"), mail_from="p@x", rcpt_tos=["ada@example.com"])
    assert store.wait_for("ada@example.com", subject="Welc", timeout=0) is stored


def test_wait_for_wakes_when_mail_arrives(store: MailStore, deliver_when_blocked: Callable[..., None]) -> None:
    deliver_when_blocked((mail("Your login link"), ["ada@example.com"]))
    began = time.monotonic()
    found = store.wait_for("ada@example.com", subject="login link", timeout=30)
    assert found.subject == "Your login link"
    assert time.monotonic() - began < 15  # woken by the arrival, not by the timeout


def test_wait_for_skips_non_matching_arrivals_and_keeps_waiting(
    store: MailStore, deliver_when_blocked: Callable[..., None]
) -> None:
    seen = store.cursor()
    deliver_when_blocked(
        (mail("Newsletter"), ["ada@example.com"]),
        (mail("Login link"), ["ben@example.com"]),
        (mail("Login link"), ["ada@example.com"]),
    )
    found = store.wait_for("ada@example.com", subject="Login", after=seen, timeout=30)
    assert (found.subject, found.rcpt_tos, found.seq) == ("Login link", ["ada@example.com"], seen + 3)


def test_after_cursor_ignores_earlier_mail(
    store: MailStore, deliver_when_blocked: Callable[..., None], blocked: threading.Event
) -> None:
    earlier = store.add(mail("Login link"), mail_from="p@x", rcpt_tos=["ada@example.com"])
    cursor = store.cursor()
    with pytest.raises(MailTimeout):
        store.wait_for("ada@example.com", subject="Login", after=cursor, timeout=0.05)
    assert store.wait_for("ada@example.com", subject="Login", after=None, timeout=0) is earlier

    blocked.clear()  # the timed-out wait above counted as blocking
    deliver_when_blocked((mail("Login link"), ["ada@example.com"]))
    later = store.wait_for("ada@example.com", subject="Login", after=cursor, timeout=30)
    assert later is not earlier and later.seq > cursor


def test_timeout_says_what_was_awaited_and_what_arrived(store: MailStore) -> None:
    store.add(mail("Welcome aboard"), mail_from="p@x", rcpt_tos=["ada@example.com"])
    store.add(mail("Your receipt"), mail_from="p@x", rcpt_tos=["Ada@example.com"])
    store.add(mail("Not for Ada"), mail_from="p@x", rcpt_tos=["ben@example.com"])

    with pytest.raises(MailTimeout) as raised:
        store.wait_for("ADA@example.com", subject="^Login", where=lambda m: "token" in (m.text or ""), timeout=0.05)
    text = str(raised.value)
    assert "to ada@example.com" in text
    assert "subject matching '^Login'" in text
    assert 'lambda m: "token" in (m.text or "")' in text
    assert "0.05 s" in text
    assert "'Welcome aboard'" in text and "'Your receipt'" in text
    assert "Not for Ada" not in text
    assert isinstance(raised.value, AssertionError)


def test_timeout_with_no_mail_at_all_says_so(store: MailStore) -> None:
    def has_token(message: object) -> bool:
        return False

    with pytest.raises(MailTimeout, match=r"(?s)where .*has_token.*no mail at all arrived for ada@example.com"):
        store.wait_for("ada@example.com", where=has_token, after=0, timeout=0)


def test_expect_none_passes_when_nothing_matches(store: MailStore) -> None:
    store.add(mail("Welcome"), mail_from="p@x", rcpt_tos=["ada@example.com"])
    store.expect_none("ada@example.com", subject="Login", within=0.05)
    store.expect_none("ada@example.com", after=store.cursor(), within=0.05)


def test_expect_none_fails_on_stored_mail_unless_after_a_cursor(store: MailStore) -> None:
    store.add(mail("Login link"), mail_from="p@x", rcpt_tos=["ada@example.com"])
    with pytest.raises(AssertionError, match=r"expected no mail to ada@example\.com with subject matching 'Login'"):
        store.expect_none("ada@example.com", subject="Login", within=5)


def test_expect_none_raises_the_moment_one_arrives(store: MailStore, deliver_when_blocked: Callable[..., None]) -> None:
    seen = store.cursor()
    deliver_when_blocked((mail("Login link"), ["ada@example.com"]))
    began = time.monotonic()
    with pytest.raises(AssertionError, match="but got #1 'Login link'"):
        store.expect_none("ada@example.com", subject="Login", after=seen, within=30)
    assert time.monotonic() - began < 15  # raised on arrival, not at the end


def test_a_failing_predicate_propagates(store: MailStore) -> None:
    store.add(mail("x"), mail_from="p@x", rcpt_tos=["ada@example.com"])
    with pytest.raises(ZeroDivisionError):
        store.wait_for("ada@example.com", where=lambda m: 1 / 0 > 0, timeout=0)


def test_many_writers_lose_nothing(store: MailStore) -> None:
    def write(index: int) -> None:
        for number in range(200):
            store.add(mail(f"{index}/{number}"), mail_from="p@x", rcpt_tos=[f"u{index}@example.com"])

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [m.seq for m in store.messages()] == list(range(1, 1601))
    for index in range(8):
        subjects = [m.subject for m in store.messages(f"u{index}@example.com")]
        assert subjects == [f"{index}/{number}" for number in range(200)]


def test_waiting_uses_real_time_while_a_test_travels_in_time(store: MailStore) -> None:
    # Scenarios freeze or move the wall clock; timeouts must still elapse,
    # and arrival times follow the clock the scenario sees.
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=timezone.utc), tick=False):
        message = store.add(mail("Welcome"), mail_from="p@x", rcpt_tos=["ada@example.com"])
        with pytest.raises(MailTimeout):
            store.wait_for("ada@example.com", subject="Login", timeout=0.05)
    assert message.received_at == datetime(2030, 1, 1, tzinfo=timezone.utc)
