"""Steps about another merchant's site beside the scenario's own: tenant isolation (SEC-6)."""

from __future__ import annotations

from typing import Iterator

import pytest
from pytest_bdd import given, when

from portalcheck.control import SiteControl
from portalcheck.profile import Profile

from .pages import expect_state
from .phrases import phrase
from .screenplay.cast import Cast
from .screenplay.devices import PageState
from .screenplay.sites import (
    AcceptTheInvitationOfAnotherSite,
    CarryTheDeviceToAnotherSite,
    NoteTheSiteClock,
    OpenHerLinkUnderAnotherSite,
    OpenHerManagementUrlInThatSite,
    OtherSites,
    VisitAnotherSite,
)


@pytest.fixture
def other_sites(site: SiteControl) -> Iterator[OtherSites]:
    """The sites a scenario makes beside its own, deleted (with all in them) when it ends."""
    sites = OtherSites(site.client)
    yield sites
    sites.remove_all()


@given(phrase(r"another merchant has a site of their own"))
def _(other_sites: OtherSites, profile: Profile) -> None:
    """A second test site, made through the control API as the scenario's own is (its clock noted, where it has one)."""
    merchant = other_sites.open_one()
    merchant.attempts_to(*([NoteTheSiteClock()] if profile.has("clock") else []))


@given(phrase(r"{WHO} accepted the other merchant's invitation on {WHOSE} {DEVICE}"))
def _(cast: Cast, other_sites: OtherSites, who: str, device: str) -> None:
    """The other site takes her on with the same address and invites her, and she accepts on that device."""
    customer = cast[who]
    customer.attempts_to(AcceptTheInvitationOfAnotherSite(other_sites.latest, on=device))
    expect_state(cast, device, PageState.ACCOUNT, "the other site's invitation accepted")


@when(phrase(r"{WHO} opens {WHOSE} (?P<link>invitation link|login link|management URL) under the other site on {WHOSE} {DEVICE}"))
def _(cast: Cast, other_sites: OtherSites, who: str, link: str, device: str) -> None:
    """She opens her latest such link with its site's portal_url replaced by the other site's."""
    cast[who].attempts_to(OpenHerLinkUnderAnotherSite(link, other_sites.latest, on=device))


@when(phrase(r"{WHO} visits the other site on {WHOSE} {DEVICE} with {WHOSE} session"))
def _(cast: Cast, other_sites: OtherSites, who: str, device: str) -> None:
    """Her device's cookies of her site (her session among them) are sent to the other site's home page."""
    cast[who].attempts_to(CarryTheDeviceToAnotherSite(other_sites.latest, on=device), VisitAnotherSite(other_sites.latest, on=device))


@when(phrase(r"{WHO} opens {WHOSE} management URL of the other site on {WHOSE} {DEVICE}"))
def _(cast: Cast, other_sites: OtherSites, who: str, device: str) -> None:
    """The device, carrying its cookies of her site, opens her management URL of the other site."""
    other = other_sites.latest
    cast[who].attempts_to(CarryTheDeviceToAnotherSite(other, on=device), OpenHerManagementUrlInThatSite(other, on=device))
