"""The customer's pages (`simulator.pages`) over HTTP, rule by rule, each device a client of its own.

Cookies are scoped to the site's path, so a device is a cookie jar; site time moves only through
the control API's clock; mail is read from the SMTP sink (content) or the outbox (what was sent).
"""

from __future__ import annotations

import re
import threading
from typing import Any, Callable

import pytest
from simulator_flows import (
    IDLE_S, INVITATION_TTL_S, LOGIN_TTL_S, MANAGEMENT_TTL_S, PASSWORD, Device, Site, accepted, invited, location,
    login_link,
)


def normalised(page: str, *values: str) -> str:
    page = re.sub(r'name="csrf" value="[^"]+"', 'name="csrf" value="CSRF"', page)
    for value in values:
        page = page.replace(value, "VALUE")
    return page


# -- invitations (INV) ----------------------------------------------------------------------


def test_INV4_invitation_signs_in_verifies_email_and_device_and_drops_the_token(simulator_site: Site) -> None:
    site = simulator_site
    ada, link = invited(site)
    laptop = site.device()
    answer = laptop.get(link)
    assert location(answer) == f"{site.base}/"
    assert answer.headers["referrer-policy"] == "no-referrer"  # SEC-3
    assert laptop.has_access()
    assert ada["first_name"] in laptop.home().text
    customer = site.customer(ada)
    assert customer["email_verified"] is True
    assert customer["invite_last_accepted_at"] == "2026-01-01T00:00:00Z"
    laptop.drop_cookie("portal_session")  # the device stays verified without its session
    assert location(laptop.get(site.management_url(ada))) == f"{site.base}/"
    assert laptop.has_access()


def test_INV4_unknown_invitation_signs_nobody_in(simulator_site: Site) -> None:
    site = simulator_site
    ada, link = invited(site)
    laptop = site.device()
    forged = link[:-5] + ("AAAAA" if not link.endswith("AAAAA") else "BBBBB")
    assert location(laptop.get(forged)) == f"{site.base}/link-invalid"
    assert not laptop.has_access()
    assert site.customer(ada)["email_verified"] is False


def test_LL6_second_use_of_an_invitation_shows_link_invalid(simulator_site: Site) -> None:
    site = simulator_site
    ada, link = invited(site)
    laptop, phone = site.device(), site.device()
    assert location(laptop.get(link)) == f"{site.base}/"
    again = phone.get(link)
    assert location(again) == f"{site.base}/link-invalid"
    page = phone.follow(link)
    assert page.status_code == 404
    assert "not valid, or it has already been used" in page.text
    assert 'aria-label="Email me a login link"' in page.text
    assert not phone.has_access()


def test_INV5_invitation_one_second_before_expiry_still_works(simulator_site: Site) -> None:
    site = simulator_site
    _, link = invited(site)
    site.advance(INVITATION_TTL_S - 1)
    laptop = site.device()
    assert location(laptop.get(link)) == f"{site.base}/"


def test_INV5_expired_invitation_shows_link_expired_with_the_login_link_form(simulator_site: Site) -> None:
    site = simulator_site
    ada, link = invited(site)
    site.advance(INVITATION_TTL_S)
    laptop = site.device()
    assert location(laptop.get(link)) == f"{site.base}/link-expired"
    page = laptop.follow(link)
    assert page.status_code == 410
    assert "This link has expired." in page.text
    assert f'action="{site.base}/login-link"' in page.text
    assert not laptop.has_access()
    assert site.customer(ada)["email_verified"] is False
    # the offered form works: a new login link is sent
    assert laptop.post("/login-link", {"email": ada["email"]}, csrf=site.csrf_of(page)).status_code == 200
    assert site.link(ada["email"], "login_link")


def test_INV6_resending_an_invitation_invalidates_the_earlier_link(simulator_site: Site) -> None:
    site = simulator_site
    ada, first = invited(site)
    site.invite(ada)
    second = site.link(ada["email"], "invitation", nth=2)
    laptop = site.device()
    assert location(laptop.get(first)) == f"{site.base}/link-invalid"
    assert location(laptop.get(second)) == f"{site.base}/"


def test_INV8_with_password_logins_on_accepting_asks_for_a_password(simulator_site: Site) -> None:
    site = simulator_site
    ada, link = invited(site, password_login_enabled=True)
    laptop, phone = site.device(), site.device()
    assert location(laptop.get(link)) == f"{site.base}/password"
    form = laptop.get("/password")
    assert form.status_code == 200 and 'aria-label="Choose a password"' in form.text
    chosen = laptop.post("/password", {"password": PASSWORD}, csrf=site.csrf_of(form))
    assert location(chosen) == f"{site.base}/"
    assert location(phone.password_sign_in(ada["email"], PASSWORD)) == f"{site.base}/"
    assert phone.has_access()


def test_INV8_with_password_logins_off_no_password_is_asked(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop)
    assert location(laptop.get("/password")) == f"{site.base}/"  # no form offered
    assert location(laptop.post("/password", {"password": PASSWORD})) == f"{site.base}/"
    assert "Choose a password" not in laptop.home().text


