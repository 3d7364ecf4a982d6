"""The SQLite store (`simulator.store`): isolation between sites, single use, cascades, the outbox."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

import pytest
from simulator_flows import T0

from simulator.policy import Policy
from simulator.records import LinkKind
from simulator.store import AddressTaken, Store


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store(":memory:")
    opened.add_site("a", b"secret-a", Policy())
    opened.add_site("b", b"secret-b", Policy(auto_invite=True))
    try:
        yield opened
    finally:
        opened.close()


def test_site_keeps_its_secret_policy_and_clock(store: Store) -> None:
    site = store.site("b")
    assert site is not None
    assert (site.secret, site.policy, site.clock_offset) == (b"secret-b", Policy(auto_invite=True), 0)
    assert store.advance_clock("b", 90.5, offset_at_most=1000) is True
    store.set_policy("b", Policy(login_link_ttl_s=60))
    site = store.site("b")
    assert site is not None and site.clock_offset == 90.5 and site.policy.login_link_ttl_s == 60
    assert store.site("a").clock_offset == 0  # type: ignore[union-attr]
    assert store.site("nope") is None


def test_clock_advance_past_its_bound_changes_nothing(store: Store) -> None:
    assert store.advance_clock("b", 60, offset_at_most=100) is True
    assert store.advance_clock("b", 41, offset_at_most=100) is False  # 101 would pass the bound
    assert store.site("b").clock_offset == 60  # type: ignore[union-attr]
    assert store.advance_clock("b", 40, offset_at_most=100) is True  # exactly at the bound
    assert store.site("b").clock_offset == 100  # type: ignore[union-attr]
    assert store.advance_clock("nope", 1, offset_at_most=100) is False


def test_address_taken_is_case_insensitive_within_a_site_only(store: Store) -> None:
    store.add_customer("a", "Ada@Example.com", "Ada", "Lovelace")
    with pytest.raises(AddressTaken):
        store.add_customer("a", "ada@example.COM", "Ada", "L")
    other = store.add_customer("b", "ada@example.com", "Ada", "L")
    assert other.site_id == "b"
    assert store.customer_by_email("a", "ADA@EXAMPLE.COM") is not None


def test_customer_of_another_site_is_not_found(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    assert store.customer("a", ada.id) == ada
    assert store.customer("b", ada.id) is None
    assert store.customer_by_email("b", "ada@example.com") is None


def test_invitation_enables_access_and_supersedes_unused_ones(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    store.add_email_link(ada.id, LinkKind.INVITATION, "h1", T0, supersede=True)
    store.add_email_link(ada.id, LinkKind.LOGIN, "login", T0, supersede=True)
    store.add_email_link(ada.id, LinkKind.INVITATION, "h2", T0 + 5, supersede=True)
    assert store.email_link("a", "h1").revoked_at == T0 + 5  # type: ignore[union-attr]
    assert store.email_link("a", "h2").revoked_at is None  # type: ignore[union-attr]
    assert store.email_link("a", "login").revoked_at is None  # type: ignore[union-attr] # other kind
    customer = store.customer("a", ada.id)
    assert customer is not None and customer.portal_enabled and customer.invite_last_sent_at == T0 + 5


def test_email_link_of_another_site_is_not_found(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    store.add_email_link(ada.id, LinkKind.LOGIN, "h", T0, supersede=False)
    assert store.email_link("a", "h") is not None
    assert store.email_link("b", "h") is None


def test_email_link_is_used_once_even_from_many_threads(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    store.add_email_link(ada.id, LinkKind.LOGIN, "h", T0, supersede=False)
    start = threading.Barrier(8)
    wins: list[bool] = []

    def use() -> None:
        start.wait()
        wins.append(store.use_email_link("h", T0 + 1))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]
    assert store.email_link("a", "h").used_at == T0 + 1  # type: ignore[union-attr]


def test_verification_is_per_device(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    store.mark_verified(ada.id, device="laptop", now=T0, accepted_invitation=True)
    assert store.device_verified(ada.id, "laptop")
    assert not store.device_verified(ada.id, "phone")
    customer = store.customer("a", ada.id)
    assert customer is not None and customer.email_verified and customer.invite_last_accepted_at == T0


def test_revoking_access_ends_sessions_links_and_devices(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    store.add_email_link(ada.id, LinkKind.INVITATION, "inv", T0, supersede=True)
    link = store.add_management_link(ada.id, T0, "nonce", "sig")
    store.mark_verified(ada.id, device="laptop", now=T0, accepted_invitation=True)
    store.add_session("sess", ada.id, "laptop", T0)
    store.revoke_access(ada.id, T0 + 1)
    assert not store.customer("a", ada.id).portal_enabled  # type: ignore[union-attr]
    assert store.email_link("a", "inv").revoked_at == T0 + 1  # type: ignore[union-attr]
    assert store.management_links(ada.id)[0].revoked_at == T0 + 1
    assert store.management_link_by_signature("a", "sig")[0].id == link.id  # type: ignore[index]
    assert store.session("a", "sess") is None
    assert not store.device_verified(ada.id, "laptop")


def test_management_link_lookup_is_per_site_and_counts_reads(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    link = store.add_management_link(ada.id, T0, "nonce", "sig")
    assert store.management_link_by_signature("b", "sig") is None
    store.count_management_link_read(link.id)
    store.count_management_link_read(link.id)
    found = store.management_link_by_signature("a", "sig")
    assert found is not None and found[0].fetch_count == 2 and found[1] == "nonce"
    assert store.management_link_nonce(link.id) == "nonce"


def test_session_lookup_is_per_site_and_touch_extends_it(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    store.add_session("sess", ada.id, "laptop", T0)
    assert store.session("b", "sess") is None
    store.touch_session("sess", T0 + 60)
    assert store.session("a", "sess").last_seen_at == T0 + 60  # type: ignore[union-attr]


def test_ending_a_session_can_forget_the_device(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    for device in ("laptop", "phone"):
        store.mark_verified(ada.id, device=device, now=T0, accepted_invitation=False)
        store.add_session(f"s-{device}", ada.id, device, T0)
    store.end_session("s-laptop", forget_device=True)
    store.end_session("s-phone", forget_device=False)
    assert not store.device_verified(ada.id, "laptop")
    assert store.device_verified(ada.id, "phone")
    assert store.session("a", "s-laptop") is None and store.session("a", "s-phone") is None


def test_deleting_a_site_removes_everything_in_it(store: Store) -> None:
    ada = store.add_customer("a", "ada@example.com", "Ada", "Lovelace")
    store.add_email_link(ada.id, LinkKind.LOGIN, "h", T0, supersede=False)
    store.add_management_link(ada.id, T0, "nonce", "sig")
    store.add_session("sess", ada.id, "laptop", T0)
    store.mark_verified(ada.id, device="laptop", now=T0, accepted_invitation=False)
    store.record_event("a", "kind", "subject", T0)
    ben = store.add_customer("b", "ben@example.com", "Ben", "Byron")
    assert store.delete_site("a")
    assert not store.delete_site("a")
    assert store.site("a") is None
    assert store.customer("a", ada.id) is None
    assert store.email_link("a", "h") is None and store.session("a", "sess") is None
    assert store.management_links(ada.id) == []
    assert not store.device_verified(ada.id, "laptop")
    assert store.events("a", "kind", "subject", 0) == []
    assert store.customer("b", ben.id) is not None


def test_rate_events_are_windowed_per_site_kind_and_subject(store: Store) -> None:
    for at in (T0, T0 + 10, T0 + 20):
        store.record_event("a", "login", "ada@example.com", at)
    store.record_event("b", "login", "ada@example.com", T0 + 15)
    store.record_event("a", "password", "ada@example.com", T0 + 15)
    assert store.events("a", "login", "ada@example.com", T0) == [T0 + 10, T0 + 20]  # strictly after
    store.clear_events("a", "login", "ada@example.com")
    assert store.events("a", "login", "ada@example.com", 0) == []
    assert store.events("b", "login", "ada@example.com", 0) == [T0 + 15]


def test_outbox_keeps_failed_mail_until_it_is_sent(store: Store) -> None:
    first = store.queue_mail("a", "ada@example.com", b"one", T0)
    second = store.queue_mail("a", "ben@example.com", b"two", T0 + 1)
    assert [mail.id for mail in store.due_mail(T0)] == [first]
    assert [mail.id for mail in store.due_mail(T0 + 1)] == [first, second]
    store.mark_failed(first, "relay unavailable", T0 + 30)
    assert store.next_mail_due_at() == T0 + 1
    store.mark_sent(second, T0 + 2)
    assert store.due_mail(T0 + 29) == []
    assert store.next_mail_due_at() == T0 + 30
    rows = {row["id"]: row for row in store.outbox()}
    assert rows[first]["attempts"] == 1 and rows[first]["last_error"] == "relay unavailable"
    assert rows[first]["sent_at"] is None and rows[second]["sent_at"] == T0 + 2
    retried = store.due_mail(T0 + 30)
    assert [(mail.id, mail.message, mail.attempts) for mail in retried] == [(first, b"one", 1)]
    store.mark_sent(first, T0 + 31)
    assert store.next_mail_due_at() is None


def test_a_file_store_keeps_its_data_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "portal.sqlite3"
    first = Store(path)
    try:
        first.add_site("a", b"s", Policy(auto_invite=True))
    finally:
        first.close()
    second = Store(path)
    try:
        site = second.site("a")
        assert site is not None and site.policy.auto_invite
    finally:
        second.close()


def test_SEC2_a_link_revoked_after_the_check_cannot_be_used(tmp_path: Path) -> None:
    """LL-7 / REV-1 racing a click: revoked between the decision and its use, the link does nothing."""
    store = Store(tmp_path / "race.sqlite3")
    try:
        store.add_site("s1", b"k" * 32, Policy())
        ada = store.add_customer("s1", "ada@example.com", "Ada", "L")
        store.add_email_link(ada.id, LinkKind.LOGIN, "h1", 100.0, supersede=True)
        store.add_email_link(ada.id, LinkKind.LOGIN, "h2", 101.0, supersede=True)  # revokes h1
        assert store.use_email_link("h1", 102.0) is False
        assert store.use_email_link("h2", 102.0) is True
    finally:
        store.close()


def test_atomic_writes_land_together_or_not_at_all(store: Store) -> None:
    with store.atomic():
        store.record_event("a", "kind", "ada", T0)
        store.record_event("a", "kind", "ada", T0 + 1)
    assert store.events("a", "kind", "ada", T0 - 1) == [T0, T0 + 1]
    with pytest.raises(RuntimeError), store.atomic():
        store.record_event("a", "kind", "ada", T0 + 2)
        raise RuntimeError("the email could not be composed")
    assert store.events("a", "kind", "ada", T0 - 1) == [T0, T0 + 1]
    store.record_event("a", "kind", "ada", T0 + 3)  # and the store writes on its own again
    assert store.events("a", "kind", "ada", T0 - 1) == [T0, T0 + 1, T0 + 3]
