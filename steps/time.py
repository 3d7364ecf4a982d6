"""Steps that move the test site's clock. Time never passes by sleeping."""

from __future__ import annotations

import pytest
from pytest_bdd import given, when

from portalcheck.cast import Cast
from portalcheck.profile import Profile

from .phrases import phrase, seconds
from .tasks import LetTimePass


def let_time_pass(cast: Cast, profile: Profile, amount: str, unit: str) -> None:
    if not profile.has("clock"):
        pytest.skip("not applicable: the target lacks clock")
    cast.merchant.attempts_to(LetTimePass(seconds(amount, unit)))


@given(phrase(r"(?P<amount>\d+) (?P<unit>seconds|minutes|hours|days) passed"))
@when(phrase(r"(?P<amount>\d+) (?P<unit>seconds|minutes|hours|days) pass"))
def _(cast: Cast, profile: Profile, amount: str, unit: str) -> None:
    let_time_pass(cast, profile, amount, unit)


@given(phrase(r"{WHOSE} session on {WHOSE} {DEVICE} ended after (?P<amount>\d+) (?P<unit>minutes) of inactivity"))
def _(cast: Cast, profile: Profile, device: str, amount: str, unit: str) -> None:
    let_time_pass(cast, profile, amount, unit)
