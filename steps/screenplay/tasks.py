"""Tasks: the business verbs actors perform. Each reaches the portal through the contract only."""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any, Callable
from urllib.parse import urlsplit

from portalcheck import tampering

from .abilities import BrowseOnDevices, ReadMailbox, device_of, site_of
from .actors import Actor
from .devices import PageState
from .questions import (
    TheActionLink,
    TheAnswerText,
    TheFormsShown,
    TheManagementLinkHandedOut,
    TheManagementUrl,
    TheNewEmail,
    TheSessionCookies,
    link_token,
)


@dataclasses.dataclass(frozen=True)
class NoteTheMailCursor:
    """Before an action that may send `kind` of email, note "everything so far" in the actor's
    mailbox: what arrives after it is the answer to that action (`TheMailCursor`)."""

    kind: str

    def perform_as(self, actor: Actor) -> None:
        actor.remember(f"mail cursor {self.kind}", actor.ability_to(ReadMailbox).cursor())


@dataclasses.dataclass(frozen=True)
class OpenLink:
    """Open a URL on one of the customer's devices; the device remembers what it then shows."""

    url: str
    on: str

    def perform_as(self, actor: Actor) -> None:
        device_of(actor, self.on).open(self.url)


@dataclasses.dataclass(frozen=True)
class AcceptTheInvitation:
    on: str
    which: str = "latest"

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(OpenLink(actor.asks(TheActionLink("invitation", self.which)), on=self.on))


@dataclasses.dataclass(frozen=True)
class OpenTheLoginLink:
    on: str
    which: str = "latest"

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(OpenLink(actor.asks(TheActionLink("login_link", self.which)), on=self.on))


@dataclasses.dataclass(frozen=True)
class OpenTheManagementUrl:
    on: str
    url: str | None = None

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(OpenLink(self.url or actor.asks(TheManagementUrl()), on=self.on))


@dataclasses.dataclass(frozen=True)
class VisitThePortal:
    """Open one of the portal's pages (home by default) on a device: her site's, or the one at
    `portal_url` (another merchant's site)."""

    on: str
    page: str = "home"
    portal_url: str | None = None

    def perform_as(self, actor: Actor) -> None:
        browsing = actor.ability_to(BrowseOnDevices)
        base = browsing.portal_url if self.portal_url is None else self.portal_url.rstrip("/")
        browsing.device(self.on).open(base + browsing.profile.pages[self.page])


@dataclasses.dataclass(frozen=True)
class AskForALoginLink:
    """On the sign-in page, ask for a login link for `address` (the actor's own by default)."""

    on: str
    address: str | None = None
    until_it_arrives: bool = False

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(NoteTheMailCursor("login_link"), VisitThePortal(self.on, page="sign_in"))
        device = device_of(actor, self.on)
        address = self.address or actor.recall("customer")["email"]
        device.submit("login_link_form", {"login_link_email": address}, "login_link_submit")
        if self.until_it_arrives:
            actor.asks(TheNewEmail("login_link"))


@dataclasses.dataclass(frozen=True)
class AskForALoginLinkFromTheVerifyPage:
    on: str

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(NoteTheMailCursor("login_link"))
        device = device_of(actor, self.on)
        state = device.state()
        assert state is PageState.VERIFY_DEVICE, f"expected the verify page, but {device.describe()} shows {state.value}"
        device.press("verify_request_submit")


@dataclasses.dataclass(frozen=True)
class OpenTheSignInPage:
    """Open the sign-in page on a device, and remember it is open there (`SignInWithPassword` uses it)."""

    on: str

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(VisitThePortal(self.on, page="sign_in"))
        actor.remember("sign-in page open on", (*actor.recall("sign-in page open on", ()), self.on))


@dataclasses.dataclass(frozen=True)
class SignInWithPassword:
    """Send the address and password (the actor's own by default) from the sign-in page: the
    one she has open on that device (`OpenTheSignInPage`), else one opened now."""

    on: str
    password: str | None = None
    address: str | None = None

    def perform_as(self, actor: Actor) -> None:
        device = device_of(actor, self.on)
        if self.on not in actor.recall("sign-in page open on", ()):
            actor.attempts_to(VisitThePortal(self.on, page="sign_in"))
            if "password_form" not in actor.asks(TheFormsShown(self.on, once_drawn=True)):
                return  # a sign-in page without a password form: there is nothing to send (a Then judges it)
        fields = {
            "password_email": self.address or actor.recall("customer")["email"],
            # One she never chose, when she has none: a portal must not take it (an explored walk types one).
            "password_input": self.password or actor.recall("password", None) or f"never-chosen-{secrets.token_urlsafe(9)}",
        }
        device.submit("password_form", fields, "password_submit")


