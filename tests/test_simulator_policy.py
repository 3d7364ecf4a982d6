"""A site's policy (`simulator.policy`): the defaults of POLICY.md and validation of updates."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.policy import MANAGEMENT_LINK_TTL_MAX_S, Policy, PolicyError

POLICY_MD_DEFAULTS = {
    "auto_invite": False,
    "email_verification_required": True,
    "password_login_enabled": False,
    "invitation_ttl_s": 172_800,
    "login_link_ttl_s": 3_600,
    "management_link_ttl_s": 5_616_000,
    "management_link_refresh_s": 1_296_000,
    "session_idle_timeout_s": 1_800,
}
INT_KEYS = [key for key, value in POLICY_MD_DEFAULTS.items() if type(value) is int]
BOOL_KEYS = [key for key, value in POLICY_MD_DEFAULTS.items() if type(value) is bool]


def test_defaults_are_those_of_policy_md() -> None:
    assert Policy().to_dict() == POLICY_MD_DEFAULTS


def test_update_applies_a_subset_and_keeps_the_rest() -> None:
    updated = Policy().updated({"auto_invite": True, "login_link_ttl_s": 600})
    assert updated.auto_invite is True and updated.login_link_ttl_s == 600
    assert updated.invitation_ttl_s == Policy().invitation_ttl_s


def test_round_trip_through_a_dict() -> None:
    policy = Policy(password_login_enabled=True, session_idle_timeout_s=60)
    assert Policy.from_dict(policy.to_dict()) == policy


def test_empty_update_changes_nothing() -> None:
    assert Policy().updated({}) == Policy()


def test_management_ttl_of_exactly_180_days_is_accepted() -> None:
    assert Policy().updated({"management_link_ttl_s": MANAGEMENT_LINK_TTL_MAX_S}).management_link_ttl_s == 15_552_000


def test_refresh_equal_to_ttl_is_accepted() -> None:
    policy = Policy().updated({"management_link_refresh_s": 100, "management_link_ttl_s": 100})
    assert policy.management_link_refresh_s == policy.management_link_ttl_s == 100


BAD_UPDATES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-key", {"magic_links": True}, "magic_links"),
    ("unknown-key-beside-good", {"auto_invite": True, "nope": 1}, "nope"),
    *[(f"string-for-int-{key}", {key: "3600"}, key) for key in INT_KEYS],
    *[(f"float-for-int-{key}", {key: 3600.5}, key) for key in INT_KEYS],
    *[(f"bool-for-int-{key}", {key: True}, key) for key in INT_KEYS],
    *[(f"zero-{key}", {key: 0}, key) for key in INT_KEYS],
    *[(f"negative-{key}", {key: -1}, key) for key in INT_KEYS],
    *[(f"null-{key}", {key: None}, key) for key in INT_KEYS],
    *[(f"int-for-bool-{key}", {key: 1}, key) for key in BOOL_KEYS],
    *[(f"string-for-bool-{key}", {key: "true"}, key) for key in BOOL_KEYS],
    ("ttl-over-180-days", {"management_link_ttl_s": MANAGEMENT_LINK_TTL_MAX_S + 1}, "management_link_ttl_s"),
    ("refresh-over-ttl", {"management_link_refresh_s": 200, "management_link_ttl_s": 100}, "management_link_refresh_s"),
    ("refresh-over-default-ttl", {"management_link_refresh_s": 5_616_001}, "management_link_refresh_s"),
    ("ttl-under-default-refresh", {"management_link_ttl_s": 1_295_999}, "management_link_refresh_s"),
]


@pytest.mark.parametrize(("changes", "key"), [(c, k) for _, c, k in BAD_UPDATES], ids=[i for i, _, _ in BAD_UPDATES])
def test_bad_update_is_rejected_naming_the_key_and_changes_nothing(changes: dict[str, Any], key: str) -> None:
    policy = Policy(auto_invite=False, login_link_ttl_s=1234)
    before = policy.to_dict()
    with pytest.raises(PolicyError, match=key):
        policy.updated(changes)
    assert policy.to_dict() == before


def test_unknown_key_message_lists_the_known_keys() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy().updated({"ttl": 1})
    assert all(key in str(caught.value) for key in POLICY_MD_DEFAULTS)


def test_from_dict_validates_too() -> None:
    with pytest.raises(PolicyError, match="session_idle_timeout_s"):
        Policy.from_dict({"session_idle_timeout_s": 0})
