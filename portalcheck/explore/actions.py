"""The actions of a walk: plain data, the same for the model, the portal, a finding's JSON file
and its Gherkin. Every field is a name, a device, a choice or a number: never a URL or a token,
so a walk replays against any portal that speaks CONTRACT v1.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

DEVICES = ("laptop", "phone")
NAMES = ("Ada", "Ben")


@dataclasses.dataclass(frozen=True)
class Action:
    kind: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        return {"action": self.kind, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class AddCustomer(Action):
    kind: ClassVar[str] = "add_customer"
    customer: str


@dataclasses.dataclass(frozen=True)
class Invite(Action):
    """The merchant invites (or re-invites) the customer through the control API."""

    kind: ClassVar[str] = "invite"
    customer: str


@dataclasses.dataclass(frozen=True)
class Revoke(Action):
    kind: ClassVar[str] = "revoke"
    customer: str


@dataclasses.dataclass(frozen=True)
class Subscribe(Action):
    kind: ClassVar[str] = "subscribe"
    customer: str


@dataclasses.dataclass(frozen=True)
class SendAccountEmail(Action):
    kind: ClassVar[str] = "send_account_email"
    customer: str


@dataclasses.dataclass(frozen=True)
class ReadManagementLink(Action):
    kind: ClassVar[str] = "read_management_link"
    customer: str


@dataclasses.dataclass(frozen=True)
class SetPolicy(Action):
    kind: ClassVar[str] = "set_policy"
    key: str
    value: Any


@dataclasses.dataclass(frozen=True)
class AdvanceClock(Action):
    kind: ClassVar[str] = "advance_clock"
    seconds: int
    aim: str = ""  # what the amount was chosen around, e.g. "just before LL-5 (login link 2)"


@dataclasses.dataclass(frozen=True)
class AskForLoginLink(Action):
    """On the sign-in page of `device`, ask for a login link for the customer's address."""

    kind: ClassVar[str] = "ask_for_login_link"
    customer: str
    device: str


@dataclasses.dataclass(frozen=True)
class AskFromVerifyPage(Action):
    """Press "email me a login link" on the verify-this-device page the device shows."""

    kind: ClassVar[str] = "ask_from_verify_page"
    customer: str
    device: str


@dataclasses.dataclass(frozen=True)
class AskForLoginLinkFromAnotherSite(Action):
    """A page of another origin posts the sign-in page's login-link form for the customer's
    address from `device`, as an attacker's page would (SEC-4)."""

    kind: ClassVar[str] = "ask_for_login_link_from_another_site"
    customer: str
    device: str


@dataclasses.dataclass(frozen=True)
class CompareLoginLinkAnswers(Action):
    """Someone asks for login links for two customers and an unknown address (LL-2)."""

    kind: ClassVar[str] = "compare_login_link_answers"
    first: str
    second: str


@dataclasses.dataclass(frozen=True)
class OpenEmailLink(Action):
    """Open the action link of the customer's latest (or first) email of a kind, maybe damaged."""

    kind: ClassVar[str] = "open_email_link"
    customer: str
    device: str
    link: str  # "invitation" or "login_link"
    which: str = "latest"  # or "first"
    damage: str = ""  # "", "garbled", "cut short"
    tamper: str = ""  # "", "segment:<k>", "query:<k>" (as for the management URL), "site"


@dataclasses.dataclass(frozen=True)
class KeepManagementUrl(Action):
    """The customer keeps the management URL of her latest email, to open it later."""

    kind: ClassVar[str] = "keep_management_url"
    customer: str


@dataclasses.dataclass(frozen=True)
class OpenManagementUrl(Action):
    """Open the management URL of the latest email (or the one kept), maybe with one part tampered."""

    kind: ClassVar[str] = "open_management_url"
    customer: str
    device: str
    source: str = "latest"  # or "kept"
    tamper: str = ""  # "", "segment:<k>" (the k-th path segment under the site, modulo their number), "query:<k>", "site"


