"""Tasks: the business verbs actors perform. Each reaches the portal through the contract only."""

from __future__ import annotations

import dataclasses
from typing import Any

from fake_mail import Message

from .abilities import BrowseOnDevices, ControlTheSite, ReadMailbox
from .devices import PageState
from .actors import Actor


def note_mail_cursor(customer: Actor, kind: str) -> None:
    """Before an action that may send `kind` of email, remember "everything so far" in the
    customer's mailbox: what arrives after it is the answer to that action."""
    customer.remember(f"mail cursor {kind}", customer.ability_to(ReadMailbox).cursor())


def mail_cursor(customer: Actor, kind: str) -> int:
    return customer.recall(f"mail cursor {kind}", 0)


def latest_email(customer: Actor, kind: str, *, which: str = "latest") -> Message:
    """The customer's latest (or first) email of `kind`.

    Mail travels on its own time: when an action that sends this kind was taken and its email
    has not come yet, wait for it rather than take an older one.
    """
    mailbox = customer.ability_to(ReadMailbox)
    found = mailbox.of_kind(kind)
    if which == "first":
        return found[0] if found else mailbox.wait_for(kind, after=None)
    cursor = mail_cursor(customer, kind)
    if not found or found[-1].seq <= cursor:
        return mailbox.wait_for(kind, after=cursor)
    return found[-1]


def action_link(customer: Actor, kind: str, *, which: str = "latest") -> str:
    mailbox = customer.ability_to(ReadMailbox)
    pattern = mailbox.profile.emails[kind].action_link
    assert pattern is not None, f"the profile gives no action link pattern for {kind} emails"
    return latest_email(customer, kind, which=which).link(pattern.pattern).url


def management_url(customer: Actor) -> str:
    """The management URL from the customer's most recent portal email that carries one."""
    mailbox = customer.ability_to(ReadMailbox)
    pattern = mailbox.profile.management_url.pattern
    messages = mailbox.mailbox.messages()
    if not messages:
        messages = [mailbox.mailbox.wait_for(timeout=mailbox.profile.mail_timeout_s)]
    for message in reversed(messages):
        try:
            return message.link(pattern).url
        except LookupError:
            continue
    raise AssertionError(f"none of {customer.name}'s {len(messages)} emails holds a management URL ({pattern!r})")


def device_of(customer: Actor, name: str) -> Any:
    return customer.ability_to(BrowseOnDevices).device(name)


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
        actor.attempts_to(OpenLink(action_link(actor, "invitation", which=self.which), on=self.on))


@dataclasses.dataclass(frozen=True)
class OpenTheLoginLink:
    on: str
    which: str = "latest"

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(OpenLink(action_link(actor, "login_link", which=self.which), on=self.on))


@dataclasses.dataclass(frozen=True)
class OpenTheManagementUrl:
    on: str
    url: str | None = None

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(OpenLink(self.url or management_url(actor), on=self.on))


@dataclasses.dataclass(frozen=True)
class VisitThePortal:
    on: str
    page: str = "home"

    def perform_as(self, actor: Actor) -> None:
        browsing = actor.ability_to(BrowseOnDevices)
        browsing.device(self.on).open(browsing.page_url(self.page))


@dataclasses.dataclass(frozen=True)
class AskForALoginLink:
    """On the sign-in page, ask for a login link for `address` (the actor's own by default)."""

    on: str
    address: str | None = None
    until_it_arrives: bool = False

    def perform_as(self, actor: Actor) -> None:
        note_mail_cursor(actor, "login_link")
        actor.attempts_to(VisitThePortal(self.on, page="sign_in"))
        device = device_of(actor, self.on)
        address = self.address or actor.recall("customer")["email"]
        device.submit("login_link_form", {"login_link_email": address}, "login_link_submit")
        if self.until_it_arrives:
            actor.ability_to(ReadMailbox).wait_for("login_link", after=mail_cursor(actor, "login_link"))


@dataclasses.dataclass(frozen=True)
class AskForALoginLinkFromTheVerifyPage:
    on: str

    def perform_as(self, actor: Actor) -> None:
        note_mail_cursor(actor, "login_link")
        device = device_of(actor, self.on)
        state = device.state()
        assert state is PageState.VERIFY_DEVICE, f"expected the verify page, but {device.describe()} shows {state.value}"
        device.press("verify_request_submit")


@dataclasses.dataclass(frozen=True)
class SignInWithPassword:
    on: str
    password: str | None = None
    address: str | None = None
    from_open_page: bool = False

    def perform_as(self, actor: Actor) -> None:
        device = device_of(actor, self.on)
        if not self.from_open_page:
            actor.attempts_to(VisitThePortal(self.on, page="sign_in"))
        fields = {
            "password_email": self.address or actor.recall("customer")["email"],
            "password_input": self.password or actor.recall("password"),
        }
        device.submit("password_form", fields, "password_submit")


@dataclasses.dataclass(frozen=True)
class ChooseAPassword:
    """On the choose-a-password page the portal shows, choose one; she remembers it."""

    on: str
    password: str

    def perform_as(self, actor: Actor) -> None:
        device = device_of(actor, self.on)
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
        device.press("sign_out")


# -- the merchant's tasks, through the control API ------------------------------------------


def site_of(merchant: Actor) -> Any:
    return merchant.ability_to(ControlTheSite).site


@dataclasses.dataclass(frozen=True)
class SetThePolicy:
    changes: dict[str, Any]

    def perform_as(self, actor: Actor) -> None:
        site_of(actor).set_policy(**self.changes)


@dataclasses.dataclass(frozen=True)
class LetTimePass:
    seconds: float

    def perform_as(self, actor: Actor) -> None:
        site_of(actor).advance_clock(self.seconds)


@dataclasses.dataclass(frozen=True)
class Invite:
    customer: Actor
    expect: tuple[int, ...] = (202,)

    def perform_as(self, actor: Actor) -> None:
        note_mail_cursor(self.customer, "invitation")
        answer_to(actor, "POST", self.customer, "/invitations", expect=self.expect)
        if actor.recall("last status") == 202:
            # Wait for it, so a later step never takes an earlier invitation still in flight.
            self.customer.ability_to(ReadMailbox).wait_for("invitation", after=mail_cursor(self.customer, "invitation"))


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
        note_mail_cursor(self.customer, "invitation")
        answer_to(actor, "POST", self.customer, "/subscriptions", {"product": self.product}, expect=(201,))


@dataclasses.dataclass(frozen=True)
class SendAnAccountEmail:
    customer: Actor

    def perform_as(self, actor: Actor) -> None:
        note_mail_cursor(self.customer, "account")
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
        site = site_of(actor)
        answer = answer_to(actor, "GET", self.customer, "/management_link", expect=self.expect)
        actor.remember("management link read", (site.client.calls[-1].status, answer))


def answer_to(merchant: Actor, method: str, customer: Actor, path: str, body: Any = None,
              *, expect: tuple[int, ...] = (200,)) -> Any:
    """Call the customer's control API resource; the merchant remembers the last status."""
    site = site_of(merchant)
    customer_id = customer.recall("customer")["id"]
    answer = site.call(method, f"/customers/{customer_id}{path}", body, expect=expect)
    merchant.remember("last status", site.client.calls[-1].status)
    return answer