def test_INV8_short_password_is_refused_with_a_message(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop, password_login_enabled=True)
    answer = laptop.post("/password", {"password": "short"})
    assert answer.status_code == 422 and "8 to 256 characters" in answer.text


# -- login links (LL) -----------------------------------------------------------------------


def test_LL1_sign_in_page_offers_a_login_link_by_email(simulator_site: Site) -> None:
    page = simulator_site.device().get("/login")
    assert page.status_code == 200
    assert 'name="email" type="email"' in page.text and "Email me a login link" in page.text


def test_LL2_LL3_known_unknown_and_revoked_addresses_get_the_same_answer(simulator_site: Site) -> None:
    site = simulator_site
    known = accepted(site, site.device())
    revoked = accepted(site, site.device())
    site.revoke(revoked)
    queued_before = len(site.queued())
    device = site.device()
    answers = {
        address: device.ask_login_link(address)
        for address in (known["email"], "nobody@example.com", revoked["email"])
    }
    assert {answer.status_code for answer in answers.values()} == {200}
    assert len({normalised(answer.text, address) for address, answer in answers.items()}) == 1
    assert "Check your email" in answers[known["email"]].text
    sent = site.queued()[queued_before:]
    assert [row["recipient"] for row in sent] == [known["email"]]  # LL-2 / REV-2: mail only to the known one
    mail = site.mail(known["email"], "login_link")  # LL-3: login link and management URL
    assert "/link/" in site.action_link_in(mail)
    assert site.management_link_in(mail) == site.management_url(known)


def test_LL2_invalid_address_gets_a_clear_422_and_no_mail(simulator_site: Site) -> None:
    site = simulator_site
    answer = site.device().ask_login_link("not an address")
    assert answer.status_code == 422 and "not a valid email address" in answer.text
    assert site.queued() == []


