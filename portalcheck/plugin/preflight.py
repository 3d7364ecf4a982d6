"""Proof that the set-up works, before any scenario: a profile that does not fit the portal
stops the run in seconds with one line naming the key, instead of every scenario timing out.

Before collection the controller checks what needs no browser: a Chromium named by hand, and a
vendor's control API. Then each worker, once, walks a probe customer through the three channels
of the contract: invited through the control API, the invitation awaited in the sink, its link
opened in the browser and the account seen, and the sign-in page's selectors found.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from fake_mail import MailTimeout

from ..control import ControlClient, ControlError, SiteControl, TargetUnreachable
from ..profile import Profile
from .fixtures import find_chromium
from .options import is_worker, load_profile


class PreflightFailed(RuntimeError):
    """The set-up does not work; the message names the profile key to look at."""


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if is_worker(config):
        return
    if (config.getoption("chromium") or os.environ.get("PORTALCHECK_CHROMIUM")) and not config.getoption("browser_ws"):
        find_chromium(config)
    if config.getoption("profile"):
        profile = load_profile(config)
        if not profile.is_reference:
            check_control_api(profile)


def check_control_api(profile: Profile) -> None:
    """One line that names the key, for each way a target can be out of reach."""
    token = os.environ.get(profile.control_token_env)
    if not token:
        raise pytest.UsageError(f"profile {profile.path}: 'target.control_token_env': set {profile.control_token_env} to the control token")
    client = ControlClient(profile.control_url, token, timeout=5.0)
    try:
        capabilities = client.capabilities()
    except TargetUnreachable as error:
        raise pytest.UsageError(f"profile {profile.path}: 'target.control_url' {profile.control_url} is unreachable: {error.__cause__}") from None
    except ControlError as error:
        raise pytest.UsageError(
            f"profile {profile.path}: 'target.control_url' answered {error.call.status} to GET /control/capabilities"
            + (f" (is {profile.control_token_env} right?)" if error.call.status == 401 else "")
        ) from None
    finally:
        client.close()
    if not isinstance(capabilities, dict) or capabilities.get("contract") != "1":
        raise pytest.UsageError(f"profile {profile.path}: the target does not speak contract v1: {capabilities!r}")


@pytest.fixture(scope="session")
def proven_target(target: tuple[str, str], profile: Profile, mail_sink: Any, browser: Browser,
                  control_http: httpx.Client) -> None:
    """Once per worker; a failure is cached by pytest, so every scenario after it errors at once."""
    client = ControlClient(*target, http=control_http)
    try:
        site = SiteControl.create(client)
    except (ControlError, TargetUnreachable) as error:
        raise PreflightFailed(f"preflight: the control API could not create a test site: {error}") from None
    try:
        probe(profile, site, mail_sink, browser)
    finally:
        site.delete()


def probe(profile: Profile, site: SiteControl, sink: Any, browser: Browser) -> None:
    address = f"preflight.{secrets.token_hex(4)}@example.com"
    customer = site.add_customer(address, "Preflight", "Probe")
    mailbox = sink.mailbox(address)
    seen = mailbox.cursor()
    site.call("POST", f"/customers/{customer['id']}/invitations", expect=(202,))
    invitation = _invitation(profile, mailbox, seen)
    pattern = profile.emails["invitation"].action_link
    assert pattern is not None  # the profile requires it
    try:
        link = invitation.link(pattern.pattern).url
    except LookupError:
        raise PreflightFailed(
            f"preflight: 'emails.invitation.action_link' {pattern.pattern!r} matches no link in the invitation"
            f" (its links: {[found.url for found in invitation.links][:5]})"
        ) from None
    for url, markers in ((link, ("signed_in", "choose_password")),
                         (site.portal_url + profile.pages["sign_in"], ("signed_out",))):
        context = browser.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(profile.page_timeout_s * 1000)
            page.goto(url, wait_until="domcontentloaded")
            _expect_marker(profile, page, markers)
            if "signed_in" in markers and page.locator(profile.selectors["signed_in"]).first.is_visible():
                _expect(profile, page, "signed_in_customer")
            if markers == ("signed_out",):
                for name in ("login_link_form", "login_link_email", "login_link_submit"):
                    _expect(profile, page, name)
        finally:
            context.close()


def _invitation(profile: Profile, mailbox: Any, seen: int) -> Any:
    subject = profile.emails["invitation"].subject.pattern
    try:
        return mailbox.wait_for(subject=subject, after=seen, timeout=profile.mail_timeout_s)
    except MailTimeout:
        arrived = mailbox.messages()
    if arrived:
        raise PreflightFailed(
            f"preflight: an invitation reached the sink, but 'emails.invitation.subject' {subject!r} matches"
            f" none of the subjects: {[message.subject for message in arrived][:3]}"
        ) from None
    raise PreflightFailed(
        f"preflight: no invitation reached the sink within {profile.mail_timeout_s:g} s: does the portal send"
        f" to [sink] {profile.sink_host}:{profile.sink_port} ('sink.host', 'sink.port')? ('emails.invitation.subject'"
        f" is {subject!r})"
    ) from None


def _expect_marker(profile: Profile, page: Page, names: tuple[str, ...]) -> None:
    combined = page.locator(profile.selectors[names[0]])
    for name in names[1:]:
        combined = combined.or_(page.locator(profile.selectors[name]))
    try:
        combined.first.wait_for(state="visible")
    except PlaywrightError:
        keys = " or ".join(f"'selectors.{name}' {profile.selectors[name]!r}" for name in names)
        raise PreflightFailed(f"preflight: {keys} not seen at {page.url} (title {_title(page)!r})") from None


def _expect(profile: Profile, page: Page, name: str) -> None:
    try:
        page.locator(profile.selectors[name]).first.wait_for(state="visible")
    except PlaywrightError:
        raise PreflightFailed(
            f"preflight: 'selectors.{name}' {profile.selectors[name]!r} not found at {page.url} (title {_title(page)!r})"
        ) from None


def _title(page: Page) -> str:
    try:
        return page.title()
    except PlaywrightError:
        return "?"
