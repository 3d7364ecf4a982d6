"""Other sites than the scenario's own: tasks and questions for tenant isolation (SEC-6) and for
the contract's own promises about sites (the CON checks of docs/control-api.md).

Everything here goes through CONTRACT v1: another site is made with `POST /control/sites`, as
the scenario's own is, so it works against any profiled portal; it is deleted when the scenario
ends (`OtherSites.remove_all`, called by the fixture that holds them).
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from typing import Any
from urllib.parse import urlsplit

from portalcheck.control import ControlClient, ControlError, SiteControl

from .abilities import BrowseOnDevices, ControlTheSite, device_of, site_of
from .actors import Actor, release_each
from .questions import TheActionLink, TheManagementUrl, TheNewEmail
from .tasks import NoteTheMailCursor, OpenLink


class CannotMoveTheLink(RuntimeError):
    """A link that is not under its site's portal_url cannot be moved under another's: the suite
    cannot make the check (an ERROR, not the portal's FAIL)."""


class NothingToCarry(RuntimeError):
    """A device that holds no cookie of her site has nothing to carry to another site's path: a
    portal that keeps its sessions and devices elsewhere, which these checks cannot reach (not
    the portal's FAIL)."""


class OtherSites:
    """The sites a scenario makes beside its own, each with the merchant who runs it."""

    def __init__(self, client: ControlClient) -> None:
        self._client = client  # the scenario's own client: its calls are the scenario's evidence
        self.merchants: list[Actor] = []

    def open_one(self) -> Actor:
        """A new site through the control API, and another merchant who runs it. A site the
        control API does not make is the suite's problem (RuntimeError: an ERROR), never a
        verdict on the rule the scenario checks."""
        try:
            site = SiteControl.create(self._client)
        except ControlError as error:
            raise RuntimeError(f"the suite could not make the other site: {error}") from error
        merchant = Actor("another merchant").who_can(ControlTheSite(site))
        self.merchants.append(merchant)
        return merchant

    @property
    def latest(self) -> Actor:
        if not self.merchants:
            raise LookupError("'the other site' refers to nothing: no other site was made yet")
        return self.merchants[-1]

    def remove_all(self) -> None:
        """Delete every site made here (one a scenario deleted itself is already gone: 404)."""
        merchants, self.merchants = self.merchants, []
        release_each(merchants, lambda merchant: site_of(merchant).delete(expect=(204, 404)))


def moved_under(url: str, own_portal: str, other_portal: str) -> str:
    """`url` with its site's portal_url replaced by another site's ("another site's path")."""
    own = own_portal.rstrip("/")
    if url != own and not url.startswith(own + "/") and not url.startswith(own + "?"):
        raise CannotMoveTheLink(f"the link {url} is not under its site's portal_url {own}: it cannot be moved under another site's")
    return other_portal.rstrip("/") + url[len(own):]


# The links a customer holds, by how a step names them.
HELD_LINKS = {
    "invitation link": lambda actor: actor.asks(TheActionLink("invitation")),
    "login link": lambda actor: actor.asks(TheActionLink("login_link")),
    "management URL": lambda actor: actor.asks(TheManagementUrl()),
}


@dataclasses.dataclass(frozen=True)
class OpenHerLinkUnderAnotherSite:
    """Open one of the links her emails hold with its site part replaced by the other site's
    portal_url; the moved URL is remembered ("moved link")."""

    link: str
    other: Actor
    on: str

    def perform_as(self, actor: Actor) -> None:
        url = HELD_LINKS[self.link](actor)
        moved = moved_under(url, actor.ability_to(BrowseOnDevices).portal_url, site_of(self.other).portal_url)
        actor.remember("moved link", moved)
        actor.attempts_to(OpenLink(moved, on=self.on))


@dataclasses.dataclass(frozen=True)
class CarryTheDeviceToAnotherSite:
    """Give the device, for the other site's path, every cookie it holds for her own site: what
    a browser sends anyway to a portal whose cookies are not scoped to the site. So the portal's
    server, not the browser's cookie scoping, is what keeps the sites apart."""

    other: Actor
    on: str

    def perform_as(self, actor: Actor) -> None:
        context = device_of(actor, self.on).context
        own = actor.ability_to(BrowseOnDevices).portal_url
        target = urlsplit(site_of(self.other).portal_url)
        carried = [
            {"name": cookie["name"], "value": cookie["value"], "domain": target.hostname or "",
             "path": target.path or "/", "httpOnly": cookie.get("httpOnly", False),
             "secure": cookie.get("secure", False), "sameSite": cookie.get("sameSite", "Lax")}
            for cookie in context.cookies(own + "/")
        ]
        if not carried:
            raise NothingToCarry(f"{actor.name}'s {self.on} holds no cookie of her site to carry to the other site's path")
        context.add_cookies(carried)  # type: ignore[arg-type]


# -- the other merchant's tasks, through the control API ------------------------------------


@dataclasses.dataclass(frozen=True)
class TakeOnTheCustomer:
    """Register a customer of another site with this merchant's site too, with the same address
    and name (CONTRACT v1: an address is unique only within a site); she remembers her record
    there as "customer in <site id>"."""

    customer: Actor

    def perform_as(self, actor: Actor) -> None:
        record = self.customer.recall("customer")
        site = site_of(actor)
        mine = site.add_customer(record["email"], record["first_name"], record["last_name"])
        self.customer.remember(f"customer in {site.id}", mine)


@dataclasses.dataclass(frozen=True)
class InviteToThisSite:
    """Invite, in this merchant's site, a customer taken on there (`TakeOnTheCustomer`)."""

    customer: Actor

    def perform_as(self, actor: Actor) -> None:
        site = site_of(actor)
        site.call("POST", f"/customers/{self.customer.recall(f'customer in {site.id}')['id']}/invitations", expect=(202,))


@dataclasses.dataclass(frozen=True)
class AcceptTheInvitationOfAnotherSite:
    """Taken on and invited by another merchant, open that site's invitation (the email that came
    for it, under its portal_url) on a device: her email and that device are verified there."""

    other: Actor
    on: str

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(NoteTheMailCursor("invitation"))
        self.other.attempts_to(TakeOnTheCustomer(actor), InviteToThisSite(actor))
        actor.asks(TheNewEmail("invitation"))
        link, portal = actor.asks(TheActionLink("invitation")), site_of(self.other).portal_url
        assert link.startswith(portal + "/"), f"the other site's invitation should link under its portal_url {portal}: {link}"
        actor.attempts_to(OpenLink(link, on=self.on))


@dataclasses.dataclass(frozen=True)
class HerManagementUrlInThisSite:
    """Her management URL in this merchant's site, read through its control API."""

    customer: Actor

    def answered_by(self, actor: Actor) -> str:
        site = site_of(actor)
        return str(site.call("GET", f"/customers/{self.customer.recall(f'customer in {site.id}')['id']}/management_link")["url"])


@dataclasses.dataclass(frozen=True)
class OpenHerManagementUrlInThatSite:
    """Open, on a device, her management URL in another merchant's site."""

    other: Actor
    on: str

    def perform_as(self, actor: Actor) -> None:
        actor.attempts_to(OpenLink(self.other.asks(HerManagementUrlInThisSite(actor)), on=self.on))


# -- the contract's promises about sites (CON checks) ----------------------------------------


@dataclasses.dataclass(frozen=True)
class ClockReading:
    """A site's clock and the machine's UTC, read together."""

    site: datetime.datetime
    machine: datetime.datetime
    monotonic: float


def parse_time(text: str) -> datetime.datetime:
    """An ISO 8601 UTC time of the control API ("Z" or "+00:00")."""
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} names no time zone; the contract's times are UTC")
    return moment


