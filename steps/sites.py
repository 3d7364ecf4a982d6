"""Steps about another merchant's site beside the scenario's own: tenant isolation (SEC-6)."""

from __future__ import annotations

from typing import Iterator

import pytest
from pytest_bdd import given, when

from portalcheck.control import SiteControl

from .pages import expect_state
from .phrases import phrase
from .screenplay.abilities import site_of
from .screenplay.actors import Actor
from .screenplay.cast import Cast
from .screenplay.devices import PageState
from .screenplay.sites import (
    AcceptTheInvitationOfAnotherSite,
    CarryTheDeviceToAnotherSite,
    NothingToCarry,
    OpenHerLinkUnderAnotherSite,
    OpenHerManagementUrlInThatSite,
    OtherSites,
)
from .screenplay.tasks import VisitThePortal


@pytest.fixture
def other_sites(site: SiteControl) -> Iterator[OtherSites]:
    """The sites a scenario makes beside its own, deleted (with all in them) when it ends."""
    sites = OtherSites(site.client)
    yield sites
    sites.remove_all()


@given(phrase(r"another merchant has a site of their own"))
def _(other_sites: OtherSites) -> None:
    """A second test site, made through the control API as the scenario's own is."""
    other_sites.open_one()


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
    carry_the_device(cast, who, other_sites.latest, device)
    cast[who].attempts_to(VisitThePortal(on=device, portal_url=site_of(other_sites.latest).portal_url))


@when(phrase(r"{WHO} opens {WHOSE} management URL of the other site on {WHOSE} {DEVICE}"))
def _(cast: Cast, other_sites: OtherSites, who: str, device: str) -> None:
    """The device, carrying its cookies of her site, opens her management URL of the other site."""
    carry_the_device(cast, who, other_sites.latest, device)
    cast[who].attempts_to(OpenHerManagementUrlInThatSite(other_sites.latest, on=device))


def carry_the_device(cast: Cast, who: str, other: Actor, device: str) -> None:
    """Her device's cookies of her site, carried to the other site's path; not applicable to a
    portal that keeps no cookie on the device (what is carried is what these checks test)."""
    try:
        cast[who].attempts_to(CarryTheDeviceToAnotherSite(other, on=device))
    except NothingToCarry as nothing:
        pytest.skip(f"not applicable: {nothing}")
