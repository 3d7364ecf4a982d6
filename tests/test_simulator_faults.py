"""Fault switches (`simulator.faults`): each breaks its one rule, and only when it is on.

Every rule test runs twice, on the reference and with its fault on, so it proves both that the
fault bites and that the default path still keeps the rule.
"""

from __future__ import annotations

import dataclasses

import pytest
from simulator_flows import (
    IDLE_S, INVITATION_TTL_S, LOGIN_TTL_S, MANAGEMENT_TTL_S, PASSWORD, Site, accepted, invited, location,
    login_link,
)

from portalcheck import rules
from simulator.__main__ import main, parser
from simulator.app import Settings
from simulator.faults import REGISTRY, Faults

SWITCHED: set[str] = set()  # the faults a test below switches on


def switched(name: str) -> pytest.MarkDecorator:
    """Run a test on the reference and with fault `name` on; its `faults` argument says which."""
    SWITCHED.add(name)
    return pytest.mark.parametrize("faults", [Faults(), Faults.named([name])], ids=["reference", name])


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def simulator_settings(simulator_settings: Settings, faults: Faults) -> Settings:
    return dataclasses.replace(simulator_settings, faults=faults)


# -- invitations (INV) ----------------------------------------------------------------------


@switched("inv2_always_invite")
def test_INV2_subscription_with_auto_invite_off(simulator_site: Site, faults: Faults) -> None:
    ada = simulator_site.add_customer()
    answer = simulator_site.control("POST", f"/customers/{ada['id']}/subscriptions", json={"product": "Gold"})
    assert answer.status_code == 201
    assert len(simulator_site.queued(ada["email"])) == (1 if faults else 0)


