"""Steps about the security of the implementation (SEC-1..5, SES-5), seen from outside."""

from __future__ import annotations

from urllib.parse import quote

from pytest_bdd import then, when

from .screenplay.cast import Cast

from .screenplay.abilities import BrowseOnDevices
from .screenplay.devices import PageState
from .phrases import phrase
from .screenplay.questions import TheAccountShown, TheLinkTokens, WhatTheDeviceShows, entropy_bits, link_token
from .screenplay.tasks import action_link, device_of, management_url, note_mail_cursor


@then(phrase(r"every link token in {WHOSE} emails carries at least (?P<bits>\d+) bits"))
def _(cast: Cast, bits: str) -> None:
    """Every invitation, login link and management URL token in her emails is long and random enough."""
    tokens = cast["she"].asks(TheLinkTokens())
    assert tokens, "her emails hold no portal links to judge"
    weak = [(token, round(entropy_bits(token))) for token in tokens if entropy_bits(token) < int(bits)]
    assert not weak, f"link tokens shorter than {bits} bits: {weak}"


@then(phrase(r"no two link tokens in {WHOSE} emails are alike"))
def _(cast: Cast) -> None:
    """No invitation or login-link token repeats across her emails."""
    # Only invitation and login links: the management URL is rightly repeated until renewed (MU-6).
    tokens = cast["she"].asks(TheLinkTokens(actions_only=True))
    repeated = sorted({token for token in tokens if tokens.count(token) > 1})
    assert not repeated, f"link tokens repeat across emails: {repeated}"


@when(phrase(r"{WHO} opens {WHOSE} login link on {WHOSE} laptop and {WHOSE} phone at the same moment"))
def _(cast: Cast, who: str) -> None:
    """Both devices start opening her latest login link before either has loaded it."""
    customer = cast[who]
    url = action_link(customer, "login_link")
    laptop, phone = device_of(customer, "laptop"), device_of(customer, "phone")
    for device in (laptop, phone):
        device.navigating()
    # Start both navigations before waiting for either, so the two requests race at the portal;
    # then wait for both to land, so neither device is judged by the page it showed before.
    with laptop.page.expect_navigation(wait_until="domcontentloaded"), phone.page.expect_navigation(wait_until="domcontentloaded"):
        for device in (laptop, phone):
            device.page.evaluate("url => { window.location.href = url }", url)


@then(phrase(r"exactly one of {WHOSE} laptop and {WHOSE} phone shows {WHOSE} account"))
def _(cast: Cast) -> None:
    """Of the two devices that opened the link at once, exactly one shows an account."""
    customer = cast["she"]
    shown = {device: bool(customer.asks(TheAccountShown(device))) for device in ("laptop", "phone")}
    assert sum(shown.values()) == 1, f"a single-use link opened twice at once should let exactly one device in: {shown}"


@then(phrase(r"{WHOSE} {DEVICE}'s address bar holds no token from {WHOSE} invitation"))
def _(cast: Cast, device: str) -> None:
    """Once the invitation's page is drawn, the address bar no longer holds its token."""
    customer = cast["she"]
    profile = customer.ability_to(BrowseOnDevices).profile
    token = link_token(action_link(customer, "invitation"), profile.emails["invitation"].action_link)
    shown = device_of(customer, device)
    # Read once the page is drawn: a single-page app takes the token out of the address bar itself.
    shown.state()
    current = shown.page.url
    assert token not in current, f"after opening the link the address bar still holds its token: {current}"


@then(phrase(r"every page {WHOSE} {DEVICE} was shown on the way asked for no referrer"))
def _(cast: Cast, device: str) -> None:
    """Every page load on the way from the token's link sent Referrer-Policy: no-referrer."""
    responses = device_of(cast["she"], device).responses
    assert responses, "no page responses were recorded"
    leaky = [(r.url, r.headers.get("referrer-policy")) for r in responses if r.headers.get("referrer-policy") != "no-referrer"]
    assert not leaky, f"pages reached through a token must send Referrer-Policy: no-referrer: {leaky}"


