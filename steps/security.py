"""Steps about the security of the implementation (SEC-1..5, SES-5), seen from outside."""

from __future__ import annotations

import pytest
from pytest_bdd import given, then, when

from .pages import expect_state
from .phrases import phrase
from .screenplay.cast import Cast
from .screenplay.devices import PageState
from .screenplay.questions import (
    TheAccountShown,
    TheActionLinkToken,
    TheAddressBar,
    TheAnswersCarrying,
    TheLinkTokens,
    TheManagementUrlNaming,
    TheReferrerPolicies,
    TheSessionCookieHeaders,
    TheSessionCookies,
    entropy_bits,
)
from .screenplay.tasks import (
    AskForALoginLinkFromAnotherSite,
    CopyTheCookies,
    OpenATamperedManagementUrl,
    OpenTheManagementUrl,
    VisitThePortal,
    OpenATamperedLink,
    OpenTheLinkDamaged,
    OpenTheLinkOnTwoDevicesAtOnce,
    PutBackTheSignedOutSession,
    SendTheLoginLinkFormWith,
)


@then(phrase(r"every link token in {WHOSE} emails carries at least (?P<bits>\d+) bits"))
def _(cast: Cast, bits: str) -> None:
    """Every invitation, login link and management URL token in her emails is long and random enough."""
    tokens = cast["she"].asks(TheLinkTokens())
    assert tokens, "her emails hold no portal links to judge"
    assert all(entropy_bits(token) >= int(bits) for token in tokens), (
        f"link tokens shorter than {bits} bits: {[(token, round(entropy_bits(token))) for token in tokens if entropy_bits(token) < int(bits)]}"
    )


@then(phrase(r"no two link tokens in {WHOSE} emails are alike"))
def _(cast: Cast) -> None:
    """No invitation or login-link token repeats across her emails."""
    # Only invitation and login links: the management URL is rightly repeated until renewed (MU-6).
    tokens = cast["she"].asks(TheLinkTokens(actions_only=True))
    repeated = sorted({token for token in tokens if tokens.count(token) > 1})
    assert not repeated, f"link tokens repeat across emails: {repeated}"


# The links of her emails, as steps name them, and the kind of email each comes in.
LINKS = {"login link": "login_link", "invitation link": "invitation"}


@when(phrase(r"{WHO} opens {WHOSE} (?P<link>login link|invitation link) on {WHOSE} laptop and {WHOSE} phone at the same moment"))
def _(cast: Cast, who: str, link: str) -> None:
    """Both devices start opening her latest login link (or invitation) before either has loaded it."""
    cast[who].attempts_to(OpenTheLinkOnTwoDevicesAtOnce(LINKS[link], ("laptop", "phone")))


@then(phrase(r"exactly one of {WHOSE} laptop and {WHOSE} phone shows {WHOSE} account"))
def _(cast: Cast) -> None:
    """Of the two devices that opened the link at once, exactly one shows an account."""
    shown = {device: bool(cast["she"].asks(TheAccountShown(device))) for device in ("laptop", "phone")}
    assert sum(shown.values()) == 1, f"a single-use link opened twice at once should let exactly one device in: {shown}"


@then(phrase(r"{WHOSE} {DEVICE}'s address bar holds no token from {WHOSE} (?P<link>invitation|login link)"))
def _(cast: Cast, device: str, link: str) -> None:
    """Once the page of the invitation (or login link) is drawn, the address bar no longer holds its token."""
    token = cast["she"].asks(TheActionLinkToken(LINKS.get(link, "invitation")))
    current = cast["she"].asks(TheAddressBar(device))  # once drawn: a single-page app takes the token out itself
    assert token not in current, f"after opening the link the address bar still holds its token: {current}"


@then(phrase(r"every page {WHOSE} {DEVICE} was shown on the way asked for no referrer"))
def _(cast: Cast, device: str) -> None:
    """Every page load on the way from the token's link sent Referrer-Policy: no-referrer."""
    policies = cast["she"].asks(TheReferrerPolicies(device))
    assert policies, "no page responses were recorded"
    assert all(policy == "no-referrer" for _, policy in policies), (
        f"pages reached through a token must send Referrer-Policy: no-referrer: {[(url, policy) for url, policy in policies if policy != 'no-referrer']}"
    )


@when(phrase(r"a page on another site makes {WHOSE} {DEVICE} ask for a login link for (?P<who>[A-Z][a-z]+)"))
def _(cast: Cast, device: str, who: str) -> None:
    """A page on another origin posts the portal's login-link form for her address from the device."""
    cast[who].attempts_to(AskForALoginLinkFromAnotherSite(on=device))


