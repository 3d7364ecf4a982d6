"""The policy core (`simulator.rules`): every rule it decides, on its allowed and refused side.

Plain records, a Policy and `now` go in; an Access comes out. Times are whole seconds, so
"exactly at the TTL" and "one second before" are exact.
"""

from __future__ import annotations

import dataclasses

import pytest
from simulator_flows import T0

from simulator import rules
from simulator.policy import Policy
from simulator.records import Customer, EmailLink, LinkKind, ManagementLink, Session
from simulator.rules import Outcome

POLICY = Policy()
NO_VERIFICATION = Policy(email_verification_required=False)
PASSWORDS = Policy(password_login_enabled=True)
PASSWORDS_NO_VERIFICATION = Policy(password_login_enabled=True, email_verification_required=False)

ADA = Customer(id=1, site_id="s", email="ada@example.com", first_name="Ada", last_name="Lovelace",
               email_verified=True, portal_enabled=True)
UNVERIFIED_ADA = dataclasses.replace(ADA, email_verified=False)
REVOKED_ADA = dataclasses.replace(ADA, portal_enabled=False)
BEN = Customer(id=2, site_id="s", email="ben@example.com", first_name="Ben", last_name="Byron",
               email_verified=True, portal_enabled=True)


def invitation(created_at: float = T0, **changes: object) -> EmailLink:
    return dataclasses.replace(EmailLink(LinkKind.INVITATION, ADA.id, created_at), **changes)


def login_link(created_at: float = T0, **changes: object) -> EmailLink:
    return dataclasses.replace(EmailLink(LinkKind.LOGIN, ADA.id, created_at), **changes)


def management(created_at: float = T0, **changes: object) -> ManagementLink:
    return dataclasses.replace(ManagementLink(id=1, customer_id=ADA.id, created_at=created_at), **changes)


def open_management(
    link: ManagementLink | None = None,
    customer: Customer | None = ADA,
    *,
    device_verified: bool = True,
    policy: Policy = POLICY,
    now: float = T0 + 60,
) -> rules.Access:
    return rules.decide_management_url(
        management() if link is None else link, customer, device_verified=device_verified, policy=policy, now=now
    )


def password_sign_in(
    customer: Customer | None = ADA,
    *,
    password_ok: bool = True,
    failures_at: tuple[float, ...] = (),
    policy: Policy = PASSWORDS,
    now: float = T0,
) -> rules.Access:
    return rules.decide_password_sign_in(
        customer, password_ok=password_ok, failures_at=failures_at, policy=policy, now=now
    )


# -- invitations (INV) ----------------------------------------------------------------------


def test_INV4_valid_invitation_signs_in_and_verifies_email_and_device() -> None:
    access = rules.decide_email_link(invitation(), UNVERIFIED_ADA, POLICY, T0 + 1)
    assert access.outcome is Outcome.SIGN_IN and access.granted
    assert access.verify_email and access.verify_device


def test_INV4_unknown_invitation_grants_nothing() -> None:
    access = rules.decide_email_link(None, None, POLICY, T0)
    assert access.outcome is Outcome.INVALID and not access.granted
    assert not access.verify_email and not access.verify_device


def test_INV5_invitation_one_second_before_its_ttl_is_valid() -> None:
    now = T0 + POLICY.invitation_ttl_s - 1
    assert rules.decide_email_link(invitation(), ADA, POLICY, now).granted


def test_INV5_invitation_exactly_at_its_ttl_is_expired() -> None:
    now = T0 + POLICY.invitation_ttl_s
    access = rules.decide_email_link(invitation(), ADA, POLICY, now)
    assert access.outcome is Outcome.EXPIRED and not access.granted


def test_INV5_invitation_lives_by_invitation_ttl_not_login_ttl() -> None:
    policy = Policy(invitation_ttl_s=100, login_link_ttl_s=10)
    assert rules.email_link_expires_at(invitation(), policy) == T0 + 100
    assert rules.email_link_expires_at(login_link(), policy) == T0 + 10
    assert rules.decide_email_link(invitation(), ADA, policy, T0 + 50).granted


def test_INV6_superseded_invitation_is_invalid() -> None:
    access = rules.decide_email_link(invitation(revoked_at=T0 + 5), ADA, POLICY, T0 + 10)
    assert access.outcome is Outcome.INVALID


def test_INV6_latest_invitation_is_valid() -> None:
    assert rules.decide_email_link(invitation(created_at=T0 + 5), ADA, POLICY, T0 + 10).granted


