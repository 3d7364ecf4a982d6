"""The retention bound: past max_messages the oldest mail goes, never one a waiting reader has not seen."""

from __future__ import annotations

import threading

import pytest
from mail_flows import signal_when_waiting

from fake_mail import MailSink, MailStore, Message


def add(store: MailStore, to: str, subject: str) -> Message:
    return store.add(f"Subject: {subject}\r\n\r\nhi\r\n".encode(), mail_from="p@portal.example", rcpt_tos=[to])


def test_the_oldest_mail_goes_first_and_sequence_numbers_stay() -> None:
    store = MailStore(max_messages=3)
    for n in range(5):
        add(store, f"user{n % 2}@example.com", f"mail {n}")
    assert [m.subject for m in store.messages()] == ["mail 2", "mail 3", "mail 4"]
    assert [m.seq for m in store.messages()] == [3, 4, 5]
    assert store.cursor() == 5 and store.dropped == 2 and len(store) == 3
    assert [m.subject for m in store.messages("user0@example.com")] == ["mail 2", "mail 4"]


def test_a_recipient_whose_mail_all_went_is_forgotten() -> None:
    store = MailStore(max_messages=2)
    for n in range(100):
        add(store, f"user{n}@example.com", f"mail {n}")
    assert store.recipients() == ["user98@example.com", "user99@example.com"]
    assert len(store._boxes) == 2  # the index does not grow with every recipient ever seen


def test_none_means_no_bound_and_a_bound_below_one_is_refused() -> None:
    store = MailStore(max_messages=None)
    for n in range(50):
        add(store, "ada@example.com", f"mail {n}")
    assert len(store) == 50
    with pytest.raises(ValueError, match="max_messages must be at least 1"):
        MailStore(max_messages=0)
    with pytest.raises(ValueError, match="max_messages must be at least 1"):
        MailSink(max_messages=-5)


def test_the_default_bound_is_ten_thousand() -> None:
    assert MailStore().max_messages == 10_000
    assert MailSink().store.max_messages == 10_000


def test_mail_a_waiting_reader_has_not_seen_is_kept_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader blocked in wait_for does not run again until a flood has arrived: the mail it
    waits for must still be there when it looks, however much came after."""
    store = MailStore(max_messages=2)
    add(store, "ben@example.com", "old")
    seen = store.cursor()
    waiting, flooded = threading.Event(), threading.Event()
    condition = store._arrived
    original_wait = condition.wait

    def first_wait_lasts_until_flooded(timeout: float | None = None) -> bool:
        # The first wait gives the lock up (as Condition.wait does) until the flood is in.
        if waiting.is_set():
            return original_wait(timeout)
        waiting.set()
        store._lock.release()
        try:
            flooded.wait(10)
        finally:
            store._lock.acquire()
        return True

    monkeypatch.setattr(condition, "wait", first_wait_lasts_until_flooded)
    got: list[Message] = []
    reader = threading.Thread(
        target=lambda: got.append(store.wait_for("ada@example.com", "^Invitation", after=seen, timeout=2))
    )
    reader.start()
    assert waiting.wait(10), "the reader never began to wait"
    add(store, "ada@example.com", "Invitation")
    for n in range(20):
        add(store, "ben@example.com", f"flood {n}")
    assert [m.subject for m in store.messages()][:2] == ["Invitation", "flood 0"]  # only "old", seen, went
    assert len(store) == 21
    flooded.set()
    reader.join(10)
    assert [m.subject for m in got] == ["Invitation"]
    # The reader has looked and gone: the next mail brings the store back to its bound.
    add(store, "ben@example.com", "after")
    assert len(store) == 2


def test_an_open_watch_keeps_what_it_has_not_taken_and_releases_it_when_closed() -> None:
    store = MailStore(max_messages=2)
    add(store, "ada@example.com", "before")
    with store.watch("ada@example.com", store.cursor()) as watch:
        for n in range(5):
            add(store, "ada@example.com", f"new {n}")
        assert len(store) == 5  # all five are above what the watch has seen
        assert [m.subject for m in watch.fresh()] == [f"new {n}" for n in range(5)]
        assert len(store) == 2  # taken: the bound applies again
        for n in range(3):
            add(store, "ada@example.com", f"later {n}")
        assert [m.subject for m in store.messages()] == ["later 0", "later 1", "later 2"]  # none taken yet
    assert [m.subject for m in store.messages()] == ["later 1", "later 2"]