@dataclasses.dataclass(frozen=True)
class ChooseAPassword:
    """On the choose-a-password page the portal shows, choose one; she remembers it."""

    on: str
    password: str

    def perform_as(self, actor: Actor) -> None:
        device = device_of(actor, self.on)
        state = device.state()
        assert state is PageState.CHOOSE_PASSWORD, f"expected the choose-a-password page, but {device.describe()} shows {state.value}"
        device.selector("new_password_input").first.fill(self.password)
        device.press("new_password_submit")
        actor.remember("password", self.password)


@dataclasses.dataclass(frozen=True)
class SignOut:
    on: str

    def perform_as(self, actor: Actor) -> None:
        device = device_of(actor, self.on)
        if device.state() is not PageState.ACCOUNT:
            actor.attempts_to(VisitThePortal(self.on))
        names = {name for name, _ in actor.asks(TheSessionCookies(self.on))}
        actor.remember(f"session cookies signed out of on {self.on}",
                       [cookie for cookie in device.context.cookies() if cookie["name"] in names])
        device.press("sign_out")


@dataclasses.dataclass(frozen=True)
class PutBackTheSignedOutSession:
    """Put the session cookies her device held when she signed out there back into its jar, as
    a copy kept by someone would be, and open the portal with them (SES-4: that session ended)."""

    on: str

    def perform_as(self, actor: Actor) -> None:
        device = device_of(actor, self.on)
        kept = actor.recall(f"session cookies signed out of on {self.on}", [])  # none: she never signed out there
        if kept:
            device.context.add_cookies(kept)
        actor.attempts_to(VisitThePortal(on=self.on))


@dataclasses.dataclass(frozen=True)
class KeepTheManagementUrl:
    """Keep the management URL her emails hold now, to open it later ("kept management URL")."""

    def perform_as(self, actor: Actor) -> None:
        actor.remember("kept management URL", actor.asks(TheManagementUrl()))


@dataclasses.dataclass(frozen=True)
class OpenANewLoginLink:
    """Ask for a new login link on a device and open it there; the session cookies the device
    held before are remembered ("session cookies before"), to tell whether the sign-in renewed them."""

    on: str

    def perform_as(self, actor: Actor) -> None:
        actor.remember("session cookies before", actor.asks(TheSessionCookies(self.on)))
        actor.attempts_to(AskForALoginLink(on=self.on), OpenTheLoginLink(on=self.on))


@dataclasses.dataclass(frozen=True)
class AskForLoginLinksFor:
    """From the sign-in page of a laptop of one's own, ask for a login link for each person's
    address in turn. Remembered: each answer as a person reads it, the address masked out
    ("answers"), and whom it was asked for ("asked for"); each person's mail cursor is noted."""

    people: tuple[Actor, ...]

    def perform_as(self, actor: Actor) -> None:
        answers = []
        for person in self.people:
            address = person.recall("customer")["email"]
            person.attempts_to(NoteTheMailCursor("login_link"))
            actor.attempts_to(AskForALoginLink(on="laptop", address=address))
            answers.append(actor.asks(TheAnswerText("laptop", masking=(address,))))
        actor.remember("answers", answers)
        actor.remember("asked for", self.people)


@dataclasses.dataclass(frozen=True)
class SignInWithPasswordAsEach:
    """From a laptop of one's own, send `password` for each person's address in turn; each
    answer, as a person reads it with the address masked out, is remembered ("answers")."""

    people: tuple[Actor, ...]
    password: str

    def perform_as(self, actor: Actor) -> None:
        answers = []
        for person in self.people:
            address = person.recall("customer")["email"]
            actor.attempts_to(SignInWithPassword(on="laptop", address=address, password=self.password))
            answers.append(actor.asks(TheAnswerText("laptop", masking=(address,))))
        actor.remember("answers", answers)