@pytest.mark.parametrize("sent", [0, 1, 4])
def test_INV7_up_to_five_invitations_within_30_minutes_are_allowed(sent: int) -> None:
    assert rules.may_send_invitation([T0 + i for i in range(sent)], T0 + 60)


def test_INV7_sixth_invitation_within_30_minutes_is_refused() -> None:
    sent = [T0 + i * 60 for i in range(5)]
    assert not rules.may_send_invitation(sent, T0 + rules.INVITATION_RESEND_WINDOW_S - 1)


def test_INV7_invitation_allowed_again_once_the_oldest_is_30_minutes_old() -> None:
    sent = [T0 + i * 60 for i in range(5)]
    assert rules.may_send_invitation(sent, T0 + rules.INVITATION_RESEND_WINDOW_S)


def test_INV8_accepting_invitation_with_passwords_on_asks_for_a_password() -> None:
    assert rules.decide_email_link(invitation(), ADA, PASSWORDS, T0).choose_password


@pytest.mark.parametrize(
    ("link", "customer", "policy"),
    [
        (invitation(), ADA, POLICY),  # password logins off
        (invitation(), dataclasses.replace(ADA, has_password=True), PASSWORDS),  # has one already
        (login_link(), ADA, PASSWORDS),  # a login link is not an invitation
    ],
    ids=["passwords-off", "has-password", "login-link"],
)
def test_INV8_no_password_asked_otherwise(link: EmailLink, customer: Customer, policy: Policy) -> None:
    access = rules.decide_email_link(link, customer, policy, T0)
    assert access.granted and not access.choose_password


# -- login links (LL) -----------------------------------------------------------------------


def test_LL4_valid_login_link_signs_in_and_verifies_email_and_device() -> None:
    access = rules.decide_email_link(login_link(), UNVERIFIED_ADA, POLICY, T0 + 1)
    assert access.granted and access.verify_email and access.verify_device
    assert not access.choose_password


def test_LL4_login_link_of_another_customer_grants_nothing() -> None:
    access = rules.decide_email_link(login_link(), BEN, POLICY, T0 + 1)
    assert access.outcome is Outcome.INVALID


def test_LL5_login_link_one_second_before_its_ttl_is_valid() -> None:
    assert rules.decide_email_link(login_link(), ADA, POLICY, T0 + POLICY.login_link_ttl_s - 1).granted


def test_LL5_login_link_exactly_at_its_ttl_is_expired() -> None:
    access = rules.decide_email_link(login_link(), ADA, POLICY, T0 + POLICY.login_link_ttl_s)
    assert access.outcome is Outcome.EXPIRED


def test_LL6_used_login_link_is_invalid() -> None:
    access = rules.decide_email_link(login_link(used_at=T0 + 1), ADA, POLICY, T0 + 2)
    assert access.outcome is Outcome.INVALID
    assert "already been used" in access.reason


def test_LL6_unused_login_link_is_valid() -> None:
    assert rules.decide_email_link(login_link(used_at=None), ADA, POLICY, T0 + 2).granted


def test_LL6_used_and_expired_link_reads_as_used_not_expired() -> None:
    access = rules.decide_email_link(login_link(used_at=T0 + 1), ADA, POLICY, T0 + 10 * 86400)
    assert access.outcome is Outcome.INVALID


def test_LL7_older_login_link_superseded_by_a_newer_one_is_invalid() -> None:
    access = rules.decide_email_link(login_link(revoked_at=T0 + 30), ADA, POLICY, T0 + 31)
    assert access.outcome is Outcome.INVALID
    assert "newer link" in access.reason


def test_LL7_newest_login_link_is_valid() -> None:
    assert rules.decide_email_link(login_link(created_at=T0 + 30), ADA, POLICY, T0 + 31).granted


@pytest.mark.parametrize("requested", [0, 4])
def test_LL8_up_to_five_login_links_an_hour_are_sent(requested: int) -> None:
    assert rules.may_send_login_link([T0 + i for i in range(requested)], T0 + 60)


def test_LL8_sixth_login_link_within_the_hour_is_not_sent() -> None:
    requested = [T0 + i for i in range(5)]
    assert not rules.may_send_login_link(requested, T0 + rules.LOGIN_LINK_REQUEST_WINDOW_S - 1)


def test_LL8_login_link_sent_again_once_the_oldest_request_is_an_hour_old() -> None:
    requested = [T0 + i for i in range(5)]
    assert rules.may_send_login_link(requested, T0 + rules.LOGIN_LINK_REQUEST_WINDOW_S)


