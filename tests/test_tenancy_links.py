"""Moving a link under another site's path (SEC-6), without a browser or a portal."""

from __future__ import annotations

import types
from typing import Any

import pytest

from portalcheck.steps.screenplay.abilities import BrowseOnDevices, ControlTheSite
from portalcheck.steps.screenplay.actors import Actor
from portalcheck.steps.screenplay.sites import CannotMoveTheLink, CarryTheDeviceToAnotherSite, NothingToCarry, moved_under

OWN, OTHER = "https://portal.example/s/ada-shop", "https://portal.example/s/ben-shop"


@pytest.mark.parametrize(("url", "moved"), [
    (f"{OWN}/invitation/tok123", f"{OTHER}/invitation/tok123"),
    (f"{OWN}/manage/7/1700000000/sig", f"{OTHER}/manage/7/1700000000/sig"),
    (f"{OWN}?token=abc", f"{OTHER}?token=abc"),
    (OWN, OTHER),
])
def test_only_the_site_part_of_a_link_changes(url: str, moved: str) -> None:
    assert moved_under(url, OWN + "/", OTHER) == moved


def test_a_portal_url_on_a_host_of_its_own_moves_to_the_other_host() -> None:
    assert moved_under("https://ada.example/link/t", "https://ada.example", "https://ben.example") == "https://ben.example/link/t"


@pytest.mark.parametrize("url", [f"{OWN}-old/invitation/tok", "https://tracker.example/c?u=x", "https://portal.example/s/ben-shop/link/t"])
def test_a_link_not_under_its_sites_portal_url_cannot_be_moved(url: str) -> None:
    with pytest.raises(CannotMoveTheLink, match="not under its site's portal_url"):
        moved_under(url, OWN, OTHER)


class DevicesWithoutCookies(BrowseOnDevices):
    """Her devices on a portal that keeps no cookie in the browser (its sessions elsewhere)."""

    def __init__(self) -> None:
        self.portal_url = OWN

    def device(self, name: str) -> Any:
        return types.SimpleNamespace(context=types.SimpleNamespace(cookies=lambda *urls: []))


def test_a_device_with_no_cookie_of_her_site_has_nothing_to_carry_which_is_no_failure_of_the_portal() -> None:
    other = Actor("another merchant").who_can(ControlTheSite(types.SimpleNamespace(portal_url=OTHER)))  # type: ignore[arg-type]
    ada = Actor("Ada").who_can(DevicesWithoutCookies())
    with pytest.raises(NothingToCarry, match="Ada's laptop holds no cookie of her site") as carried:
        ada.attempts_to(CarryTheDeviceToAnotherSite(other, on="laptop"))
    assert not isinstance(carried.value, AssertionError)