@dataclasses.dataclass(frozen=True)
class OpenTheLinkOnTwoDevicesAtOnce:
    """Both devices start opening the link of her latest email of `kind` (login link or
    invitation) before either has loaded it."""

    kind: str = "login_link"
    devices: tuple[str, str] = ("laptop", "phone")

    def perform_as(self, actor: Actor) -> None:
        url = actor.asks(TheActionLink(self.kind))
        first, second = (device_of(actor, name) for name in self.devices)
        for device in (first, second):
            device.navigating()
        # Start both navigations before waiting for either, so the two requests race at the portal;
        # then wait for both to land, so neither device is judged by the page it showed before.
        with first.page.expect_navigation(wait_until="domcontentloaded"), second.page.expect_navigation(wait_until="domcontentloaded"):
            for device in (first, second):
                device.page.evaluate("url => { window.location.href = url }", url)


@dataclasses.dataclass(frozen=True)
class AskForALoginLinkFromAnotherSite:
    """A page on another origin posts the portal's login-link form for the actor's address from
    her device, as an attacker's page would; the device then shows what the portal answered."""

    on: str

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(NoteTheMailCursor("login_link"))
        browsing = actor.ability_to(BrowseOnDevices)
        target = device_of(actor, self.on)
        target.open(browsing.page_url("sign_in"))
        target.post_from_another_site("login_link_form", "login_link_email", actor.recall("customer")["email"], browsing.portal_url)


@dataclasses.dataclass(frozen=True)
class OpenATamperedManagementUrl:
    """Open her management URL with one character of its token changed."""

    on: str

    def perform_as(self, actor: Actor) -> None:
        url = actor.asks(TheManagementUrl())
        secret = link_token(url, actor.ability_to(BrowseOnDevices).profile.management_url)
        # A middle character: the last one of a base64 signature may differ only in padding bits.
        middle = len(secret) // 2
        flipped = secret[:middle] + ("A" if secret[middle] != "A" else "B") + secret[middle + 1:]
        actor.attempts_to(OpenLink(url.replace(secret, flipped, 1), on=self.on))


@dataclasses.dataclass(frozen=True)
class CopyTheCookies:
    """Copy every cookie one of her devices holds into another, as a stolen cookie jar would be."""

    source: str
    to: str

    def perform_as(self, actor: Actor) -> None:
        device_of(actor, self.to).context.add_cookies(device_of(actor, self.source).context.cookies())