# -- management URL (MU) --------------------------------------------------------------------


def test_MU2_management_url_on_verified_device_signs_in() -> None:
    access = open_management(device_verified=True)
    assert access.outcome is Outcome.SIGN_IN
    assert not access.verify_device and not access.verify_email  # nothing to change


def test_MU2_management_url_on_verified_device_but_revoked_link_is_refused() -> None:
    assert open_management(management(revoked_at=T0 + 1)).outcome is Outcome.INVALID


def test_MU3_unverified_device_is_asked_to_verify() -> None:
    access = open_management(device_verified=False)
    assert access.outcome is Outcome.VERIFY_DEVICE and not access.granted
    assert "login link" in access.reason


def test_MU3_verified_device_is_not_asked_to_verify() -> None:
    assert open_management(device_verified=True).outcome is not Outcome.VERIFY_DEVICE


def test_MU4_without_verification_management_url_signs_in_on_any_device() -> None:
    access = open_management(customer=UNVERIFIED_ADA, device_verified=False, policy=NO_VERIFICATION)
    assert access.granted


def test_MU4_with_verification_required_unaccepted_customer_is_not_signed_in() -> None:
    access = open_management(customer=UNVERIFIED_ADA, device_verified=False, policy=POLICY)
    assert not access.granted


def test_MU5_management_url_one_second_before_its_ttl_is_valid() -> None:
    assert open_management(now=T0 + POLICY.management_link_ttl_s - 1).granted


def test_MU5_management_url_exactly_at_its_ttl_is_expired() -> None:
    access = open_management(now=T0 + POLICY.management_link_ttl_s)
    assert access.outcome is Outcome.EXPIRED


def test_MU5_expired_management_url_grants_nothing_even_without_verification() -> None:
    access = open_management(policy=NO_VERIFICATION, now=T0 + NO_VERIFICATION.management_link_ttl_s)
    assert access.outcome is Outcome.EXPIRED


def test_MU6_same_link_handed_out_until_one_second_before_refresh() -> None:
    link = management()
    now = T0 + POLICY.management_link_refresh_s - 1
    assert rules.current_management_link([link], POLICY, now) == link
    assert rules.management_link_refreshes_at(link, POLICY) == T0 + POLICY.management_link_refresh_s


def test_MU6_new_link_needed_exactly_at_refresh_and_old_stays_valid() -> None:
    link = management()
    now = T0 + POLICY.management_link_refresh_s
    assert rules.current_management_link([link], POLICY, now) is None
    assert open_management(link, now=now).granted  # old one valid until its own expiry


def test_MU6_newest_unrevoked_link_is_the_current_one() -> None:
    old = management()
    new = management(created_at=T0 + 10, id=2)
    revoked = management(created_at=T0 + 20, id=3, revoked_at=T0 + 21)
    assert rules.current_management_link([new, revoked, old], POLICY, T0 + 30) == new


def test_MU6_no_link_yet_means_a_new_one() -> None:
    assert rules.current_management_link([], POLICY, T0) is None


def test_MU7_fifteenth_read_is_allowed() -> None:
    assert rules.may_read_management_link(management(fetch_count=rules.MANAGEMENT_LINK_READ_LIMIT - 1))


def test_MU7_sixteenth_read_is_refused() -> None:
    assert not rules.may_read_management_link(management(fetch_count=rules.MANAGEMENT_LINK_READ_LIMIT))


def test_MU8_tampered_management_url_grants_nothing() -> None:
    # The service passes None when the URL's signature does not verify.
    access = rules.decide_management_url(None, ADA, device_verified=True, policy=POLICY, now=T0)
    assert access.outcome is Outcome.INVALID


def test_MU8_management_link_of_another_customer_grants_nothing() -> None:
    access = open_management(management(), customer=BEN, device_verified=True)
    assert access.outcome is Outcome.INVALID


def test_MU8_own_management_link_is_accepted() -> None:
    assert open_management(management(), customer=ADA).granted


# -- email verification (EV) ----------------------------------------------------------------


def test_EV1_unverified_customer_gets_no_access_by_management_url() -> None:
    access = open_management(customer=UNVERIFIED_ADA, device_verified=True)
    assert access.outcome is Outcome.VERIFY_EMAIL


def test_EV1_unverified_customer_gets_no_access_by_password() -> None:
    assert password_sign_in(UNVERIFIED_ADA).outcome is Outcome.VERIFY_EMAIL


