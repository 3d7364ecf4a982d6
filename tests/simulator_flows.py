"""What the simulator's tests share: a start time and a hand-moved clock, the default policy's
times, and short flows (invite, accept, ask for a login link)."""

from __future__ import annotations

from typing import Any

Site = Any  # conftest.SimulatorSite
Device = Any  # conftest.SimulatorDevice

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Clock:
    """A clock for code that takes `now` from a callable: it stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


# The default policy's times, in seconds, and a password the policy accepts.
IDLE_S = 1800
LOGIN_TTL_S = 3600
INVITATION_TTL_S = 172_800
MANAGEMENT_TTL_S = 5_616_000
PASSWORD = "correct horse battery"


def location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:300])
    return str(response.headers["location"])


def invited(site: Site, **policy: Any) -> tuple[dict[str, Any], str]:
    """A customer with a pending invitation, and its link."""
    if policy:
        site.set_policy(**policy)
    ada = site.add_customer()
    site.invite(ada)
    return ada, site.link(ada["email"], "invitation")


def accepted(site: Site, device: Device, **policy: Any) -> dict[str, Any]:
    """A customer who accepted her invitation on `device` (signed in, email and device verified)."""
    ada, link = invited(site, **policy)
    assert location(device.get(link)) in (f"{site.base}/", f"{site.base}/password")
    return ada


def login_link(site: Site, device: Device, customer: dict[str, Any], *, nth: int = 1) -> str:
    """Ask for a login link on `device` and read it from the mail."""
    device.ask_login_link(customer["email"])
    return site.link(customer["email"], "login_link", nth=nth)