@switched("inv5_no_expiry")
def test_INV5_invitation_at_its_expiry(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    _, link = invited(site)
    site.advance(INVITATION_TTL_S)
    laptop = site.device()
    assert location(laptop.get(link)) == (f"{site.base}/" if faults else f"{site.base}/link-expired")
    assert laptop.has_access() is bool(faults)


@switched("inv7_no_resend_limit")
def test_INV7_sixth_invitation_within_30_minutes(simulator_site: Site, faults: Faults) -> None:
    ada = simulator_site.add_customer()
    for _ in range(5):
        simulator_site.invite(ada)
    sixth = simulator_site.control("POST", f"/customers/{ada['id']}/invitations")
    assert sixth.status_code == (202 if faults else 422), sixth.text


@switched("inv7_auto_invites_uncounted")
def test_INV7_invitations_sent_by_subscriptions_count(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    site.set_policy(auto_invite=True)
    ada = site.add_customer()
    for product in ("Gold", "Silver", "Bronze", "Iron", "Tin", "Lead"):
        answer = site.control("POST", f"/customers/{ada['id']}/subscriptions", json={"product": product})
        assert answer.status_code == 201, answer.text
    assert len(site.queued(ada["email"])) == (6 if faults else 5)
    sixth = site.control("POST", f"/customers/{ada['id']}/invitations")
    assert sixth.status_code == (202 if faults else 422), sixth.text


# -- login links (LL) -----------------------------------------------------------------------


@switched("ll2_enumeration")
def test_LL2_unknown_and_known_addresses(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, _ = invited(site)
    device = site.device()
    known = device.ask_login_link(ada["email"])
    unknown = device.ask_login_link("nobody@example.com")
    assert known.status_code == 200 and "Check your email" in known.text
    assert unknown.status_code == (404 if faults else 200)
    assert ("Check your email" in unknown.text) is not bool(faults)
    assert site.queued("nobody@example.com") == []  # mail to a known address only, either way


@switched("ll5_no_expiry")
def test_LL5_login_link_at_its_expiry(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop = site.device()
    link = login_link(site, laptop, ada)
    site.advance(LOGIN_TTL_S)
    assert location(laptop.get(link)) == (f"{site.base}/" if faults else f"{site.base}/link-expired")


@switched("ll6_reusable")
def test_LL6_login_link_used_twice(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, invitation = invited(site)
    laptop, phone = site.device(), site.device()
    link = login_link(site, laptop, ada)
    assert location(laptop.get(link)) == f"{site.base}/"
    assert location(phone.get(link)) == (f"{site.base}/" if faults else f"{site.base}/link-invalid")
    assert phone.has_access() is bool(faults)
    # Login links only: the invitation stays single-use with the fault on.
    assert location(laptop.get(invitation)) == f"{site.base}/"
    assert location(site.device().get(invitation)) == f"{site.base}/link-invalid"


# -- management URL (MU) --------------------------------------------------------------------


@switched("mu1_stale_url_in_emails")
def test_MU1_account_email_after_the_management_url_was_renewed(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, _ = invited(site)
    first = site.management_url(ada)
    site.advance(1_296_000)  # management_link_refresh_s: a new URL is due
    current = site.management_url(ada)
    assert current != first
    site.control("POST", f"/customers/{ada['id']}/management_link_emails")
    emailed = site.management_link_in(site.mail(ada["email"], "account"))
    assert emailed == (first if faults else current)


@switched("mu3_any_device")
def test_MU3_management_url_on_a_device_that_is_not_verified(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada = accepted(site, site.device())
    phone = site.device()
    expected = f"{site.base}/" if faults else f"{site.base}/verify-device"
    assert location(phone.get(site.management_url(ada))) == expected
    assert phone.has_access() is bool(faults)


@switched("mu5_no_expiry")
def test_MU5_management_url_at_its_expiry(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    url = site.management_url(ada)
    site.advance(MANAGEMENT_TTL_S)
    assert location(laptop.get(url)) == (f"{site.base}/" if faults else f"{site.base}/link-expired")


@switched("mu6_always_new")
def test_MU6_management_url_before_its_refresh(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, _ = invited(site)
    first, second = site.management_url(ada), site.management_url(ada)
    assert (first != second) is bool(faults)
    site.control("POST", f"/customers/{ada['id']}/management_link_emails")
    in_email = site.management_link_in(site.mail(ada["email"], "account"))
    assert (in_email != second) is bool(faults)


@switched("mu7_no_read_limit")
def test_MU7_sixteenth_read(simulator_site: Site, faults: Faults) -> None:
    ada = simulator_site.add_customer()
    for _ in range(15):
        simulator_site.management_link(ada)
    sixteenth = simulator_site.control("GET", f"/customers/{ada['id']}/management_link")
    assert sixteenth.status_code == (200 if faults else 429), sixteenth.text


@switched("mu8_customer_from_path")
def test_MU8_management_url_with_another_customer_in_its_path(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    site.set_policy(email_verification_required=False)
    ada, _ = invited(site)
    ben = site.add_customer(first_name="Ben")
    site.invite(ben)
    url = site.management_url(ada)
    altered = url.replace(f"/manage/{ada['id']}/", f"/manage/{ben['id']}/")
    laptop = site.device()
    assert location(laptop.get(altered)) == (f"{site.base}/" if faults else f"{site.base}/link-invalid")
    assert (ben["email"] in laptop.home().text) is bool(faults)


@switched("ev2_link_verifies_waiting_devices")
def test_EV2_login_link_on_one_device_and_a_device_waiting_to_be_verified(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    laptop, phone = site.device(), site.device()
    ada = accepted(site, laptop)
    url = site.management_url(ada)
    assert location(phone.get(url)) == f"{site.base}/verify-device"
    assert location(laptop.get(login_link(site, laptop, ada))) == f"{site.base}/"
    assert location(phone.get(url)) == (f"{site.base}/" if faults else f"{site.base}/verify-device")


# -- email verification (EV) ----------------------------------------------------------------


@switched("ev1_unverified_access")
def test_EV1_management_url_of_a_customer_who_has_not_verified(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop = site.device()
    expected = f"{site.base}/" if faults else f"{site.base}/verify-device"
    assert location(laptop.get(site.management_url(ada))) == expected
    assert laptop.has_access() is bool(faults)
    assert site.customer(ada)["email_verified"] is False


# -- passwords (PW) -------------------------------------------------------------------------


@switched("pw1_password_always")
def test_PW1_password_form_and_sign_in_with_password_logins_off(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    site.set_policy(password_login_enabled=False)
    phone = site.device()
    assert ('aria-label="Sign in with a password"' in phone.get("/login").text) is bool(faults)
    answer = phone.password_sign_in(ada["email"], PASSWORD)
    assert answer.status_code == (303 if faults else 403), answer.text
    assert phone.has_access() is bool(faults)


@switched("pw3_no_password_told")
def test_PW3_customer_without_a_password_and_an_unknown_address(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    device = site.device()
    known = device.password_sign_in(ada["email"], PASSWORD)
    unknown = device.password_sign_in("nobody@example.com", PASSWORD)
    assert known.status_code == unknown.status_code == 401
    assert ("You have not chosen a password" in known.text) is bool(faults)
    assert "You have not chosen a password" not in unknown.text


@switched("pw6_lock_by_typed_address")
def test_PW6_wrong_passwords_for_the_address_in_capitals(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    stranger = site.device()
    for attempt in range(5):
        assert stranger.password_sign_in(ada["email"].upper(), f"wrong-{attempt}").status_code == 401
    phone = site.device()
    answer = phone.password_sign_in(ada["email"], PASSWORD)
    assert answer.status_code == (303 if faults else 429), answer.text


# -- sessions (SES) -------------------------------------------------------------------------


@switched("ses1_no_idle_timeout")
def test_SES1_session_after_the_idle_timeout(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop)
    site.advance(IDLE_S)
    assert laptop.has_access() is bool(faults)


@switched("ses5_no_samesite")
def test_SES5_session_cookie_attributes(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, link = invited(site)
    answer = site.device().get(link)
    session = [header for header in answer.headers.get_list("set-cookie") if header.startswith("portal_session=")]
    assert session, answer.headers
    assert ("samesite=lax" in session[0].lower()) is not bool(faults), session[0]
    assert "httponly" in session[0].lower(), session[0]


@switched("ses4_sign_out_keeps_session")
def test_SES4_a_copy_of_the_session_after_sign_out(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    copied = laptop.cookie("portal_session")
    assert copied
    laptop.sign_out()
    assert not laptop.has_access()
    other = site.device()
    other.set_cookie("portal_session", copied)
    assert other.has_access() is bool(faults)
    assert location(laptop.get(site.management_url(ada))) == f"{site.base}/verify-device"  # un-verified either way


@switched("sec3_login_link_referrer")
def test_SEC3_referrer_policy_of_the_login_link_page(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, invitation = invited(site)
    laptop = site.device()
    assert laptop.get(invitation).headers["referrer-policy"] == "no-referrer"
    answer = laptop.get(login_link(site, laptop, ada))
    assert (answer.headers["referrer-policy"] == "no-referrer") is not bool(faults), answer.headers


@switched("sec4_token_only_if_sent")
def test_SEC4_a_form_posted_from_another_site_without_its_token(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, _ = invited(site)
    device = site.device()
    sent = len(site.queued())
    attacker = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    answer = device.post("/login-link", {"email": ada["email"]}, csrf=None, headers=attacker)
    assert (answer.status_code == 200) is bool(faults) and (answer.status_code == 403) is not bool(faults)
    assert len(site.queued()) == sent + bool(faults)
    # A wrong token sent is refused either way: the fault trusts only a form that sends none.
    wrong = device.post("/login-link", {"email": ada["email"]}, csrf="A" * 43)
    assert wrong.status_code == 403


# -- device change (DEV) --------------------------------------------------------------------


@switched("dev2_login_link_device_bound")
def test_DEV2_login_link_asked_on_one_device_and_opened_on_another(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop, phone = site.device(), site.device()
    asked_on_laptop = login_link(site, laptop, ada)
    assert location(phone.get(asked_on_laptop)) == (f"{site.base}/link-invalid" if faults else f"{site.base}/")
    assert phone.has_access() is not bool(faults)
    # The device that asked still gets in (LL-4), and so does the verify page's request (DEV-1).
    assert location(laptop.get(login_link(site, laptop, ada, nth=2))) == f"{site.base}/"


# -- revocation (REV) -----------------------------------------------------------------------


@switched("rev1_sessions_survive")
def test_REV1_session_after_revocation(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    url = site.management_url(ada)
    site.revoke(ada)
    assert laptop.has_access() is bool(faults)
    assert location(site.device().get(url)) == f"{site.base}/link-invalid"  # links die either way


@switched("rev1_devices_stay_verified")
def test_REV1_verified_device_after_revocation_and_a_new_invitation(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    site.revoke(ada)
    assert not laptop.has_access()  # the session ends either way
    site.invite(ada)
    expected = f"{site.base}/" if faults else f"{site.base}/verify-device"
    assert location(laptop.get(site.management_url(ada))) == expected


# -- tenant isolation (SEC-6) ---------------------------------------------------------------


@switched("sec6_tokens_any_site")
def test_SEC6_login_link_moved_under_another_sites_path(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    other = type(site)(site.client, site.mail_sink)  # a second test site of the same portal
    ada, _ = invited(site)
    link = login_link(site, site.device(), ada)
    moved = link.replace(site.base + "/", other.base + "/")
    laptop = other.device()
    assert location(laptop.get(moved)) == (f"{other.base}/" if faults else f"{other.base}/link-invalid")
    assert laptop.has_access() is bool(faults)


@switched("sec6_tokens_any_site")
def test_SEC6_management_url_moved_under_another_sites_path(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    other = type(site)(site.client, site.mail_sink)
    site.set_policy(email_verification_required=False)
    other.set_policy(email_verification_required=False)
    ada, _ = invited(site)
    moved = site.management_url(ada).replace(site.base + "/", other.base + "/")
    phone = other.device()
    assert location(phone.get(moved)) == (f"{other.base}/" if faults else f"{other.base}/link-invalid")
    assert phone.has_access() is bool(faults)


@switched("sec6_devices_any_site")
def test_SEC6_device_verified_in_one_site_and_her_management_url_of_another(simulator_site: Site, faults: Faults) -> None:
    site = simulator_site
    other = type(site)(site.client, site.mail_sink)
    laptop = site.device()
    ada = accepted(site, laptop)
    there = other.add_customer(ada["email"])
    other.accepted_invitation(there, other.device())  # verified there on another device
    carried = other.device()
    carried.set_cookie("portal_device", str(laptop.cookie("portal_device")))  # the laptop, under the other site's path
    expected = f"{other.base}/" if faults else f"{other.base}/verify-device"
    assert location(carried.get(other.management_url(there))) == expected
    assert carried.has_access() is bool(faults)


# -- the registry and the command line ------------------------------------------------------


def test_every_fault_breaks_a_rule_of_the_policy_and_is_switched_on_above() -> None:
    known = {rule.id for rule in rules.load()}
    assert {fault.rule for fault in REGISTRY.values()} <= known
    assert SWITCHED == set(REGISTRY)


def test_every_family_of_must_rules_has_a_fault() -> None:
    families = {rule.id.split("-")[0] for rule in rules.load() if rule.level == "MUST"}
    assert families <= {fault.rule.split("-")[0] for fault in REGISTRY.values()}


def test_no_fault_is_the_reference() -> None:
    assert not Faults() and Faults().names == ()
    assert Faults.named(["ll5_no_expiry", "mu3_any_device"]).names == ("ll5_no_expiry", "mu3_any_device")
    with pytest.raises(ValueError, match="unknown fault 'nope'; known faults: inv2_always_invite"):
        Faults.named(["nope"])


def test_fault_is_repeatable_on_the_command_line() -> None:
    args = parser().parse_args(
        ["--smtp", "localhost:2525", "--control-token", "t", "--fault", "ll5_no_expiry", "--fault", "mu3_any_device"]
    )
    assert args.fault == ["ll5_no_expiry", "mu3_any_device"]


def test_unknown_fault_exits_2_with_one_line_naming_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--smtp", "localhost:2525", "--control-token", "t", "--fault", "nope"])
    assert exited.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "invalid choice: 'nope'" in errors[0]
    assert all(name in errors[0] for name in REGISTRY)