# What each damage makes of a link's token.
DAMAGE: dict[str, Callable[[str], str]] = {
    "cut short": lambda token: token[: len(token) // 2],
    "with a garbled token": lambda token: "".join(reversed(token))[:-2] + "%%",
    "with an enormous token": lambda token: token * 200,
}


@dataclasses.dataclass(frozen=True)
class OpenTheLinkDamaged:
    """Open the link of her latest email of `kind` (login link or invitation) with its token
    damaged (`DAMAGE`); the damaged token is remembered as the "malformed input"."""

    damage: str
    on: str
    kind: str = "login_link"

    def perform_as(self, actor: Actor) -> None:
        url = actor.asks(TheActionLink(self.kind))
        token = link_token(url, actor.ability_to(BrowseOnDevices).profile.emails[self.kind].action_link)
        damaged = DAMAGE[self.damage](token)
        actor.remember("malformed input", damaged)
        actor.attempts_to(OpenLink(url.replace(token, damaged, 1), on=self.on))


@dataclasses.dataclass(frozen=True)
class OpenATamperedLink:
    """Open her latest link of `kind` ("invitation", "login_link" or "management") with one part
    changed: the `nth` path segment under her site's portal URL, or the `nth` query value (a path
    segment when it has no query), counted from 1 and round again past the last."""

    kind: str
    part: str  # "path segment" or "query value"
    nth: int
    on: str

    def perform_as(self, actor: Actor) -> None:
        url = actor.asks(TheManagementUrl() if self.kind == "management" else TheActionLink(self.kind))
        base = urlsplit(actor.ability_to(BrowseOnDevices).portal_url).path.rstrip("/")
        actor.attempts_to(OpenLink(tampered(url, base, self.part, self.nth), on=self.on))


def tampered(url: str, base: str, part: str, nth: int) -> str:
    """`url` with its `nth` path segment under `base` (or query value), counted from 1, changed."""
    return tampering.tampered(url, base, "query" if part == "query value" else "segment", nth - 1)


# What each bad input makes of her address.
BAD_INPUT: dict[str, Callable[[str], str]] = {
    "her address without its at sign": lambda address: address.replace("@", " at ", 1),
    "her address followed by a line break and Bcc": lambda address: address + "\r\nBcc: someone@example.net",
    "her address padded to 5000 characters": lambda address: "x" * (5000 - len(address)) + address,
}

# Stands in for the login-link form's address input with a textarea of the same name holding `value`.
TEXTAREA_IN_PLACE = """(input, value) => {
    const stand_in = document.createElement("textarea");
    stand_in.name = input.name;
    stand_in.value = value;
    input.replaceWith(stand_in);
}"""


@dataclasses.dataclass(frozen=True)
class SendTheLoginLinkFormWith:
    """Send the sign-in page's login-link form with input a browser would not let a person type
    (`BAD_INPUT`, made of her address); the value is remembered as the "malformed input"."""

    bad: str
    on: str

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(NoteTheMailCursor("login_link"), VisitThePortal(self.on, page="sign_in"))
        target = device_of(actor, self.on)
        value = BAD_INPUT[self.bad](actor.recall("customer")["email"])
        actor.remember("malformed input", value)
        form = target.selector("login_link_form").first
        field = target.selector("login_link_form").locator(target.profile.selectors["login_link_email"]).first
        # Past the browser's own checks, as a crafted request would: an input's value loses its line
        # breaks and is held to type=email and maxlength, so a textarea of the same name stands in.
        field.evaluate(TEXTAREA_IN_PLACE, value)
        target.act("sending the login-link form", lambda: form.evaluate("form => { form.noValidate = true; form.requestSubmit() }"))


# -- the merchant's tasks, through the control API ------------------------------------------


@dataclasses.dataclass(frozen=True)
class SetThePolicy:
    changes: dict[str, Any]

    def perform_as(self, actor: Actor) -> None:
        site_of(actor).set_policy(**self.changes)


@dataclasses.dataclass(frozen=True)
class LetTimePass:
    """Move the site's clock on; the merchant keeps the sum moved so far ("time passed")."""

    seconds: float

    def perform_as(self, actor: Actor) -> None:
        site_of(actor).advance_clock(self.seconds)
        actor.remember("time passed", actor.recall("time passed", 0.0) + self.seconds)


@dataclasses.dataclass(frozen=True)
class Invite:
    customer: Actor
    expect: tuple[int, ...] = (202,)

    def perform_as(self, actor: Actor) -> None:
        self.customer.attempts_to(NoteTheMailCursor("invitation"))
        answer_to(actor, "POST", self.customer, "/invitations", expect=self.expect)
        if actor.recall("last status") == 202:
            # Wait for it, so a later step never takes an earlier invitation still in flight.
            self.customer.asks(TheNewEmail("invitation"))


@dataclasses.dataclass(frozen=True)
class RevokeAccess:
    customer: Actor

    def perform_as(self, actor: Actor) -> None:
        answer_to(actor, "DELETE", self.customer, "/invitations")


@dataclasses.dataclass(frozen=True)
class CreateASubscription:
    customer: Actor
    product: str = "Monthly plan"

    def perform_as(self, actor: Actor) -> None:
        self.customer.attempts_to(NoteTheMailCursor("invitation"))
        answer_to(actor, "POST", self.customer, "/subscriptions", {"product": self.product}, expect=(201,))


@dataclasses.dataclass(frozen=True)
class SendAnAccountEmail:
    customer: Actor

    def perform_as(self, actor: Actor) -> None:
        self.customer.attempts_to(NoteTheMailCursor("account"))
        answer_to(actor, "POST", self.customer, "/management_link_emails", expect=(202,))


@dataclasses.dataclass(frozen=True)
class GiveAPassword:
    customer: Actor
    password: str

    def perform_as(self, actor: Actor) -> None:
        answer_to(actor, "PUT", self.customer, "/password", {"password": self.password}, expect=(204,))
        self.customer.remember("password", self.password)


@dataclasses.dataclass(frozen=True)
class ReadTheManagementUrl:
    """Read the customer's management link; the merchant remembers the answer and its status."""

    customer: Actor
    expect: tuple[int, ...] = (200,)

    def perform_as(self, actor: Actor) -> None:
        status, answer = actor.asks(TheManagementLinkHandedOut(self.customer, self.expect))
        actor.remember("last status", status)
        actor.remember("management link read before", actor.recall("management link read", None))
        actor.remember("management link read", (status, answer))


def answer_to(merchant: Actor, method: str, customer: Actor, path: str, body: Any = None,
              *, expect: tuple[int, ...] = (200,)) -> Any:
    """Call the customer's control API resource; the merchant remembers the last status."""
    site = site_of(merchant)
    customer_id = customer.recall("customer")["id"]
    answer = site.call(method, f"/customers/{customer_id}{path}", body, expect=expect)
    merchant.remember("last status", site.client.calls[-1].status)
    return answer
