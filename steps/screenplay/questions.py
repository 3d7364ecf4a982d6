"""Questions: what an actor can find out, answered through the contract only."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.sync_api import Error as PlaywrightError

from fake_mail import MailTimeout, Message

from .abilities import BrowseOnDevices, ReadMailbox, device_of, site_of
from .actors import Actor
from .devices import PageState


@dataclasses.dataclass(frozen=True)
class WhatTheDeviceShows:
    """The page state of a device, judged live.

    A page in a browser is a snapshot: when the device shows the account on a page drawn before
    the last change through the control API (time passing, a revocation, a policy change), the
    page is loaded again first, so the answer says whether the session holds now.
    """

    on: str

    def answered_by(self, actor: Actor) -> PageState:
        device = actor.ability_to(BrowseOnDevices).device(self.on)
        state = device.state()
        if state is PageState.ACCOUNT and device.stale:
            # The home page, not this page's address again: a reload could post a form again, and
            # a portal that leaves a token in the address bar (SEC-3) would have it used twice.
            browsing = actor.ability_to(BrowseOnDevices)
            device.open(browsing.page_url("home"))
            state = device.state()
        return state


@dataclasses.dataclass(frozen=True)
class TheAccountShown:
    """The text of the account a device shows (empty when it shows none)."""

    on: str

    def answered_by(self, actor: Actor) -> str:
        device = actor.ability_to(BrowseOnDevices).device(self.on)
        if actor.asks(WhatTheDeviceShows(self.on)) is not PageState.ACCOUNT:
            return ""
        return device.selector("signed_in_customer").first.inner_text()


@dataclasses.dataclass(frozen=True)
class WhatTheDeviceShowsOnceDrawn:
    """What a device shows once its page is drawn, without waiting for a marker to show (for
    "does not": a page that shows none of them shows UNKNOWN at once)."""

    on: str

    def answered_by(self, actor: Actor) -> PageState:
        return device_of(actor, self.on).state_now()


@dataclasses.dataclass(frozen=True)
class WhatThePortalShows:
    """What a device shows when it opens the portal's home page anew."""

    on: str

    def answered_by(self, actor: Actor) -> PageState:
        browsing = actor.ability_to(BrowseOnDevices)
        browsing.device(self.on).open(browsing.page_url("home"))
        return actor.asks(WhatTheDeviceShows(self.on))


@dataclasses.dataclass(frozen=True)
class WhereTheDeviceIs:
    """A line for failure messages: the device's address, page title and the status of the portal's last answer."""

    on: str

    def answered_by(self, actor: Actor) -> str:
        return device_of(actor, self.on).describe()


@dataclasses.dataclass(frozen=True)
class TheAddressBar:
    """The address a device's page shows, once the page is drawn (a single-page app may change it itself)."""

    on: str

    def answered_by(self, actor: Actor) -> str:
        device = device_of(actor, self.on)
        device.state()
        return device.page.url


# The forms a page may offer, by the profile's selectors.
FORMS = ("login_link_form", "password_form")


@dataclasses.dataclass(frozen=True)
class TheFormsShown:
    """The forms a device's page shows now (of `FORMS`, by the profile's selectors).

    `once_drawn`: first wait for the sign-in page's login-link form to show, then for the page to
    settle (a page that draws itself may add a form after another). An absent form proves nothing
    on a page that did not load: if the login-link form never shows, the answer lacks it.
    """

    on: str
    once_drawn: bool = False

    def answered_by(self, actor: Actor) -> frozenset[str]:
        device = device_of(actor, self.on)
        if self.once_drawn:
            try:
                device.selector("login_link_form").first.wait_for(state="visible")
            except PlaywrightError:
                return frozenset()
            device.settle()
        shown = [form for form in FORMS if device.selector(form).count() > 0 and device.selector(form).first.is_visible()]
        return frozenset(shown)


@dataclasses.dataclass(frozen=True)
class TheReferrerPolicies:
    """The Referrer-Policy of every page load since the device's latest action, redirects
    included, as (address, policy or None)."""

    on: str

    def answered_by(self, actor: Actor) -> list[tuple[str, str | None]]:
        return [(response.url, response.headers.get("referrer-policy")) for response in device_of(actor, self.on).responses]


@dataclasses.dataclass(frozen=True)
class PortalAnswer:
    """One answer of the portal: its status, and the request it answered."""

    status: int
    method: str
    url: str

    def __str__(self) -> str:
        return f"{self.status} from {self.method} {self.url[:120]}"


@dataclasses.dataclass(frozen=True)
class TheAnswersCarrying:
    """The portal's answers to the requests that carried `value`, on every device of the actor,
    oldest first, each after its redirects: a page load, or a fetch a single-page app made with it.
    Every device's page is let settle first, so an answer still on its way is counted."""

    value: str

    def answered_by(self, actor: Actor) -> list[PortalAnswer]:
        devices = actor.ability_to(BrowseOnDevices).devices.values()
        for device in devices:
            device.settle()
        return [
            PortalAnswer(response.status, response.request.method, response.url)
            for device in devices for response in device.answers_carrying(self.value)
        ]


