"""Steps about the contract's own promises (the CON checks of docs/control-api.md): not rules of
the policy, but what every verdict rests on. The report shows them apart, as contract checks."""

from __future__ import annotations

import secrets

from pytest_bdd import given, then, when

from .phrases import phrase
from .screenplay.abilities import site_of
from .screenplay.actors import Actor
from .screenplay.cast import Cast
from .screenplay.sites import (
    CallTheControlApi,
    CloseThisSite,
    HowFarTheClockMoved,
    HowFarTheClockWasMoved,
    NoteTheSiteClock,
    OtherSites,
    TheControlAnswer,
)

# How far a new site's clock may be from the suite's machine's UTC: the target runs on other
# machines, whose clocks NTP keeps within a second or so, and a request takes its time. Five
# minutes is the skew Kerberos tolerates; a clock started at anything but real time is off by far more.
REAL_TIME_SKEW_S = 300
# How far the other site's clock may move, beyond the time that passed, while this one moves days:
# a clock that reads to the second, read twice, by requests a loaded machine may hold up for seconds.
# A clock moved with the other site's is off by the days it moved.
UNMOVED_SLACK_S = 60


@given(phrase(r"another merchant has a site of their own, both sites' clocks read"))
def another_site_and_both_clocks_read(cast: Cast, other_sites: OtherSites) -> None:
    """A second test site, made through the control API, and its clock and this site's read (contract-1)."""
    other_sites.open_one().attempts_to(NoteTheSiteClock())
    cast.merchant.attempts_to(NoteTheSiteClock())


@when(phrase(r"another merchant opens a site of their own"))
def open_another_site(other_sites: OtherSites) -> None:
    """A second test site, made through the control API, its clock read at once."""
    other_sites.open_one().attempts_to(NoteTheSiteClock())


@then(phrase(r"the other site's clock has not moved"))
def the_other_clock_has_not_moved(cast: Cast, other_sites: OtherSites) -> None:
    """This site's clock moved by what the scenario moved it, and the other site's kept the
    machine's time, neither ahead nor behind, since both were read (contract-1)."""
    own, advanced = cast.merchant.asks(HowFarTheClockMoved()), cast.merchant.asks(HowFarTheClockWasMoved())
    assert own >= advanced - UNMOVED_SLACK_S, (
        f"this site's clock should have moved {advanced:.0f} s beyond real time when it was moved; it moved {own:.0f} s"
    )
    moved = other_sites.latest.asks(HowFarTheClockMoved())
    assert abs(moved) <= UNMOVED_SLACK_S, f"moving this site's clock moved another site's clock too: {moved:+.0f} s from real time"


@then(phrase(r"the new site's clock shows the real time"))
def the_new_clock_shows_real_time(other_sites: OtherSites) -> None:
    """The new site's clock, read when it was made, is within five minutes of the machine's UTC (contract-2)."""
    reading = other_sites.latest.recall("clock at first")
    off = (reading.site - reading.machine).total_seconds()
    assert abs(off) <= REAL_TIME_SKEW_S, (
        f"a new site's clock should start at real time (within {REAL_TIME_SKEW_S} s); it shows {reading.site.isoformat()},"
        f" {off:+.0f} s from the machine's {reading.machine.isoformat(timespec='seconds')}"
    )


@when(phrase(r"the merchant asks for the policy of a site (?P<which>that was deleted|that was never made)"))
def ask_about_an_unknown_site(cast: Cast, other_sites: OtherSites, which: str) -> None:
    """The merchant reads the policy of a site the target does not know (contract-3)."""
    merchant = cast.merchant
    if which == "that was deleted":
        gone = other_sites.open_one()
        gone.attempts_to(CloseThisSite())
        site_id = site_of(gone).id
    else:
        site_id = f"{site_of(merchant).id}{secrets.token_hex(4)}"
    merchant.remember("answer", merchant.asks(TheControlAnswer("GET", f"/control/sites/{site_id}/policy")))


@when(phrase(r"someone calls the control API (?P<credentials>without a token|with a wrong token)"))
def call_without_the_token(cast: Cast, credentials: str) -> None:
    """Someone reads the scenario's site policy with no Authorization header, or a wrong bearer token (contract-4)."""
    token = None if credentials == "without a token" else secrets.token_urlsafe(24)
    someone = Actor("someone").who_can(CallTheControlApi(cast.site.client))
    cast.merchant.remember("answer", someone.asks(TheControlAnswer("GET", f"/control/sites/{cast.site.id}/policy", token)))


@then(phrase(r"the control API answers (?P<status>\d\d\d)"))
def the_control_api_answers(cast: Cast, status: str) -> None:
    """The last call asked about answered with that status, and an error body as the contract has
    it (JSON with an "error" code and a "detail" sentence)."""
    answered, body = cast.merchant.recall("answer")
    assert answered == int(status), f"the control API should answer {status}, answered {answered}: {body!r}"
    assert isinstance(body, dict) and {"error", "detail"} <= set(body), f"an error answer should be JSON {{\"error\", \"detail\"}}, got {body!r}"