@dataclasses.dataclass(frozen=True)
class TheSiteClock:
    """The site's clock (`GET /clock`), with the machine's UTC at the moment of asking."""

    def answered_by(self, actor: Actor) -> ClockReading:
        machine, monotonic = datetime.datetime.now(datetime.timezone.utc), time.monotonic()
        answer = site_of(actor).call("GET", "/clock")
        try:
            return ClockReading(parse_time(str(answer["now"])), machine, monotonic)
        except (KeyError, TypeError, ValueError) as error:
            raise AssertionError(f"GET /clock should answer {{\"now\": \"<ISO 8601 UTC>\"}}, answered {answer!r}: {error}") from None


@dataclasses.dataclass(frozen=True)
class NoteTheSiteClock:
    """Remember the site's clock now ("clock at first"), and how far it had been moved by then."""

    def perform_as(self, actor: Actor) -> None:
        actor.remember("clock at first", actor.asks(TheSiteClock()))
        actor.remember("time passed at first", actor.recall("time passed", 0.0))


@dataclasses.dataclass(frozen=True)
class HowFarTheClockWasMoved:
    """How far the merchant moved the site's clock (`LetTimePass`) since "clock at first", in seconds."""

    def answered_by(self, actor: Actor) -> float:
        return float(actor.recall("time passed", 0.0) - actor.recall("time passed at first"))


@dataclasses.dataclass(frozen=True)
class HowFarTheClockMoved:
    """How much further the site's clock moved since "clock at first" than the machine's time
    did, in seconds (0 for a clock that kept real time)."""

    def answered_by(self, actor: Actor) -> float:
        first, now = actor.recall("clock at first"), actor.asks(TheSiteClock())
        return (now.site - first.site).total_seconds() - (now.monotonic - first.monotonic)


@dataclasses.dataclass(frozen=True)
class CloseThisSite:
    """Delete this merchant's site through the control API."""

    def perform_as(self, actor: Actor) -> None:
        site_of(actor).delete()


@dataclasses.dataclass(frozen=True)
class TheControlAnswer:
    """What the control API answers a call to `path` (from /control on): (status, body).
    `token`: "" the merchant's own client and token; None no Authorization header at all; any
    other value sent as the bearer token (through `CallTheControlApi`)."""

    method: str
    path: str
    token: str | None = ""

    def answered_by(self, actor: Actor) -> tuple[int, Any]:
        if self.token == "":
            client = site_of(actor).client
        else:
            client = actor.ability_to(CallTheControlApi).client.with_token(self.token)
        try:
            return 200, client.request(self.method, self.path)
        except ControlError as refused:
            return refused.call.status, refused.call.response


class CallTheControlApi:
    """Reach the control API as anyone may: with no token, or with one of one's own choosing,
    through `client` (the scenario's, so the calls are in its evidence) with that token instead."""

    def __init__(self, client: ControlClient) -> None:
        self.client = client

    def forget(self) -> None:
        """The client is the scenario's, closed with it."""