@dataclasses.dataclass(frozen=True)
class TheSessionCookies:
    """The session cookies in a device's jar as (name, value): the one the profile names, or
    every cookie the portal set."""

    on: str

    def answered_by(self, actor: Actor) -> frozenset[tuple[str, str]]:
        name = actor.ability_to(BrowseOnDevices).profile.session_cookie
        jar = device_of(actor, self.on).context.cookies()
        return frozenset((cookie["name"], cookie["value"]) for cookie in jar if not name or cookie["name"] == name)


@dataclasses.dataclass(frozen=True)
class TheSessionCookieHeaders:
    """For each session cookie in a device's jar, the Set-Cookie headers that set it, as sent:
    on pages, redirects and fetch or XHR calls. (The jar itself reports a cookie set with no
    SameSite attribute as Lax, the browser's default, not the portal's doing.)"""

    on: str

    def answered_by(self, actor: Actor) -> dict[str, list[str]]:
        names = sorted({name for name, _ in actor.asks(TheSessionCookies(self.on))})
        headers = device_of(actor, self.on).set_cookie_headers()
        return {name: [header for header in headers if set_cookie_name(header) == name] for name in names}


def set_cookie_name(header: str) -> str:
    """The name of the cookie a Set-Cookie header sets."""
    return header.split("=", 1)[0].strip()


@dataclasses.dataclass(frozen=True)
class TheCustomerRecord:
    """The merchant's view of a customer, from the control API."""

    customer: Actor

    def answered_by(self, actor: Actor) -> dict[str, Any]:
        return site_of(actor).customer(self.customer.recall("customer")["id"])


@dataclasses.dataclass(frozen=True)
class TheManagementLinkHandedOut:
    """The customer's management link as the control API hands it out now: (status, answer).
    Every read counts: the portal may refuse reads that come too often (429)."""

    customer: Actor
    expect: tuple[int, ...] = (200,)

    def answered_by(self, actor: Actor) -> tuple[int, Any]:
        site = site_of(actor)
        customer_id = self.customer.recall("customer")["id"]
        answer = site.call("GET", f"/customers/{customer_id}/management_link", expect=self.expect)
        return site.client.calls[-1].status, answer


@dataclasses.dataclass(frozen=True)
class TheCurrentManagementUrl:
    """The customer's current management URL, read through the control API now."""

    customer: Actor

    def answered_by(self, actor: Actor) -> str:
        _, answer = actor.asks(TheManagementLinkHandedOut(self.customer))
        return str(answer["url"])


@dataclasses.dataclass(frozen=True)
class TheLastManagementLinkRead:
    """The merchant's last read of a management link (`ReadTheManagementUrl`): (status, answer)."""

    def answered_by(self, actor: Actor) -> tuple[int, Any]:
        status, answer = actor.recall("management link read")
        return status, answer


# -- the customer's mailbox -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TheMailCursor:
    """Where the customer's mailbox stood before the latest action that may send `kind` of email
    (`NoteTheMailCursor`): what arrives after it answers that action. 0 when none was noted."""

    kind: str

    def answered_by(self, actor: Actor) -> int:
        cursor: int = actor.recall(f"mail cursor {self.kind}", 0)
        return cursor


@dataclasses.dataclass(frozen=True)
class TheNewEmail:
    """The first email of `kind` to arrive after the mail cursor, waited for up to the profile's
    mail timeout; on none, the sink's MailTimeout says what was awaited and what came instead."""

    kind: str

    def answered_by(self, actor: Actor) -> Message:
        return actor.ability_to(ReadMailbox).wait_for(self.kind, after=actor.asks(TheMailCursor(self.kind)))


@dataclasses.dataclass(frozen=True)
class TheNewEmailWithinTheQuietTime:
    """The first email of `kind` to arrive after the mail cursor, watched for the profile's quiet
    time (answered as soon as one arrives); None when none came."""

    kind: str

    def answered_by(self, actor: Actor) -> Message | None:
        mailbox = actor.ability_to(ReadMailbox)
        try:
            return mailbox.mailbox.wait_for(
                subject=mailbox.profile.emails[self.kind].subject.pattern,
                after=actor.asks(TheMailCursor(self.kind)),
                timeout=mailbox.profile.mail_quiet_s,
            )
        except MailTimeout:
            return None


@dataclasses.dataclass(frozen=True)
class TheLatestEmail:
    """The customer's latest (or first) email of `kind`.

    Mail travels on its own time: when an action that sends this kind was taken and its email
    has not come yet, wait for it rather than take an older one.
    """

    kind: str
    which: str = "latest"

    def answered_by(self, actor: Actor) -> Message:
        mailbox = actor.ability_to(ReadMailbox)
        found = mailbox.of_kind(self.kind)
        if self.which == "first":
            return found[0] if found else mailbox.wait_for(self.kind, after=None)
        cursor = actor.asks(TheMailCursor(self.kind))
        if not found or found[-1].seq <= cursor:
            return mailbox.wait_for(self.kind, after=cursor)
        return found[-1]