@when(phrase(r"a page on another site makes {WHOSE} {DEVICE} ask for a login link for (?P<who>[A-Z][a-z]+)"))
def _(cast: Cast, device: str, who: str) -> None:
    """A page on another origin posts the portal's login-link form for her address from the device."""
    customer = cast[who]
    note_mail_cursor(customer, "login_link")
    browsing = customer.ability_to(BrowseOnDevices)
    target = device_of(customer, device)
    # Learn where the portal's own login-link form posts to, as an attacker would.
    target.open(browsing.page_url("sign_in"))
    form = target.selector("login_link_form").first
    action = form.evaluate("form => form.action")
    field = target.selector("login_link_form").locator(target.profile.selectors["login_link_email"]).first.get_attribute("name")
    attacker = _attacker_page(action, field or "email", customer.recall("customer")["email"])
    target.navigating()
    with target.page.expect_navigation(url=lambda url: url.startswith(browsing.portal_url), wait_until="domcontentloaded"):
        target.page.goto(attacker)


def _attacker_page(action: str, field: str, address: str) -> str:
    """A page from another origin (a data: URL) that posts the portal's form on load."""
    html = (
        f'<form id="f" method="post" action="{action}"><input name="{field}" value="{address}"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )
    return "data:text/html," + quote(html)


# What each damage makes of a link's token.
DAMAGE = {
    "cut short": lambda token: token[: len(token) // 2],
    "with a garbled token": lambda token: "".join(reversed(token))[:-2] + "%%",
    "with an enormous token": lambda token: token * 200,
}


@when(phrase(r"{WHO} opens a tampered copy of {WHOSE} management URL on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She opens her management URL with one character of its token changed."""
    customer = cast[who]
    url = management_url(customer)
    secret = link_token(url, customer.ability_to(BrowseOnDevices).profile.management_url)
    # A middle character: the last one of a base64 signature may differ only in padding bits.
    middle = len(secret) // 2
    flipped = secret[:middle] + ("A" if secret[middle] != "A" else "B") + secret[middle + 1:]
    device_of(customer, device).open(url.replace(secret, flipped, 1))


@when(phrase(r"{WHO} opens {WHOSE} login link (?P<damage>cut short|with a garbled token|with an enormous token) on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, damage: str, device: str) -> None:
    """She opens her latest login link with its token damaged."""
    customer = cast[who]
    url = action_link(customer, "login_link")
    token = link_token(url, customer.ability_to(BrowseOnDevices).profile.emails["login_link"].action_link)
    damaged = DAMAGE[damage](token)
    customer.remember("malformed input", damaged)
    device_of(customer, device).open(url.replace(token, damaged, 1))


@then(phrase(r"the portal answered with a client error"))
def _(cast: Cast) -> None:
    """The portal refused the malformed input with a 4xx, and with no 5xx on the way.

    Judged by the answers to the requests that carried the input: a page load, or the fetch a
    single-page app makes with it (whose page itself may rightly be a 200). The last of them is
    the portal's verdict on it."""
    customer = cast["she"]
    sent = customer.recall("malformed input")
    devices = customer.ability_to(BrowseOnDevices).devices.values()
    for device in devices:
        device.settle()
    answers = [response for device in devices for response in device.answers_carrying(sent)]
    assert answers, f"no request carried the malformed input to the portal ({sent[:60]!r}...)"
    statuses = [response.status for response in answers]
    assert all(status < 500 for status in statuses) and 400 <= statuses[-1] < 500, (
        "malformed input should get a 4xx answer (never a 5xx, never a success), got "
        + ", ".join(f"{response.status} from {response.request.method} {response.url[:120]}" for response in answers)
    )


BAD_INPUT = {
    "her address without its at sign": lambda address: address.replace("@", " at ", 1),
    "her address followed by a line break and Bcc": lambda address: address + "\r\nBcc: someone@example.net",
    "her address padded to 5000 characters": lambda address: "x" * (5000 - len(address)) + address,
}


@when(phrase(r"someone sends the login-link form with (?P<bad>.+) on {WHOSE} {DEVICE}"))
def _(cast: Cast, bad: str, device: str) -> None:
    """The login-link form is sent with input a browser would not let a person type."""
    customer = cast["she"]
    note_mail_cursor(customer, "login_link")
    browsing = customer.ability_to(BrowseOnDevices)
    target = device_of(customer, device)
    target.open(browsing.page_url("sign_in"))
    value = BAD_INPUT[bad](customer.recall("customer")["email"])
    customer.remember("malformed input", value)
    form = target.selector("login_link_form").first
    field = target.selector("login_link_form").locator(target.profile.selectors["login_link_email"]).first
    # Past the browser's own checks, as a crafted request would: an input's value loses its line
    # breaks and is held to type=email and maxlength, so a textarea of the same name stands in.
    field.evaluate(
        """(input, value) => {
            const stand_in = document.createElement("textarea");
            stand_in.name = input.name;
            stand_in.value = value;
            input.replaceWith(stand_in);
        }""",
        value,
    )
    target.act("sending the login-link form", lambda: form.evaluate("form => { form.noValidate = true; form.requestSubmit() }"))


def session_cookies(cast: Cast, device: str, cookies: list[dict] | None = None) -> list[dict]:
    """The session cookies: the one the profile names, or every cookie the portal set."""
    customer = cast["she"]
    jar = device_of(customer, device).context.cookies() if cookies is None else cookies
    name = customer.ability_to(BrowseOnDevices).profile.session_cookie
    return [cookie for cookie in jar if not name or cookie["name"] == name]


@then(phrase(r"the session cookies on {WHOSE} {DEVICE} are HttpOnly and SameSite=Lax"))
def _(cast: Cast, device: str) -> None:
    """The session cookies were set HttpOnly and SameSite=Lax (or Strict), by their Set-Cookie headers."""
    names = {cookie["name"] for cookie in session_cookies(cast, device)}
    assert names, "the portal set no session cookie"
    # Judged by the Set-Cookie headers as sent: the browser's jar reports a cookie set with no
    # SameSite attribute as Lax, which is the browser's default, not the portal's doing.
    sent = [header for header in device_of(cast["she"], device).set_cookie_headers() if set_cookie_name(header) in names]
    assert sent, f"no Set-Cookie header for the session cookies {sorted(names)} was seen on the pages she was shown"
    weak = [header for header in sent if not is_httponly_and_samesite(set_cookie_attributes(header))]
    assert not weak, f"session cookies must be set HttpOnly and SameSite=Lax (or Strict): {weak}"


def set_cookie_name(header: str) -> str:
    return header.split("=", 1)[0].strip()


def is_httponly_and_samesite(attributes: set[str]) -> bool:
    return "httponly" in attributes and bool(attributes & {"samesite=lax", "samesite=strict"})


def set_cookie_attributes(header: str) -> set[str]:
    """The attributes of a Set-Cookie header, lower-cased without spaces ("httponly", "samesite=lax")."""
    return {attribute.strip().lower().replace(" ", "") for attribute in header.split(";")[1:]}


@then(phrase(r"the session cookie on {WHOSE} {DEVICE} has changed"))
def _(cast: Cast, device: str) -> None:
    """A new sign-in gave the device a new session cookie, and it shows her account."""
    customer = cast["she"]
    before = {(c["name"], c["value"]) for c in session_cookies(cast, device, customer.recall("cookies before"))}
    after = {(c["name"], c["value"]) for c in session_cookies(cast, device)}
    assert before and after, f"no session cookie to compare: before {sorted(before)}, after {sorted(after)}"
    assert before - after, f"no session cookie changed its value at the new sign-in: {sorted(before)}"
    shown = customer.asks(WhatTheDeviceShows(device))
    assert shown is PageState.ACCOUNT, f"after the new sign-in her {device} should show her account, not {shown.value}"