@when(phrase(r"{WHO} opens a tampered copy of {WHOSE} management URL on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She opens her management URL with one character of its token changed."""
    cast[who].attempts_to(OpenATamperedManagementUrl(on=device))


@when(phrase(r"{WHO} opens {WHOSE} management URL altered to name (?P<other>[A-Z][a-z]+) on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, other: str, device: str) -> None:
    """She opens her management URL with her customer id in it changed to the other customer's
    (not applicable to a portal whose management URL does not hold the customer id)."""
    altered = cast[who].asks(TheManagementUrlNaming(cast[other]))
    if altered is None:
        pytest.skip("not applicable: the target's management URL does not hold the customer id, so it cannot be altered to name another customer")
    cast[who].attempts_to(OpenTheManagementUrl(on=device, url=altered))


@given(phrase(r"{WHOSE} session was copied from {WHOSE} {DEVICE} to {WHOSE} {DEVICE}"))
def _(cast: Cast, device: str, device_2: str) -> None:
    """Every cookie of the first device is copied into the second, which then opens the portal
    and shows her account (not applicable to a portal whose sessions are not carried by cookies)."""
    customer = cast["she"]
    customer.attempts_to(CopyTheCookies(device, to=device_2), VisitThePortal(on=device_2))
    if customer.recall("customer")["email"].lower() not in customer.asks(TheAccountShown(device_2)).lower():
        pytest.skip(f"not applicable: the target's sessions are not carried by cookies: a copy of her {device}'s cookies does not show her account on her {device_2}")


@when(phrase(r"{WHO} opens {WHOSE} (?P<link>login link|invitation link) (?P<damage>cut short|with a garbled token|with an enormous token) on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, link: str, damage: str, device: str) -> None:
    """She opens her latest login link (or invitation) with its token damaged."""
    cast[who].attempts_to(OpenTheLinkDamaged(damage, on=device, kind=LINKS[link]))


@when(phrase(r"{WHO} opens {WHOSE} (?P<link>login link|invitation link|management URL) with its (?P<part>path segment|query value) (?P<nth>\d+) changed on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, link: str, part: str, nth: str, device: str) -> None:
    """She opens her latest link with one part changed: the nth path segment under her site's
    address, or the nth query value (counted from 1; a number plus one, else a middle character)."""
    cast[who].attempts_to(OpenATamperedLink(LINKS.get(link, "management"), part, int(nth), on=device))


@when(phrase(r"{WHO} visits the portal on {WHOSE} {DEVICE} with the session cookie (?:she|he|they) signed out of"))
def _(cast: Cast, who: str, device: str) -> None:
    """The session cookies her device held when she signed out there are put back, and she opens the portal."""
    cast[who].attempts_to(PutBackTheSignedOutSession(on=device))


@then(phrase(r"the portal answered with a client error"))
def _(cast: Cast) -> None:
    """The portal refused the malformed input with a 4xx, and with no 5xx on the way.

    Judged by the answers to the requests that carried the input: a page load, or the fetch a
    single-page app makes with it (whose page itself may rightly be a 200). The last of them is
    the portal's verdict on it."""
    answers = cast["she"].asks(TheAnswersCarrying(cast["she"].recall("malformed input")))
    assert answers, f"no request carried the malformed input to the portal ({cast['she'].recall('malformed input')[:60]!r}...)"
    assert all(answer.status < 500 for answer in answers) and 400 <= answers[-1].status < 500, (
        "malformed input should get a 4xx answer (never a 5xx, never a success), got " + ", ".join(map(str, answers))
    )


@when(phrase(r"someone sends the login-link form with (?P<bad>.+) on {WHOSE} {DEVICE}"))
def _(cast: Cast, bad: str, device: str) -> None:
    """The login-link form is sent with input a browser would not let a person type."""
    cast["she"].attempts_to(SendTheLoginLinkFormWith(bad, on=device))


@then(phrase(r"the session cookies on {WHOSE} {DEVICE} are HttpOnly and SameSite=Lax"))
def _(cast: Cast, device: str) -> None:
    """The session cookies were set HttpOnly and SameSite=Lax (or Strict), by their Set-Cookie headers."""
    sent = cast["she"].asks(TheSessionCookieHeaders(on=device))  # as sent, not as the browser's jar reports them
    assert sent, "the portal set no session cookie"
    assert any(sent.values()) and not weak_headers(sent), (
        f"session cookies must be set HttpOnly and SameSite=Lax (or Strict): {weak_headers(sent)}" if any(sent.values())
        else f"no Set-Cookie header for the session cookies {sorted(sent)} was seen on the pages she was shown"
    )


def weak_headers(sent: dict[str, list[str]]) -> list[str]:
    """The Set-Cookie headers that lack HttpOnly or SameSite=Lax (or Strict)."""
    return [header for headers in sent.values() for header in headers if not is_httponly_and_samesite(set_cookie_attributes(header))]


def is_httponly_and_samesite(attributes: set[str]) -> bool:
    return "httponly" in attributes and bool(attributes & {"samesite=lax", "samesite=strict"})


def set_cookie_attributes(header: str) -> set[str]:
    """The attributes of a Set-Cookie header, lower-cased without spaces ("httponly", "samesite=lax")."""
    return {attribute.strip().lower().replace(" ", "") for attribute in header.split(";")[1:]}


@then(phrase(r"the session cookie on {WHOSE} {DEVICE} has changed"))
def _(cast: Cast, device: str) -> None:
    """A new sign-in gave the device a new session cookie, and it shows her account."""
    before, after = cast["she"].recall("session cookies before"), cast["she"].asks(TheSessionCookies(on=device))
    assert before and after and before - after, (
        f"no session cookie changed its value at the new sign-in: {sorted(before)}" if before and after
        else f"no session cookie to compare: before {sorted(before)}, after {sorted(after)}"
    )
    expect_state(cast, device, PageState.ACCOUNT, "after the new sign-in")