def test_EV1_opening_a_link_verifies_the_email_and_then_management_url_works() -> None:
    opened = rules.decide_email_link(login_link(), UNVERIFIED_ADA, POLICY, T0)
    assert opened.granted and opened.verify_email
    assert open_management(customer=ADA, device_verified=True).granted


def test_EV2_verification_is_per_device() -> None:
    assert open_management(device_verified=True).granted
    assert open_management(device_verified=False).outcome is Outcome.VERIFY_DEVICE


def test_EV2_password_sign_in_of_verified_customer_verifies_the_device() -> None:
    access = password_sign_in(ADA, policy=PASSWORDS)
    assert access.granted and access.verify_device and not access.verify_email


def test_EV2_password_sign_in_without_required_verification_verifies_no_device() -> None:
    access = password_sign_in(UNVERIFIED_ADA, policy=PASSWORDS_NO_VERIFICATION)
    assert access.granted and not access.verify_device


def test_EV3_without_verification_invitation_login_link_gives_access() -> None:
    assert rules.decide_email_link(invitation(), UNVERIFIED_ADA, NO_VERIFICATION, T0).granted


def test_EV3_without_verification_management_url_gives_access_before_acceptance() -> None:
    assert open_management(customer=UNVERIFIED_ADA, device_verified=False, policy=NO_VERIFICATION).granted


def test_EV3_with_verification_management_url_needs_acceptance() -> None:
    assert open_management(customer=UNVERIFIED_ADA, device_verified=False, policy=POLICY).outcome is Outcome.VERIFY_EMAIL


# -- passwords (PW) -------------------------------------------------------------------------


def test_PW1_password_sign_in_refused_when_passwords_are_off() -> None:
    access = password_sign_in(ADA, password_ok=True, policy=POLICY)
    assert access.outcome is Outcome.PASSWORDS_OFF and not access.granted


def test_PW1_password_sign_in_allowed_when_passwords_are_on() -> None:
    assert password_sign_in(ADA, password_ok=True, policy=PASSWORDS).granted


def test_PW2_customer_with_right_password_signs_in() -> None:
    access = password_sign_in(ADA, password_ok=True)
    assert access.outcome is Outcome.SIGN_IN


def test_PW2_customer_with_wrong_password_does_not() -> None:
    assert password_sign_in(ADA, password_ok=False).outcome is Outcome.BAD_CREDENTIALS


def test_PW3_wrong_password_and_unknown_email_get_the_same_answer() -> None:
    wrong = password_sign_in(ADA, password_ok=False)
    unknown = password_sign_in(None, password_ok=False)
    revoked = password_sign_in(REVOKED_ADA, password_ok=True)
    assert wrong == unknown == revoked
    assert wrong.outcome is Outcome.BAD_CREDENTIALS


def test_PW4_unverified_customer_with_right_password_gets_no_access() -> None:
    access = password_sign_in(UNVERIFIED_ADA, password_ok=True, policy=PASSWORDS)
    assert access.outcome is Outcome.VERIFY_EMAIL and not access.granted


def test_PW4_verified_customer_with_right_password_gets_access() -> None:
    assert password_sign_in(ADA, password_ok=True, policy=PASSWORDS).granted


def test_PW5_login_links_work_when_passwords_are_on() -> None:
    assert rules.decide_email_link(login_link(), ADA, PASSWORDS, T0).granted


def test_PW5_expired_login_link_still_refused_when_passwords_are_on() -> None:
    assert not rules.decide_email_link(login_link(), ADA, PASSWORDS, T0 + PASSWORDS.login_link_ttl_s).granted


def test_PW6_five_wrong_passwords_within_15_minutes_lock_the_address() -> None:
    failures = tuple(T0 + i * 60 for i in range(5))  # the fifth at T0+240
    assert rules.password_locked_until(failures, T0 + 300) == T0 + 240 + rules.PASSWORD_LOCKOUT_S
    access = password_sign_in(ADA, password_ok=True, failures_at=failures, now=T0 + 300)
    assert access.outcome is Outcome.LOCKED and not access.granted


def test_PW6_lock_holds_one_second_before_it_ends_and_lifts_exactly_at_the_end() -> None:
    failures = tuple(T0 + i for i in range(5))
    ends = T0 + 4 + rules.PASSWORD_LOCKOUT_S
    assert rules.password_locked_until(failures, ends - 1) == ends
    assert rules.password_locked_until(failures, ends) is None
    assert password_sign_in(ADA, failures_at=failures, now=ends).granted


