"""Steps that move the test site's clock. Time never passes by sleeping."""

from __future__ import annotations

import pytest
from pytest_bdd import given, when

from portalcheck.cast import Cast
from portalcheck.profile import Profile

from .devices import PageState
from .phrases import phrase, seconds
from .questions import WhatTheDeviceShows
from .tasks import LetTimePass, SetThePolicy, VisitThePortal, device_of


def let_time_pass(cast: Cast, profile: Profile, amount: str, unit: str) -> None:
    if not profile.has("clock"):
        pytest.skip("not applicable: the target lacks clock")
    cast.merchant.attempts_to(LetTimePass(seconds(amount, unit)))


@given(phrase(r"(?P<amount>\d+) (?P<unit>seconds|minutes|hours|days) passed"))
@when(phrase(r"(?P<amount>\d+) (?P<unit>seconds|minutes|hours|days) pass"))
def _(cast: Cast, profile: Profile, amount: str, unit: str) -> None:
    """The site's clock moves on by that much, through the control API (never by sleeping)."""
    let_time_pass(cast, profile, amount, unit)


@given(phrase(r"{WHOSE} session on {WHOSE} {DEVICE} ended after (?P<amount>\d+) (?P<unit>minutes) of inactivity"))
def _(cast: Cast, profile: Profile, device: str, amount: str, unit: str) -> None:
    """Sessions end a minute before that much inactivity, and this one has ended: the scenarios
    after it rely on a device that is signed out, whatever the target's own timeout."""
    idle = seconds(amount, unit)
    cast.merchant.attempts_to(SetThePolicy({"session_idle_timeout_s": idle - 60}))
    let_time_pass(cast, profile, amount, unit)
    customer = cast["she"]
    customer.attempts_to(VisitThePortal(on=device))
    shown = customer.asks(WhatTheDeviceShows(device))
    assert shown is PageState.SIGNED_OUT, (
        f"after {amount} {unit} of inactivity her session should have ended, but her {device} shows {shown.value}:"
        f" {device_of(customer, device).describe()}"
    )