def test_LL4_DEV2_login_link_asked_on_one_device_signs_in_the_device_that_opens_it(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    laptop.sign_out()
    phone = site.device()
    link = login_link(site, laptop, ada)
    answer = phone.get(link)
    assert location(answer) == f"{site.base}/"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert phone.has_access()
    assert not laptop.has_access()
    phone.drop_cookie("portal_session")  # the phone is verified now
    assert location(phone.get(site.management_url(ada))) == f"{site.base}/"


def test_LL4_login_link_verifies_an_unverified_email(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop = site.device()
    assert location(laptop.get(login_link(site, laptop, ada))) == f"{site.base}/"
    assert site.customer(ada)["email_verified"] is True
    assert site.customer(ada)["invite_last_accepted_at"] is None  # a login link is not the invitation


def test_LL5_login_link_one_second_before_expiry_works(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop = site.device()
    link = login_link(site, laptop, ada)
    site.advance(LOGIN_TTL_S - 1)
    assert location(laptop.get(link)) == f"{site.base}/"


def test_LL5_login_link_exactly_at_expiry_is_expired(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop = site.device()
    link = login_link(site, laptop, ada)
    site.advance(LOGIN_TTL_S)
    assert location(laptop.get(link)) == f"{site.base}/link-expired"
    assert laptop.follow(link).status_code == 410
    assert not laptop.has_access()


def test_LL6_login_link_works_once(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop, phone = site.device(), site.device()
    link = login_link(site, laptop, ada)
    assert location(laptop.get(link)) == f"{site.base}/"
    assert location(phone.get(link)) == f"{site.base}/link-invalid"
    assert not phone.has_access()


def test_LL7_a_newer_login_link_invalidates_the_older_one(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop = site.device()
    older = login_link(site, laptop, ada, nth=1)
    newer = login_link(site, laptop, ada, nth=2)
    assert location(laptop.get(older)) == f"{site.base}/link-invalid"
    assert location(laptop.get(newer)) == f"{site.base}/"


def test_LL8_sixth_request_within_the_hour_sends_no_mail_and_the_same_answer(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    laptop = site.device()
    answers = [laptop.ask_login_link(ada["email"]) for _ in range(5)]
    assert len(site.queued(ada["email"])) == 1 + 5
    site.advance(LOGIN_TTL_S - 1)
    sixth = laptop.ask_login_link(ada["email"].upper())  # the limit is per address, any case
    assert sixth.status_code == 200 and normalised(sixth.text, ada["email"].upper()) == normalised(answers[0].text, ada["email"])
    assert len(site.queued(ada["email"])) == 6
    site.advance(1)
    laptop.ask_login_link(ada["email"])
    assert len(site.queued(ada["email"])) == 7


# -- management URL (MU) --------------------------------------------------------------------


def test_MU2_management_url_on_a_verified_device_starts_a_new_session(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    laptop.drop_cookie("portal_session")
    assert not laptop.has_access()
    answer = laptop.get(site.management_url(ada))
    assert location(answer) == f"{site.base}/"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "portal_session=" in answer.headers["set-cookie"]
    assert laptop.has_access()


def test_MU2_management_url_on_a_signed_in_device_keeps_the_session(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    session = laptop.cookie("portal_session")
    assert location(laptop.get(site.management_url(ada))) == f"{site.base}/"
    assert laptop.cookie("portal_session") == session and laptop.has_access()


def test_MU3_unverified_device_is_told_why_and_offered_a_login_link(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device())
    phone = site.device()
    before = len(site.queued(ada["email"]))
    assert location(phone.get(site.management_url(ada))) == f"{site.base}/verify-device"
    page = phone.get("/verify-device")
    assert page.status_code == 403
    assert "Verify this device" in page.text and "not been used to open your billing portal" in page.text
    assert "a•••@example.com" in page.text and ada["email"] not in page.text
    assert not phone.has_access()
    assert len(site.queued(ada["email"])) == before  # nothing sent until asked
    sent = phone.post("/verify-device", {}, csrf=site.csrf_of(page))
    assert sent.status_code == 200 and "Check your email" in sent.text
    assert len(site.queued(ada["email"])) == before + 1
    assert location(phone.get(site.link(ada["email"], "login_link"))) == f"{site.base}/"
    assert phone.has_access()


def test_MU4_without_verification_management_url_signs_in_at_once_on_any_device(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site, email_verification_required=False)
    phone = site.device()
    assert location(phone.get(site.management_url(ada))) == f"{site.base}/"
    assert phone.has_access()
    customer = site.customer(ada)
    assert customer["invite_last_accepted_at"] is None and customer["email_verified"] is False


def test_MU4_with_verification_required_the_same_url_does_not(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    phone = site.device()
    assert location(phone.get(site.management_url(ada))) == f"{site.base}/verify-device"
    assert not phone.has_access()


def test_MU5_management_url_one_second_before_expiry_works(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    url = site.management_url(ada)
    site.advance(MANAGEMENT_TTL_S - 1)
    assert location(laptop.get(url)) == f"{site.base}/"


def test_MU5_expired_management_url_grants_nothing_and_offers_a_login_link(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    url = site.management_url(ada)
    site.advance(MANAGEMENT_TTL_S)
    assert location(laptop.get(url)) == f"{site.base}/link-expired"
    page = laptop.follow(url)
    assert page.status_code == 410 and 'aria-label="Email me a login link"' in page.text
    assert not laptop.has_access()


def tampered(url: str, other_url: str) -> dict[str, str]:
    head, customer, created, signature = url.rsplit("/", 3)
    _, other_customer, other_created, other_signature = other_url.rsplit("/", 3)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return {
        "flipped-signature": f"{head}/{customer}/{created}/{flipped}",
        "truncated-signature": f"{head}/{customer}/{created}/{signature[:20]}",
        "no-signature": f"{head}/{customer}/{created}/x",
        "other-customers-id": f"{head}/{other_customer}/{created}/{signature}",
        "other-customers-signature": f"{head}/{customer}/{other_created}/{other_signature}",
        "created-moved": f"{head}/{customer}/{int(created) + 1}/{signature}",
        "created-not-a-number": f"{head}/{customer}/abc/{signature}",
        "unicode-digit-id": f"{head}/%C2%B2/{created}/{signature}",
        "huge-id": f"{head}/{'9' * 30}/{created}/{signature}",
        "5000-digit-id": f"{head}/{'9' * 5000}/{created}/{signature}",
        "truncated-url": f"{head}/{customer}/{created}",
    }


TAMPERINGS = list(tampered("h/1/2/sig", "h/3/4/sig2"))


@pytest.mark.parametrize("how", TAMPERINGS)
def test_MU8_tampered_management_url_grants_nothing(simulator_site: Site, how: str) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    ben = accepted(site, site.device())
    laptop.drop_cookie("portal_session")
    url = tampered(site.management_url(ada), site.management_url(ben))[how]
    answer = laptop.get(url)
    assert 300 <= answer.status_code < 500, answer.status_code
    if answer.status_code == 303:
        assert location(answer) == f"{site.base}/link-invalid"
    assert not laptop.has_access()


def test_MU8_own_management_url_on_the_same_device_works(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    laptop.drop_cookie("portal_session")
    assert location(laptop.get(site.management_url(ada))) == f"{site.base}/"


def test_MU8_management_url_of_another_site_grants_nothing(simulator_sites: Callable[[], Site]) -> None:
    ours, theirs = simulator_sites(), simulator_sites()
    laptop = ours.device()
    ada = accepted(ours, laptop)
    url = ours.management_url(ada).replace(ours.base, theirs.base)
    assert location(laptop.get(url)) == f"{theirs.base}/link-invalid"


# -- email verification (EV) ----------------------------------------------------------------


def test_EV1_unverified_customer_gets_no_access_by_any_route(simulator_site: Site) -> None:
    site = simulator_site
    ada, link = invited(site, password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    laptop = site.device()
    assert location(laptop.get(site.management_url(ada))) == f"{site.base}/verify-device"
    page = laptop.get("/verify-device")
    assert page.status_code == 403 and "Verify your email address" in page.text
    assert location(laptop.password_sign_in(ada["email"], PASSWORD)) == f"{site.base}/verify-device"  # PW-4
    assert location(laptop.home()) == f"{site.base}/login"
    assert not laptop.has_access()
    assert location(laptop.get(link)) == f"{site.base}/"  # until she opens the invitation
    assert laptop.has_access()


def test_EV2_password_sign_in_of_a_verified_customer_verifies_that_device(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    phone = site.device()
    assert location(phone.get(site.management_url(ada))) == f"{site.base}/verify-device"
    assert location(phone.password_sign_in(ada["email"], PASSWORD)) == f"{site.base}/"
    phone.drop_cookie("portal_session")
    assert location(phone.get(site.management_url(ada))) == f"{site.base}/"


def test_EV3_without_verification_the_invitation_link_gives_access_at_once(simulator_site: Site) -> None:
    site = simulator_site
    ada, link = invited(site, email_verification_required=False)
    phone = site.device()
    assert location(phone.get(link)) == f"{site.base}/"
    assert phone.has_access()


# -- passwords (PW) -------------------------------------------------------------------------


def test_PW1_with_password_logins_off_no_password_form_and_sign_in_refused(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    site.set_policy(password_login_enabled=False)
    phone = site.device()
    page = phone.get("/login")
    assert 'aria-label="Sign in with a password"' not in page.text and 'type="password"' not in page.text
    refused = phone.password_sign_in(ada["email"], PASSWORD)
    assert refused.status_code == 403 and "Password sign-in is not available." in refused.text
    assert not phone.has_access()


def test_PW1_with_password_logins_on_the_form_is_offered(simulator_site: Site) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    page = simulator_site.device().get("/login")
    assert 'aria-label="Sign in with a password"' in page.text and 'type="password"' in page.text


def test_PW2_customer_with_a_password_signs_in_with_email_and_password(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    phone = site.device()
    answer = phone.password_sign_in(ada["email"].upper(), PASSWORD)
    assert location(answer) == f"{site.base}/"
    assert phone.has_access()


def test_PW3_wrong_password_and_unknown_email_get_the_same_generic_error(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    phone = site.device()
    wrong = phone.password_sign_in(ada["email"], "not the password")
    unknown = phone.password_sign_in("nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert normalised(wrong.text) == normalised(unknown.text)
    assert "That email and password do not match." in wrong.text
    assert not phone.has_access()


def test_PW4_unverified_customer_with_the_right_password_gets_no_access(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site, password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    phone = site.device()
    assert location(phone.password_sign_in(ada["email"], PASSWORD)) == f"{site.base}/verify-device"
    assert not phone.has_access()


def test_PW4_without_verification_the_right_password_gives_access(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site, password_login_enabled=True, email_verification_required=False)
    site.set_password(ada, PASSWORD)
    phone = site.device()
    assert location(phone.password_sign_in(ada["email"], PASSWORD)) == f"{site.base}/"


def test_PW5_login_links_keep_working_with_password_logins_on(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    phone = site.device()
    assert location(phone.get(login_link(site, phone, ada))) == f"{site.base}/"
    assert phone.has_access()


def test_PW6_five_wrong_passwords_lock_the_address_for_15_minutes(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    phone = site.device()
    for _ in range(5):
        assert phone.password_sign_in(ada["email"], "wrong password").status_code == 401
    locked = phone.password_sign_in(ada["email"], PASSWORD)
    assert locked.status_code == 429 and "Too many failed attempts" in locked.text
    assert not phone.has_access()
    site.advance(15 * 60 - 1)
    assert phone.password_sign_in(ada["email"], PASSWORD).status_code == 429
    site.advance(1)
    assert location(phone.password_sign_in(ada["email"], PASSWORD)) == f"{site.base}/"


def test_PW6_four_wrong_passwords_do_not_lock(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device(), password_login_enabled=True)
    site.set_password(ada, PASSWORD)
    phone = site.device()
    for _ in range(4):
        phone.password_sign_in(ada["email"], "wrong password")
    assert location(phone.password_sign_in(ada["email"], PASSWORD)) == f"{site.base}/"


# -- sessions (SES) -------------------------------------------------------------------------


def test_SES1_session_ends_after_the_idle_timeout(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop)
    site.advance(IDLE_S)
    assert location(laptop.home()) == f"{site.base}/login?ended=1"
    page = laptop.follow("/")
    assert page.status_code == 200 and "Your session has ended" in page.text
    assert not laptop.has_access()


def test_SES1_session_alive_one_second_before_the_idle_timeout(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop)
    site.advance(IDLE_S - 1)
    assert laptop.has_access()


def test_SES1_a_timed_out_session_stays_ended_when_the_timeout_is_raised(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop)
    site.advance(IDLE_S)
    assert not laptop.has_access()
    site.set_policy(session_idle_timeout_s=10 * IDLE_S)
    assert not laptop.has_access()


def test_EV1_a_session_from_before_verification_was_required_gives_no_access(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site, email_verification_required=False)
    phone = site.device()
    assert location(phone.get(site.management_url(ada))) == f"{site.base}/"
    assert phone.has_access()
    site.set_policy(email_verification_required=True)
    assert not phone.has_access()


def test_SES2_activity_before_the_timeout_extends_the_session(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop)
    site.advance(IDLE_S - 1)
    assert laptop.has_access()
    site.advance(IDLE_S - 1)  # 2 x (timeout - 1) since sign-in
    assert laptop.has_access()


def test_SES3_after_a_timeout_the_management_url_starts_a_new_session_without_email(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    url = site.management_url(ada)
    site.advance(IDLE_S)
    assert not laptop.has_access()
    sent = len(site.queued(ada["email"]))
    assert location(laptop.get(url)) == f"{site.base}/"
    assert laptop.has_access()
    assert len(site.queued(ada["email"])) == sent


def test_SES4_signing_out_ends_the_session_and_unverifies_the_device(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    answer = laptop.sign_out()
    assert location(answer) == f"{site.base}/login?signed_out=1"
    assert "You have signed out." in laptop.follow(location(answer)).text
    assert not laptop.has_access()
    assert location(laptop.get(site.management_url(ada))) == f"{site.base}/verify-device"


def test_SES5_session_cookie_is_httponly_samesite_lax_and_scoped_to_the_site(simulator_site: Site) -> None:
    site = simulator_site
    _, link = invited(site)
    answer = site.device().get(link)
    cookies = answer.headers.get_list("set-cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("portal_session="))
    attributes = {part.strip().lower() for part in session.split(";")[1:]}
    assert {"httponly", "samesite=lax", f"path={site.base}".lower()} <= attributes
    assert "secure" not in attributes  # plain HTTP here
    assert all("httponly" in cookie.lower() and "samesite=lax" in cookie.lower() for cookie in cookies)


def test_SES5_cookies_are_secure_over_https(simulator_site: Site) -> None:
    site = simulator_site
    answer = site.device().get(f"https://testserver{site.base}/login")
    assert "secure" in {part.strip().lower() for part in answer.headers["set-cookie"].split(";")}


def test_SES5_session_id_changes_at_sign_in_and_the_old_one_stops_working(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    old = laptop.cookie("portal_session")
    assert location(laptop.get(login_link(site, laptop, ada))) == f"{site.base}/"
    new = laptop.cookie("portal_session")
    assert new and old and new != old
    assert laptop.has_access()
    thief = site.device()
    thief.set_cookie("portal_session", old)
    assert not thief.has_access()


def test_SES6_a_session_on_one_device_gives_nothing_to_another(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop)
    phone = site.device()
    assert laptop.has_access()
    assert location(phone.home()) == f"{site.base}/login"
    phone.set_cookie("portal_device", "x" * 43)  # another device cookie is no session either
    assert not phone.has_access()


def test_SES6_sessions_do_not_cross_sites(simulator_sites: Callable[[], Site]) -> None:
    ours, theirs = simulator_sites(), simulator_sites()
    laptop = ours.device()
    accepted(ours, laptop)
    session = laptop.cookie("portal_session")
    visitor = theirs.device()
    visitor.set_cookie("portal_session", session)
    assert not visitor.has_access()


# -- device change (DEV) --------------------------------------------------------------------


def test_DEV1_second_device_is_refused_then_verified_by_a_login_link_and_both_have_access(simulator_site: Site) -> None:
    site = simulator_site
    laptop, phone = site.device(), site.device()
    ada = accepted(site, laptop)
    url = site.management_url(ada)
    assert location(phone.get(url)) == f"{site.base}/verify-device"
    page = phone.get("/verify-device")
    phone.post("/verify-device", {}, csrf=site.csrf_of(page))
    assert location(phone.get(site.link(ada["email"], "login_link"))) == f"{site.base}/"
    assert phone.has_access() and laptop.has_access()
    for device in (laptop, phone):
        device.drop_cookie("portal_session")
        assert location(device.get(url)) == f"{site.base}/"


# -- revocation (REV) -----------------------------------------------------------------------


def test_REV1_revoking_ends_sessions_and_makes_links_and_devices_useless(simulator_site: Site) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop)
    url = site.management_url(ada)
    pending = login_link(site, site.device(), ada)
    site.revoke(ada)
    assert location(laptop.home()) == f"{site.base}/login?ended=1"
    assert location(laptop.get(url)) == f"{site.base}/link-invalid"
    assert location(laptop.get(pending)) == f"{site.base}/link-invalid"
    assert not laptop.has_access()
    site.invite(ada)  # REV-3: access again, but the device must be verified anew
    assert location(laptop.get(site.management_url(ada))) == f"{site.base}/verify-device"


def test_REV3_inviting_again_issues_new_links_and_the_old_ones_stay_invalid(simulator_site: Site) -> None:
    site = simulator_site
    ada, old_invitation = invited(site)
    old_url = site.management_url(ada)
    site.revoke(ada)
    site.invite(ada)
    new_invitation = site.link(ada["email"], "invitation", nth=2)
    new_url = site.management_url(ada)
    assert new_invitation != old_invitation and new_url != old_url
    laptop = site.device()
    assert location(laptop.get(old_invitation)) == f"{site.base}/link-invalid"
    assert location(laptop.get(new_invitation)) == f"{site.base}/"
    laptop.drop_cookie("portal_session")
    assert location(laptop.get(old_url)) == f"{site.base}/link-invalid"
    assert location(laptop.get(new_url)) == f"{site.base}/"


# -- security of the implementation (SEC) ---------------------------------------------------


def test_SEC2_two_concurrent_uses_of_a_login_link_exactly_one_succeeds(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    devices = [site.device() for _ in range(2)]
    link = login_link(site, devices[0], ada)
    start = threading.Barrier(len(devices))
    answers: list[str] = []

    def open_link(device: Device) -> None:
        start.wait()
        answers.append(location(device.get(link)))

    threads = [threading.Thread(target=open_link, args=(device,)) for device in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [f"{site.base}/", f"{site.base}/link-invalid"]
    assert [device.has_access() for device in devices].count(True) == 1


@pytest.mark.parametrize("route", ["invitation", "link", "manage"])
def test_SEC3_token_pages_send_no_referrer_and_redirect_without_the_token(simulator_site: Site, route: str) -> None:
    site = simulator_site
    laptop = site.device()
    ada, invitation = invited(site)
    url = {"invitation": invitation, "manage": site.management_url(ada)}.get(route) or login_link(site, laptop, ada)
    answer = laptop.get(url)
    secret = url.rsplit("/", 1)[1]
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert secret not in location(answer)
    landing = laptop.get(location(answer))
    assert landing.headers["referrer-policy"] == "no-referrer"


CSRF_ATTACKS = {
    "no-token": {"csrf": None},
    "wrong-token": {"csrf": "A" * 43},
    "empty-token": {"csrf": ""},
    "foreign-origin": {"headers": {"Origin": "https://evil.example"}},
    "cross-site-fetch": {"headers": {"Sec-Fetch-Site": "cross-site"}},
    "null-origin-without-token": {"csrf": None, "headers": {"Origin": "null"}},
}


@pytest.mark.parametrize("attack", CSRF_ATTACKS.values(), ids=CSRF_ATTACKS.keys())
def test_SEC4_login_link_form_refuses_cross_site_posts_and_sends_nothing(simulator_site: Site, attack: dict[str, Any]) -> None:
    site = simulator_site
    ada, _ = invited(site)
    device = site.device()
    sent = len(site.queued())
    answer = device.post("/login-link", {"email": ada["email"]}, csrf=attack.get("csrf", "auto"), headers=attack.get("headers"))
    assert answer.status_code == 403 and "Request refused" in answer.text
    assert len(site.queued()) == sent


@pytest.mark.parametrize("attack", CSRF_ATTACKS.values(), ids=CSRF_ATTACKS.keys())
def test_SEC4_sign_out_refuses_cross_site_posts(simulator_site: Site, attack: dict[str, Any]) -> None:
    site = simulator_site
    laptop = site.device()
    accepted(site, laptop)
    answer = laptop.post("/sign-out", {}, csrf=attack.get("csrf", "auto"), headers=attack.get("headers"))
    assert answer.status_code == 403
    assert laptop.has_access()


@pytest.mark.parametrize("attack", CSRF_ATTACKS.values(), ids=CSRF_ATTACKS.keys())
def test_SEC4_password_forms_refuse_cross_site_posts(simulator_site: Site, attack: dict[str, Any]) -> None:
    site = simulator_site
    laptop = site.device()
    ada = accepted(site, laptop, password_login_enabled=True)
    chosen = laptop.post("/password", {"password": PASSWORD}, csrf=attack.get("csrf", "auto"), headers=attack.get("headers"))
    assert chosen.status_code == 403
    phone = site.device()
    assert phone.password_sign_in(ada["email"], PASSWORD).status_code == 401  # no password was set
    signed = phone.post(
        "/sign-in", {"email": ada["email"], "password": PASSWORD}, csrf=attack.get("csrf", "auto"), headers=attack.get("headers")
    )
    assert signed.status_code == 403 and not phone.has_access()


def test_SEC4_csrf_token_of_another_device_is_refused(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    other = site.device().csrf()
    device = site.device()
    device.csrf()
    assert device.post("/login-link", {"email": ada["email"]}, csrf=other).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://testserver"}, {"Origin": "null"}, {"Sec-Fetch-Site": "same-origin"}, {}],
    ids=["same-origin", "null-origin", "fetch-same-origin", "no-origin"],
)
def test_SEC4_post_with_the_token_from_our_own_pages_is_accepted(simulator_site: Site, headers: dict[str, str]) -> None:
    # Under Referrer-Policy: no-referrer browsers send "Origin: null" from our own pages too.
    answer = simulator_site.device().post("/login-link", {"email": "a@example.com"}, headers=headers)
    assert answer.status_code == 200


BAD_TOKENS = {
    "garbage": "not-a-token",
    "truncated": "A" * 42,
    "overlong": "A" * 44,
    "very-long": "A" * 5000,
    "unicode": "%C3%A9" * 43,
    "nul": "%00" * 43,
}


@pytest.mark.parametrize("route", ["invitation", "link"])
@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_SEC5_bad_link_tokens_get_the_invalid_link_page(simulator_site: Site, route: str, token: str) -> None:
    site = simulator_site
    device = site.device()
    answer = device.get(f"{site.base}/{route}/{token}")
    assert answer.status_code < 500
    final = device.follow(f"{site.base}/{route}/{token}")
    assert final.status_code == 404 and "This link can no longer be used" in final.text
    assert not device.has_access()


def test_SEC5_path_traversal_in_a_token_is_404(simulator_site: Site) -> None:
    answer = simulator_site.device().get(f"{simulator_site.base}/link/..%2F..%2Fcontrol%2Fcapabilities")
    assert answer.status_code == 404 and "Page not found" in answer.text


def test_SEC5_truncated_real_login_link_is_invalid(simulator_site: Site) -> None:
    site = simulator_site
    ada, _ = invited(site)
    device = site.device()
    link = login_link(site, device, ada)
    assert location(device.get(link[:-1])) == f"{site.base}/link-invalid"
    assert location(device.get(link)) == f"{site.base}/"  # the truncated try did not use it up


BAD_FORM_ADDRESSES = {
    "empty": "",
    "no-at": "ada.example.com",
    "cr-lf": "ada@example.com\r\nBcc: eve@example.com",
    "lf": "ada@example.com\n",
    "nul": "ada\x00@example.com",
    "oversize": "a" * 300 + "@example.com",
    "huge": "a" * 1000,
    "comma": "ada,eve@example.com",
    "non-ascii": "adä@example.com",
}


@pytest.mark.parametrize("address", BAD_FORM_ADDRESSES.values(), ids=BAD_FORM_ADDRESSES.keys())
def test_SEC5_bad_address_in_the_login_link_form_is_422_and_sends_nothing(simulator_site: Site, address: str) -> None:
    site = simulator_site
    answer = site.device().ask_login_link(address)
    assert answer.status_code == 422 and 'role="alert"' in answer.text
    assert "email" in answer.text.lower()
    assert site.queued() == []


@pytest.mark.parametrize("address", BAD_FORM_ADDRESSES.values(), ids=BAD_FORM_ADDRESSES.keys())
def test_SEC5_bad_address_in_the_password_form_is_422(simulator_site: Site, address: str) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    answer = simulator_site.device().password_sign_in(address, PASSWORD)
    assert answer.status_code == 422 and 'role="alert"' in answer.text


def test_SEC5_oversize_password_is_422(simulator_site: Site) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    answer = simulator_site.device().password_sign_in("ada@example.com", "x" * 300)
    assert answer.status_code == 422 and "at most 256 characters" in answer.text


def test_SEC5_oversize_form_body_is_413(simulator_site: Site) -> None:
    answer = simulator_site.device().post("/login-link", {"email": "a@example.com", "pad": "x" * 70_000})
    assert answer.status_code == 413 and "too large" in answer.text
    assert answer.headers["content-type"].startswith("text/html") and answer.headers["x-frame-options"] == "DENY"


def test_SEC5_too_many_form_fields_is_400(simulator_site: Site) -> None:
    fields = {f"f{i}": "x" for i in range(12)}
    answer = simulator_site.device().post("/login-link", fields)
    assert answer.status_code == 400 and "Too many fields" in answer.text


def test_SEC5_file_upload_is_400(simulator_site: Site) -> None:
    device = simulator_site.device()
    csrf = device.csrf()
    answer = device.client.post(
        f"{simulator_site.base}/login-link", data={"csrf": csrf, "email": "a@example.com"}, files={"f": ("a.txt", b"x")}
    )
    assert answer.status_code == 400


def test_SEC5_oversize_multipart_field_is_400(simulator_site: Site) -> None:
    device = simulator_site.device()
    csrf = device.csrf()
    answer = device.client.post(
        f"{simulator_site.base}/login-link",
        files={"csrf": (None, csrf), "email": (None, "a" * 2000 + "@example.com")},
    )
    assert answer.status_code == 400 and "exceeded maximum size" in answer.text


def test_SEC5_multipart_without_boundary_is_400(simulator_site: Site) -> None:
    device = simulator_site.device()
    device.csrf()
    answer = device.client.post(
        f"{simulator_site.base}/login-link", content=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    assert answer.status_code == 400


BAD_VERIFY_COOKIES = {
    "garbage": b"garbage",
    "empty": b"",
    "bad-reason": b"1:root:123.abc",
    "huge-id": b"99999999999999999999999:verify_device:1.x",
    "unicode-digit-id": b"\xc2\xb2:verify_device:1.x",
    "latin1-digit-ticket": b"1:verify_device:\xb2.x",
    "huge-ticket-time": b"1:verify_device:" + b"9" * 5000 + b".x",
    "forged-ticket": b"1:verify_device:1767225600.AAAA",
}


@pytest.mark.parametrize("cookie", BAD_VERIFY_COOKIES.values(), ids=BAD_VERIFY_COOKIES.keys())
def test_SEC5_forged_verify_cookie_gets_4xx_or_the_sign_in_page_and_sends_nothing(simulator_site: Site, cookie: bytes) -> None:
    site = simulator_site
    accepted(site, site.device())
    device = site.device()
    csrf = device.csrf()
    header = b"portal_csrf=" + csrf.encode() + b"; portal_verify=" + cookie
    shown = device.client.get(f"{site.base}/verify-device", headers={"Cookie": header})
    assert shown.status_code < 500
    sent_before = len(site.queued())
    posted = device.client.post(f"{site.base}/verify-device", data={"csrf": csrf}, headers={"Cookie": header})
    assert posted.status_code in (303, 422), posted.status_code
    if posted.status_code == 422:
        assert "Open your management link again" in posted.text
    assert len(site.queued()) == sent_before


def test_SEC5_expired_verify_page_asks_to_open_the_management_link_again(simulator_site: Site) -> None:
    site = simulator_site
    ada = accepted(site, site.device())
    phone = site.device()
    phone.get(site.management_url(ada))
    page = phone.get("/verify-device")
    site.advance(3600)
    answer = phone.post("/verify-device", {}, csrf=site.csrf_of(page))
    assert answer.status_code == 422 and "Open your management link again" in answer.text


def test_unknown_site_pages_are_404(simulator_site: Site) -> None:
    device = simulator_site.device()
    for path in ("/s/nosuchsite/", "/s/nosuchsite/login", "/s/nosuchsite/link/" + "A" * 43):
        answer = device.get(path)
        assert answer.status_code == 404 and "No such billing portal" in answer.text


def test_unknown_page_is_404_html(simulator_site: Site) -> None:
    answer = simulator_site.device().get(f"{simulator_site.base}/no-such-page")
    assert answer.status_code == 404 and "Page not found" in answer.text


def test_site_root_redirects_to_its_home(simulator_site: Site) -> None:
    answer = simulator_site.device().get(simulator_site.base)
    assert location(answer) == f"{simulator_site.base}/"


def test_every_page_carries_the_security_headers(simulator_site: Site) -> None:
    answer = simulator_site.device().get("/login")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


# -- error pages and odd input (issue 13) ---------------------------------------------------


def test_a_missing_page_of_a_site_links_back_to_its_sign_in(simulator_site: Site) -> None:
    device = simulator_site.device()
    answer = device.get(f"{simulator_site.base}/no-such-page")
    assert answer.status_code == 404
    found = re.search(r'<a href="([^"]+)">Go to the sign-in page</a>', answer.text)
    assert found, answer.text
    assert device.get(found.group(1)).status_code == 200  # the way back works


def test_an_unknown_site_has_no_sign_in_to_link_to(simulator_site: Site) -> None:
    answer = simulator_site.device().get("/s/nosuchsite/no-such-page")
    assert answer.status_code == 404 and "sign-in" not in answer.text


def test_a_wrong_method_on_a_page_is_405_naming_the_allowed_ones(simulator_site: Site) -> None:
    answer = simulator_site.device().client.put(f"{simulator_site.base}/verify-device")
    assert answer.status_code == 405 and answer.headers["content-type"].startswith("text/html")
    assert {method.strip() for method in answer.headers["allow"].split(",")} >= {"GET", "POST"}
    assert answer.headers["x-frame-options"] == "DENY"
    assert "/login" in answer.text  # a way back


def test_a_form_field_decoding_to_a_lone_surrogate_is_refused_and_sends_nothing(simulator_site: Site) -> None:
    """A multipart form may name its charset; `unicode_escape` turns \\ud800 into a surrogate."""
    ada, _ = invited(simulator_site)
    device = simulator_site.device()
    csrf = device.csrf()
    queued = len(simulator_site.queued(ada["email"]))
    body = (
        '--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + csrf + "\r\n"
        '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\n' + ada["email"] + "\\ud800\r\n--b--\r\n"
    )
    answer = device.client.post(
        f"{simulator_site.base}/login-link",
        content=body.encode(),
        headers={"Content-Type": "multipart/form-data; boundary=b; charset=unicode_escape"},
    )
    assert answer.status_code == 422 and "not valid Unicode" in answer.text
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert len(simulator_site.queued(ada["email"])) == queued


def test_an_unexpected_exception_on_a_page_answers_an_html_page_with_the_security_headers(
    simulator_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from simulator.app import create_app

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    with TestClient(create_app(simulator_settings), raise_server_exceptions=False) as client:
        site = client.post("/control/sites", headers={"Authorization": "Bearer simulator-test-token"}).json()
        monkeypatch.setattr(client.app_state["portal"], "signed_in", broken)
        answer = client.get(f"/s/{site['id']}/")
    assert answer.status_code == 500 and answer.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in answer.text and "a bug" not in answer.text
    assert f'href="/s/{site["id"]}/login"' in answer.text
    assert answer.headers["referrer-policy"] == "no-referrer" and answer.headers["cache-control"] == "no-store"
