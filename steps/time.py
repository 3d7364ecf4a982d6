"""Steps that move the test site's clock. Time never passes by sleeping."""

from __future__ import annotations

import pytest
from pytest_bdd import given, when

from portalcheck.profile import Profile

from .customers import accept_the_invitation
from .passwords import try_wrong_passwords
from .phrases import phrase, seconds
from .screenplay.actors import Task
from .screenplay.cast import Cast
from .screenplay.devices import PageState
from .screenplay.questions import WhatThePortalShows, WhereTheDeviceIs
from .screenplay.tasks import AskForALoginLink, Invite, LetTimePass, ReadTheManagementUrl, SetThePolicy


def let_time_pass(cast: Cast, profile: Profile, amount: str, unit: str, *, first: Task | None = None) -> None:
    """The merchant does `first` (if anything), then moves the site's clock on by that much;
    not applicable where the target has no clock to move."""
    if not profile.has("clock"):
        pytest.skip("not applicable: the target lacks clock")
    cast.merchant.attempts_to(*([first] if first else []), LetTimePass(seconds(amount, unit)))


@given(phrase(r"(?P<amount>\d+) (?P<unit>seconds|minutes|hours|days) passed"))
@when(phrase(r"(?P<amount>\d+) (?P<unit>seconds|minutes|hours|days) pass"))
def _(cast: Cast, profile: Profile, amount: str, unit: str) -> None:
    """The site's clock moves on by that much, through the control API (never by sleeping)."""
    let_time_pass(cast, profile, amount, unit)


@given(phrase(r"{WHOSE} session on {WHOSE} {DEVICE} ended after (?P<amount>\d+) (?P<unit>minutes) of inactivity"))
@when(phrase(r"{WHOSE} session on {WHOSE} {DEVICE} ends after (?P<amount>\d+) (?P<unit>minutes) of inactivity"))
def _(cast: Cast, profile: Profile, device: str, amount: str, unit: str) -> None:
    """Sessions end a minute before that much inactivity, and this one has ended: the scenarios
    after it rely on a device that is signed out, whatever the target's own timeout."""
    let_time_pass(cast, profile, amount, unit, first=SetThePolicy({"session_idle_timeout_s": seconds(amount, unit) - 60}))
    shown = cast["she"].asks(WhatThePortalShows(device))
    assert shown is PageState.SIGNED_OUT, (
        f"after {amount} {unit} of inactivity her session should have ended, but her {device} shows {shown.value}:"
        f" {cast['she'].asks(WhereTheDeviceIs(device))}"
    )


# What happened some time ago: the deed, then the site's clock moved on by that much.
AGO = r" (?P<amount>\d+) (?P<unit>seconds|minutes|hours|days) ago"


@given(phrase(r"{WHO} was invited" + AGO))
def _(cast: Cast, profile: Profile, who: str, amount: str, unit: str) -> None:
    """The merchant invited the customer, and that much time has passed since."""
    cast.merchant.attempts_to(Invite(cast[who]))
    let_time_pass(cast, profile, amount, unit)


@given(phrase(r"{WHO} accepted {WHOSE} invitation on {WHOSE} {DEVICE}" + AGO))
def _(cast: Cast, profile: Profile, who: str, device: str, amount: str, unit: str) -> None:
    """Invited, she accepted the invitation on that device and saw her account, and that much time has passed since."""
    accept_the_invitation(cast, who, device)
    let_time_pass(cast, profile, amount, unit)


@given(phrase(r"{WHO} asked for a login link on {WHOSE} {DEVICE}" + AGO))
def _(cast: Cast, profile: Profile, who: str, device: str, amount: str, unit: str) -> None:
    """She asked for a login link on the sign-in page of that device, it arrived, and that much time has passed since."""
    cast[who].attempts_to(AskForALoginLink(on=device, until_it_arrives=True))
    let_time_pass(cast, profile, amount, unit)


@given(phrase(r"someone tried (?P<times>\d+) wrong passwords for (?P<who>[A-Z][a-z]+)" + AGO))
def _(cast: Cast, profile: Profile, who: str, times: str, amount: str, unit: str) -> None:
    """Someone sent that many wrong passwords for the customer, and that much time has passed since."""
    try_wrong_passwords(cast, who, int(times))
    let_time_pass(cast, profile, amount, unit)


@when(phrase(r"the merchant reads {WHOSE} management URL again (?P<amount>\d+) (?P<unit>seconds|minutes|hours|days) later"))
def _(cast: Cast, profile: Profile, amount: str, unit: str) -> None:
    """That much time later, the merchant reads the management URL once more, which the portal may refuse (429)."""
    let_time_pass(cast, profile, amount, unit)
    cast.merchant.attempts_to(ReadTheManagementUrl(cast["she"], expect=(200, 429)))