@dataclasses.dataclass(frozen=True)
class SetPassword(Action):
    """The merchant sets the customer a password through the control API, as if she chose it."""

    kind: ClassVar[str] = "set_password"
    customer: str


@dataclasses.dataclass(frozen=True)
class ChoosePassword(Action):
    """On the choose-a-password page her device shows (after accepting the invitation), she chooses one."""

    kind: ClassVar[str] = "choose_password"
    customer: str
    device: str


@dataclasses.dataclass(frozen=True)
class SignInWithPassword(Action):
    """On the sign-in page of `device`, her address and her password (a made-up one if she has none)."""

    kind: ClassVar[str] = "sign_in_with_password"
    customer: str
    device: str


@dataclasses.dataclass(frozen=True)
class TryWrongPassword(Action):
    """Someone sends a wrong password for the customer's address from a laptop of their own."""

    kind: ClassVar[str] = "try_wrong_password"
    customer: str
    capitals: bool = False  # her address typed in capitals (PW-6 counts per address, not as typed)


@dataclasses.dataclass(frozen=True)
class CompareSignInAnswers(Action):
    """Someone signs in as the customer with a wrong password, and as an unknown address (PW-3)."""

    kind: ClassVar[str] = "compare_sign_in_answers"
    customer: str


@dataclasses.dataclass(frozen=True)
class OpenLinkOnTwoDevices(Action):
    """Her laptop and her phone start opening her latest link of a kind at the same moment (SEC-2)."""

    kind: ClassVar[str] = "open_link_on_two_devices"
    customer: str
    link: str = "login_link"
    winner: str = ""  # the device the model lets in: the walk asks about both, the portal decides


@dataclasses.dataclass(frozen=True)
class CarrySessionToOtherSite(Action):
    """Her device's session cookie, copied to another site's path, and that site's portal opened (SEC-6)."""

    kind: ClassVar[str] = "carry_session_to_other_site"
    customer: str
    device: str


@dataclasses.dataclass(frozen=True)
class OpenOtherSitesManagementUrl(Action):
    """Another site takes her on with the same address and invites her; she accepts on `other`,
    then opens that site's management URL on `device`, which is verified in her own site (SEC-6)."""

    kind: ClassVar[str] = "open_other_sites_management_url"
    customer: str
    device: str
    other: str


@dataclasses.dataclass(frozen=True)
class ReuseEndedSession(Action):
    """The session cookie her device held before she signed out there, put back, and the portal opened (SES-4)."""

    kind: ClassVar[str] = "reuse_ended_session"
    customer: str
    device: str


@dataclasses.dataclass(frozen=True)
class VisitPortal(Action):
    kind: ClassVar[str] = "visit_portal"
    customer: str
    device: str


@dataclasses.dataclass(frozen=True)
class SignOut(Action):
    kind: ClassVar[str] = "sign_out"
    customer: str
    device: str


KINDS: dict[str, type[Action]] = {
    cls.kind: cls for cls in (
        AddCustomer, Invite, Revoke, Subscribe, SendAccountEmail, ReadManagementLink, SetPolicy,
        AdvanceClock, AskForLoginLink, AskForLoginLinkFromAnotherSite, AskFromVerifyPage, CompareLoginLinkAnswers, OpenEmailLink,
        KeepManagementUrl, OpenManagementUrl, VisitPortal, SignOut, SetPassword, ChoosePassword,
        SignInWithPassword, TryWrongPassword, CompareSignInAnswers, OpenLinkOnTwoDevices, CarrySessionToOtherSite,
        ReuseEndedSession, OpenOtherSitesManagementUrl,
    )
}


def from_json(data: dict[str, Any]) -> Action:
    """The action a finding's JSON holds; ValueError naming what is wrong."""
    fields = dict(data)
    kind = fields.pop("action", None)
    if kind not in KINDS:
        raise ValueError(f"unknown action {kind!r}; known: {', '.join(KINDS)}")
    try:
        return KINDS[kind](**fields)
    except TypeError as error:
        raise ValueError(f"action {kind!r}: {error}") from None