@dataclasses.dataclass(frozen=True)
class TheLinkIn:
    """The link of `link` kind ("invitation", "login_link" or "management") in the customer's
    latest (or first) email of `email` kind; the lookup raises with the links the email does hold."""

    email: str
    link: str
    which: str = "latest"

    def answered_by(self, actor: Actor) -> str:
        profile = actor.ability_to(ReadMailbox).profile
        pattern = profile.management_url if self.link == "management" else profile.emails[self.link].action_link
        assert pattern is not None, f"the profile gives no action link pattern for {self.link} emails"
        return actor.asks(TheLatestEmail(self.email, self.which)).link(pattern.pattern).url


@dataclasses.dataclass(frozen=True)
class TheActionLink:
    """The action link (invitation or login link) of the customer's latest (or first) email of that kind."""

    kind: str
    which: str = "latest"

    def answered_by(self, actor: Actor) -> str:
        return actor.asks(TheLinkIn(self.kind, self.kind, self.which))


@dataclasses.dataclass(frozen=True)
class TheActionLinkToken:
    """The secret part of the action link of the customer's latest email of `kind` (see `link_token`)."""

    kind: str

    def answered_by(self, actor: Actor) -> str:
        profile = actor.ability_to(ReadMailbox).profile
        return link_token(actor.asks(TheActionLink(self.kind)), profile.emails[self.kind].action_link)


@dataclasses.dataclass(frozen=True)
class TheManagementUrl:
    """The management URL from the customer's most recent portal email that carries one
    (waiting for a first email when none has come yet)."""

    def answered_by(self, actor: Actor) -> str:
        mailbox = actor.ability_to(ReadMailbox)
        pattern = mailbox.profile.management_url.pattern
        messages = mailbox.mailbox.messages()
        if not messages:
            messages = [mailbox.mailbox.wait_for(timeout=mailbox.profile.mail_timeout_s)]
        for message in reversed(messages):
            try:
                return message.link(pattern).url
            except LookupError:
                continue
        raise AssertionError(f"none of {actor.name}'s {len(messages)} emails holds a management URL ({pattern!r})")


@dataclasses.dataclass(frozen=True)
class TheManagementUrlNaming:
    """Her management URL with every path segment and query value that is her customer id (as
    the control API gives it) changed to `other`'s: a URL naming another customer, its token
    still hers. None when her URL holds no such id, so that altering it changes nothing."""

    other: Actor

    def answered_by(self, actor: Actor) -> str | None:
        url = actor.asks(TheManagementUrl())
        altered = renamed(url, str(actor.recall("customer")["id"]), str(self.other.recall("customer")["id"]))
        return None if altered == url else altered


def renamed(url: str, own: str, other: str) -> str:
    """`url` with each path segment and query value equal to `own` changed to `other`."""
    parts = urlsplit(url)
    path = "/".join(other if segment == own else segment for segment in parts.path.split("/"))
    query = urlencode([(key, other if value == own else value) for key, value in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit(parts._replace(path=path, query=query if parts.query else ""))


# -- what the portal answers ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TheAnswerText:
    """What a device shows now, as a person reads it, with the given words masked out."""

    on: str
    masking: tuple[str, ...] = ()

    def answered_by(self, actor: Actor) -> str:
        text = actor.ability_to(BrowseOnDevices).device(self.on).page.locator("body").inner_text()
        for word in self.masking:
            text = re.sub(re.escape(word), "<address>", text, flags=re.IGNORECASE)
        return " ".join(text.split())


@dataclasses.dataclass(frozen=True)
class TheLinkTokens:
    """The secret part of every portal link in the customer's emails (see `link_token`)."""

    actions_only: bool = False

    def answered_by(self, actor: Actor) -> list[str]:
        mailbox = actor.ability_to(ReadMailbox)
        profile = mailbox.profile
        patterns = [kind.action_link for kind in profile.emails.values() if kind.action_link]
        if not self.actions_only:
            patterns.append(profile.management_url)
        tokens = []
        for message in mailbox.mailbox.messages():
            for link in message.links:
                pattern = next((pattern for pattern in patterns if pattern.search(link.url)), None)
                if pattern is not None:
                    tokens.append(link_token(link.url, pattern))
        return tokens


def link_token(url: str, pattern: re.Pattern[str] | None) -> str:
    """The secret part of a portal link: the profile pattern's `token` group where it has one,
    else a guess, the longest component of the URL."""
    found = pattern.search(url) if pattern is not None and "token" in pattern.groupindex else None
    if found is not None and found.group("token"):
        return found.group("token")
    return longest_component(url)


def longest_component(url: str) -> str:
    parts = urlsplit(url)
    candidates = [segment for segment in parts.path.split("/") if segment]
    candidates += [value for _, value in parse_qsl(parts.query)]
    return max(candidates, key=len, default="")


def entropy_bits(token: str) -> float:
    """A generous estimate of a random token's bits from its length and alphabet."""
    if re.fullmatch(r"[0-9a-fA-F]+", token):
        alphabet = 16
    elif re.fullmatch(r"[0-9A-Za-z]+", token):
        alphabet = 62
    else:
        alphabet = 64 if re.fullmatch(r"[0-9A-Za-z_\-+/=.~]+", token) else 95
    return len(token) * math.log2(alphabet)