def test_PW6_four_wrong_passwords_do_not_lock() -> None:
    failures = tuple(T0 + i for i in range(4))
    assert rules.password_locked_until(failures, T0 + 10) is None
    assert password_sign_in(ADA, failures_at=failures, now=T0 + 10).granted


def test_PW6_five_wrong_passwords_spread_over_15_minutes_do_not_lock() -> None:
    failures = (T0, T0 + 100, T0 + 200, T0 + 300, T0 + rules.PASSWORD_FAILURE_WINDOW_S)
    assert rules.password_locked_until(failures, T0 + rules.PASSWORD_FAILURE_WINDOW_S + 1) is None


def test_PW6_five_wrong_passwords_one_second_inside_15_minutes_lock() -> None:
    failures = (T0, T0 + 100, T0 + 200, T0 + 300, T0 + rules.PASSWORD_FAILURE_WINDOW_S - 1)
    assert rules.password_locked_until(failures, T0 + rules.PASSWORD_FAILURE_WINDOW_S) is not None


def test_PW6_lock_applies_to_unknown_addresses_too() -> None:
    failures = tuple(T0 + i for i in range(5))
    assert password_sign_in(None, failures_at=failures, now=T0 + 10).outcome is Outcome.LOCKED


# -- sessions (SES) -------------------------------------------------------------------------


def session(last_seen_at: float = T0) -> Session:
    return Session(customer_id=ADA.id, device="d", created_at=T0, last_seen_at=last_seen_at)


def test_SES1_session_one_second_before_idle_timeout_is_alive() -> None:
    assert rules.session_alive(session(), POLICY, T0 + POLICY.session_idle_timeout_s - 1)


def test_SES1_session_exactly_at_idle_timeout_has_ended() -> None:
    assert not rules.session_alive(session(), POLICY, T0 + POLICY.session_idle_timeout_s)


def test_SES1_no_session_is_not_alive() -> None:
    assert not rules.session_alive(None, POLICY, T0)


def test_SES2_activity_extends_the_session() -> None:
    now = T0 + POLICY.session_idle_timeout_s + 600
    assert rules.session_alive(session(last_seen_at=T0 + 1200), POLICY, now)


def test_SES2_without_activity_the_same_moment_is_past_the_timeout() -> None:
    now = T0 + POLICY.session_idle_timeout_s + 600
    assert not rules.session_alive(session(last_seen_at=T0), POLICY, now)


def test_SES3_after_a_timeout_management_url_on_verified_device_signs_in_again() -> None:
    later = T0 + 10 * POLICY.session_idle_timeout_s
    assert not rules.session_alive(session(), POLICY, later)
    assert open_management(device_verified=True, now=later).granted


def test_SES3_after_a_timeout_management_url_on_unverified_device_does_not() -> None:
    later = T0 + 10 * POLICY.session_idle_timeout_s
    assert not open_management(device_verified=False, now=later).granted


# -- device change (DEV) --------------------------------------------------------------------


def test_DEV1_new_device_is_refused_then_verified_by_a_login_link_opened_on_it() -> None:
    refused = open_management(device_verified=False)
    assert refused.outcome is Outcome.VERIFY_DEVICE
    opened = rules.decide_email_link(login_link(), ADA, POLICY, T0 + 120)
    assert opened.granted and opened.verify_device
    assert open_management(device_verified=True, now=T0 + 121).granted  # device B now
    assert open_management(device_verified=True, now=T0 + 122).granted  # device A still


# -- revocation (REV) -----------------------------------------------------------------------


@pytest.mark.parametrize("link", [invitation(), login_link()], ids=["invitation", "login-link"])
def test_REV1_revoked_customer_links_grant_nothing(link: EmailLink) -> None:
    assert rules.decide_email_link(link, REVOKED_ADA, POLICY, T0).outcome is Outcome.INVALID


def test_REV1_revoked_customer_management_url_grants_nothing_on_verified_device() -> None:
    assert open_management(customer=REVOKED_ADA, device_verified=True).outcome is Outcome.INVALID


def test_REV1_revoked_customer_management_url_grants_nothing_without_verification() -> None:
    access = open_management(customer=REVOKED_ADA, device_verified=False, policy=NO_VERIFICATION)
    assert access.outcome is Outcome.INVALID


def test_REV1_revoked_customer_password_is_refused() -> None:
    assert password_sign_in(REVOKED_ADA, password_ok=True).outcome is Outcome.BAD_CREDENTIALS


def test_REV1_enabled_customer_is_let_in() -> None:
    assert rules.decide_email_link(login_link(), ADA, POLICY, T0).granted
    assert open_management(customer=ADA).granted
